'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { describeError } from '@/lib/errors';
import { clearSend, onSend, secondsLeft, undoable, type PendingSend } from '@/lib/sends';

/**
 * UndoToast shows the last send at the foot of every page: "Message sent.
 * Undo" while its undo window lasts (DELETE /gmail/scheduled/{id} takes it
 * back, nothing leaves), then "Sent." for a few seconds.
 */
export function UndoToast() {
  const [send, setSend] = useState<PendingSend | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [state, setState] = useState<'idle' | 'undoing' | 'undone' | 'failed'>('idle');
  const [error, setError] = useState('');
  useEffect(() => onSend((s) => {
    setSend(s);
    setState('idle');
    setError('');
    setNow(Date.now());
  }), []);
  useEffect(() => {
    if (!send) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [send]);
  // Once the window is over (or undone), the toast goes after a few seconds.
  const open = send ? undoable(send.result, now) : false;
  useEffect(() => {
    if (!send || open || state === 'undoing') return;
    const t = setTimeout(clearSend, 6000);
    return () => clearTimeout(t);
  }, [send, open, state]);
  if (!send) return null;

  const undo = async () => {
    if (!send.result.scheduled_id || state === 'undoing') return;
    setState('undoing');
    try {
      await api.cancelScheduled(send.result.scheduled_id);
      setState('undone');
      send.onUndone?.();
    } catch (err) {
      setState('failed');
      setError(describeError(err).message);
    }
  };

  const scheduled = Boolean(send.result.scheduled_id) && !send.result.undo_until;
  return (
    <div className="toast" role="status" aria-live="polite">
      {state === 'undone' ? (
        <span>Sending undone: nothing was sent.</span>
      ) : state === 'failed' ? (
        <span>Could not undo: {error}</span>
      ) : (
        <>
          <span>{send.text}</span>
          {open && (
            <>
              <button type="button" onClick={undo} disabled={state === 'undoing'}>
                {state === 'undoing' ? 'Undoing…' : 'Undo'}
              </button>
              <span className="muted small" aria-hidden="true">{secondsLeft(send.result, now)} s</span>
            </>
          )}
          {scheduled && <Link href="/scheduled">Scheduled</Link>}
        </>
      )}
      <button type="button" className="link-button" onClick={clearSend} aria-label="Dismiss">×</button>
    </div>
  );
}
