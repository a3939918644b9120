'use client';

import { useEffect, useRef } from 'react';

/** LiveEvent is one change the server streams on GET /events. */
export type LiveEvent =
  | { type: 'mail.changed'; data: { account_id: string; thread_ids?: string[] } }
  | { type: 'calendar.changed'; data: { account_id: string } }
  | { type: 'sync.progress'; data: { account_id: string; phase: string; done: number; total: number } }
  | { type: ActionEventType; data: { action_id: string; kind: string; status: string; requester_type: string; error_code?: string } }
  | { type: 'reload'; data: Record<string, never> };

/** The steps of an action the server streams (named as their audit rows). */
export const actionEventTypes = ['action.requested', 'action.approved', 'action.rejected', 'action.expired', 'action.executed', 'action.failed'] as const;
export type ActionEventType = (typeof actionEventTypes)[number];

type Listener = (e: LiveEvent) => void;

const types: LiveEvent['type'][] = ['mail.changed', 'calendar.changed', 'sync.progress', ...actionEventTypes, 'reload'];
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let retry = 1000;
let timer: ReturnType<typeof setTimeout> | undefined;

/** dispatch hands a streamed event to every listener. */
export function dispatch(e: LiveEvent) {
  for (const l of [...listeners]) l(e);
}

// One stream for the whole page, opened while anyone listens; after an
// error it reconnects with a growing delay (at most 30 s), and a reconnect
// counts as "reload": what changed meanwhile was not streamed.
function open() {
  if (source || typeof EventSource === 'undefined') return;
  const es = new EventSource('/events');
  source = es;
  for (const t of types) {
    es.addEventListener(t, (ev) => {
      retry = 1000;
      let data = {};
      try {
        data = JSON.parse((ev as MessageEvent).data || '{}');
      } catch {
        return;
      }
      dispatch({ type: t, data } as LiveEvent);
    });
  }
  es.onerror = () => {
    es.close();
    source = null;
    if (listeners.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      open();
      dispatch({ type: 'reload', data: {} });
    }, retry);
    retry = Math.min(retry * 2, 30000);
  };
}

function close() {
  source?.close();
  source = null;
  if (timer) clearTimeout(timer);
  timer = undefined;
}

/** useLive calls fn with every change streamed while the component is mounted. */
export function useLive(fn: Listener) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    open();
    return () => {
      listeners.delete(l);
      if (listeners.size === 0) close();
    };
  }, []);
}
