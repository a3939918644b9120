'use client';

// The number of actions waiting for the owner's decision, for the badge in
// the navigation: read from GET /actions?status=pending on load, again
// whenever the event stream says an action moved (requested, approved,
// rejected, expired, executed, failed — from any agent, replica or tab) or
// the stream reconnected, and after each decision made here.

import { useEffect, useState } from 'react';
import { api } from './api';
import { actionEventTypes, useLive } from './live';

type Listener = (n: number | null) => void;
const listeners = new Set<Listener>();
let count: number | null = null;
let inFlight: Promise<void> | null = null;
let again = false;

function set(n: number | null) {
  count = n;
  for (const l of [...listeners]) l(n);
}

/** refreshPending reads the pending count again (coalescing calls made while one runs). */
export function refreshPending(): Promise<void> {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  inFlight = api.actions('pending')
    .then((r) => set((r.actions || []).length), () => set(count))
    .finally(() => {
      inFlight = null;
      if (again) {
        again = false;
        void refreshPending();
      }
    });
  return inFlight;
}

/** The stream's event types that change the pending count. */
export const actionEvents = new Set<string>([...actionEventTypes, 'approval.required', 'reload']);

/** usePendingCount is the live number of pending actions (null until known); it keeps the event stream open. */
export function usePendingCount(): number | null {
  const [n, setN] = useState<number | null>(count);
  useEffect(() => {
    listeners.add(setN);
    void refreshPending();
    // Back to the tab: an agent may have asked meanwhile.
    const onVisible = () => document.visibilityState === 'visible' && void refreshPending();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      listeners.delete(setN);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);
  useLive((e) => {
    if (actionEvents.has(e.type)) void refreshPending();
  });
  return n;
}
