'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { api } from '@/lib/api';
import { useLive } from '@/lib/live';
import { actionEvents } from '@/lib/pending';
import type { Action } from '@/lib/types';
import { ActionCard } from './ActionCard';
import { EmptyState, ErrorNotice, Loading } from './States';

const views = [
  { value: 'pending', label: 'Waiting' },
  { value: 'all', label: 'All' },
];

/**
 * ApprovalsPage lists what agents asked to do: each action's summary, who
 * asked, exactly what will run, and the policy's flags, with Approve and
 * Reject while it waits. New requests appear without a reload.
 */
export function ApprovalsPage() {
  const params = useSearchParams();
  const router = useRouter();
  const view = params.get('view') === 'all' ? 'all' : 'pending';
  const [list, setList] = useState<Action[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const shown = useRef<Action[] | null>(null);
  shown.current = list;
  useLive((e) => {
    if (actionEvents.has(e.type)) setAttempt((a) => a + 1);
  });

  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.actions(view === 'all' ? undefined : 'pending', ctl.signal).then(async (r) => {
      const fresh = r.actions || [];
      const ids = new Set(fresh.map((a) => a.id));
      // A card shown as waiting that left the queue was decided — here, with the answer to
      // Approve still on its way (the event stream can be quicker), or elsewhere: it stays,
      // as the server has it now.
      const left = view === 'all' ? [] : (shown.current || []).filter((a) => !ids.has(a.id) && a.status === 'pending');
      const now = new Map<string, Action>();
      for (const a of await Promise.all(left.map((x) => api.action(x.id, ctl.signal).catch(() => null)))) if (a) now.set(a.id, a);
      if (ctl.signal.aborted) return;
      // Decided cards stay on the page until it is left: merge, keeping what is shown.
      setList((cur) => {
        if (!cur || view === 'all') return fresh;
        const kept = cur.filter((a) => !ids.has(a.id)).map((a) => (a.status === 'pending' ? now.get(a.id) : a));
        return [...fresh, ...kept.filter((a): a is Action => Boolean(a) && a!.status !== 'pending')];
      });
    }, (err) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [view, attempt]);

  useEffect(() => setList(null), [view]);

  const decided = (a: Action) => setList((cur) => (cur || []).map((x) => (x.id === a.id ? a : x)));

  return (
    <>
      <div className="toolbar">
        <h1 className="spacer">Approvals</h1>
        <div role="group" aria-label="Show" className="row">
          {views.map((v) => (
            <button key={v.value} type="button" aria-pressed={v.value === view} className={v.value === view ? 'primary' : undefined}
              onClick={() => router.push(v.value === 'all' ? '/approvals?view=all' : '/approvals')}>
              {v.label}
            </button>
          ))}
        </div>
      </div>
      <p className="muted small">
        What the assistant and other agents asked to do on your behalf. What you see is exactly what runs when you approve; a change
        makes a new request. Which actions need you is set by your <Link href="/settings#policy">policy</Link>.
      </p>
      {error ? (
        <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : !list ? (
        <Loading label="Loading approvals" />
      ) : list.length === 0 ? (
        <EmptyState title={view === 'pending' ? 'Nothing waiting for you' : 'No actions yet'}>
          <p>When the assistant wants to send, file or schedule something, it appears here for you to approve.</p>
        </EmptyState>
      ) : (
        <div className="action-list">
          {list.map((a) => <ActionCard key={a.id} action={a} onDecided={decided} />)}
        </div>
      )}
    </>
  );
}
