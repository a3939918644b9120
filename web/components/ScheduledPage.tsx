'use client';

import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { longDate } from '@/lib/format';
import type { ScheduledSend } from '@/lib/types';
import { useSession } from './Session';
import { EmptyState, ErrorNotice, Loading } from './States';

/** ScheduledPage lists the mail Jarvis holds to send later, each cancellable until it goes. */
export function ScheduledPage() {
  const { accounts } = useSession();
  const [list, setList] = useState<ScheduledSend[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [busy, setBusy] = useState('');
  const [status, setStatus] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setList(null);
    setError(null);
    api.scheduled(ctl.signal).then((r) => setList((r.sends || []).filter((x) => x.status === 'scheduled' || x.status === 'sending' || !x.status)), (err) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [attempt]);

  const cancel = useCallback(async (s: ScheduledSend) => {
    if (busy || !window.confirm(`Cancel sending “${s.subject || '(no subject)'}”? Nothing is sent.`)) return;
    setBusy(s.scheduled_id);
    setActionError(null);
    setStatus('');
    try {
      await api.cancelScheduled(s.scheduled_id);
      setList((cur) => (cur || []).filter((x) => x.scheduled_id !== s.scheduled_id));
      setStatus(`“${s.subject || '(no subject)'}” will not be sent.`);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy('');
    }
  }, [busy]);

  return (
    <>
      <div className="toolbar">
        <p className="spacer"><Link href="/">← Inbox</Link></p>
        <Link className="button primary" href="/compose">Compose</Link>
      </div>
      <h1>Scheduled</h1>
      <p className="muted small">Mail Jarvis holds to send later, in your time zone. Cancel any of it until it goes.</p>
      <p className="muted small" role="status">{status}</p>
      {actionError ? <ErrorNotice error={actionError} /> : null}
      {error ? (
        <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : !list ? (
        <Loading label="Loading scheduled mail" />
      ) : list.length === 0 ? (
        <EmptyState title="Nothing scheduled"><p>Choose “Schedule…” in the composer to send a message later.</p></EmptyState>
      ) : (
        <ul className="thread-list" aria-label="Scheduled mail">
          {list.map((s) => (
            <li key={s.scheduled_id} className="thread-item scheduled-item">
              <div>
                <div className="thread-subject"><strong>{s.subject || '(no subject)'}</strong></div>
                <div className="small">To {(s.to || []).join(', ') || '—'}</div>
                {s.undo_until && <div className="small muted">Being sent (undo window)</div>}
                {accounts.length > 1 && s.account && <div className="small muted">From {s.account.email}</div>}
              </div>
              <div className="scheduled-when">
                {s.send_at && <time dateTime={s.send_at}>{longDate(s.send_at)}</time>}
                <button type="button" className="danger" onClick={() => cancel(s)} disabled={busy !== '' || s.status === 'sending'}>
                  {busy === s.scheduled_id ? 'Cancelling…' : 'Cancel send'}<span className="visually-hidden">: {s.subject}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
