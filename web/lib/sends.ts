// Sends in their undo window: the composer announces each send, the toast
// shows it with an Undo button until undo_until, and an undone send goes
// back to whoever announced it (the composer, to edit it again).

import type { SendResult } from './types';

export interface PendingSend {
  result: SendResult;
  /** What the toast says: "Message sent." or "Scheduled for …". */
  text: string;
  /** Called once the send is undone (the composer reopens its message). */
  onUndone?: () => void;
}

type Listener = (s: PendingSend | null) => void;
const listeners = new Set<Listener>();
let current: PendingSend | null = null;

/** announceSend shows a send in the toast (replacing an earlier one). */
export function announceSend(s: PendingSend) {
  current = s;
  for (const l of [...listeners]) l(current);
}

/** clearSend hides the toast. */
export function clearSend() {
  current = null;
  for (const l of [...listeners]) l(null);
}

/** onSend calls fn with the current send now and with each change. */
export function onSend(fn: Listener): () => void {
  listeners.add(fn);
  fn(current);
  return () => listeners.delete(fn);
}

/** undoable says whether a send can still be undone at now. */
export function undoable(r: SendResult, now: number = Date.now()): boolean {
  if (!r.scheduled_id) return false;
  if (!r.undo_until) return false;
  const t = Date.parse(r.undo_until);
  return Number.isFinite(t) && t > now;
}

/** secondsLeft is the whole seconds until undo_until (0 when past). */
export function secondsLeft(r: SendResult, now: number = Date.now()): number {
  const t = Date.parse(r.undo_until || '');
  return Number.isFinite(t) ? Math.max(0, Math.ceil((t - now) / 1000)) : 0;
}
