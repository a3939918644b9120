import type { SyncStatus } from './types';

/** SyncProgress is how far one account's sync is, as the dashboard shows it. */
export interface SyncProgress {
  account_id: string;
  phase: string;
  done: number;
  total: number;
  /** Messages per second since the first report of this listing (0 until two reports). */
  rate: number;
  /** Seconds left at that rate, when known. */
  eta?: number;
  /** Where the rate is measured from. */
  since: { at: number; done: number };
}

export type ProgressEvent = { account_id: string; phase: string; done: number; total: number };

/**
 * applyProgress folds a sync.progress event (received at now, in ms) into
 * the accounts' progress: a listing that caught up (phase incremental or
 * new) is removed; otherwise the rate and eta are measured from the first
 * report of the same phase.
 */
export function applyProgress(
  cur: Record<string, SyncProgress>,
  e: ProgressEvent,
  now: number,
): Record<string, SyncProgress> {
  const next = { ...cur };
  if (e.phase === 'incremental' || e.phase === 'new') {
    delete next[e.account_id];
    return next;
  }
  const prev = cur[e.account_id];
  const since = prev && prev.phase === e.phase && prev.since.done <= e.done ? prev.since : { at: now, done: e.done };
  const secs = (now - since.at) / 1000;
  const rate = secs > 0 ? (e.done - since.done) / secs : 0;
  const total = Math.max(e.total, e.done);
  const p: SyncProgress = { account_id: e.account_id, phase: e.phase, done: e.done, total, rate, since };
  if (rate > 0) p.eta = Math.ceil((total - e.done) / rate);
  next[e.account_id] = p;
  return next;
}

/** The phases in which a sync is listing the mailbox, and a bar shows. */
const listing = new Set(['full', 'backfill', 'resync']);

/**
 * seedProgress folds an account's sync status, as GET /accounts/{id}/sync
 * answered it at now (in ms), into the accounts' progress, so that a sync
 * already running when the page loads shows its bar. The stream's events
 * are newer than any status fetched beside them: an account they already
 * report is left as it is. The rate is the server's, measured since the
 * listing began; the events that follow go on measuring from there.
 */
export function seedProgress(
  cur: Record<string, SyncProgress>,
  s: SyncStatus,
  now: number,
): Record<string, SyncProgress> {
  const id = s.account.id;
  if (cur[id] || !listing.has(s.phase)) return cur;
  const rate = s.rate > 0 && Number.isFinite(s.rate) ? s.rate : 0;
  const total = Math.max(s.total, s.done);
  const since = rate > 0 ? { at: now - (s.done / rate) * 1000, done: 0 } : { at: now, done: s.done };
  const p: SyncProgress = { account_id: id, phase: s.phase, done: s.done, total, rate, since };
  const eta = s.eta ?? (rate > 0 ? Math.ceil((total - s.done) / rate) : undefined);
  if (eta !== undefined) p.eta = eta;
  return { ...cur, [id]: p };
}

/** etaLabel says how long is left: "about 2 min", "under a minute". */
export function etaLabel(eta?: number): string {
  if (eta === undefined) return '';
  if (eta < 60) return 'under a minute left';
  if (eta < 3600) return `about ${Math.round(eta / 60)} min left`;
  return `about ${Math.round(eta / 3600)} h left`;
}
