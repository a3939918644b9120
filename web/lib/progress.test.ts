import { describe, expect, it } from 'vitest';
import { applyProgress, etaLabel, seedProgress } from './progress';
import type { SyncStatus } from './types';

describe('applyProgress', () => {
  it('keeps one bar per account, with a rate and eta measured from the first report', () => {
    let m = applyProgress({}, { account_id: 'a', phase: 'full', done: 100, total: 1100 }, 0);
    expect(m.a.rate).toBe(0);
    expect(m.a.eta).toBeUndefined();
    m = applyProgress(m, { account_id: 'b', phase: 'backfill', done: 5, total: 10 }, 0);
    m = applyProgress(m, { account_id: 'a', phase: 'full', done: 300, total: 1100 }, 2000);
    expect(m.a.rate).toBe(100);
    expect(m.a.eta).toBe(8);
    expect(Object.keys(m).sort()).toEqual(['a', 'b']);
  });
  it('restarts the measure on a new phase, and drops an account that caught up', () => {
    let m = applyProgress({}, { account_id: 'a', phase: 'full', done: 100, total: 200 }, 0);
    m = applyProgress(m, { account_id: 'a', phase: 'backfill', done: 150, total: 200 }, 1000);
    expect(m.a.since).toEqual({ at: 1000, done: 150 });
    m = applyProgress(m, { account_id: 'a', phase: 'incremental', done: 200, total: 200 }, 2000);
    expect(m.a).toBeUndefined();
  });
  it('never shows more done than total', () => {
    const m = applyProgress({}, { account_id: 'a', phase: 'full', done: 120, total: 100 }, 0);
    expect(m.a.total).toBe(120);
  });
});

describe('seedProgress', () => {
  const status = (over: Partial<SyncStatus>): SyncStatus => ({
    account: { id: 'a', email: 'ada@example.com' }, phase: 'backfill', done: 400, total: 1000, rate: 100, eta: 6, ...over,
  });

  it('shows a listing already running when the page loads, at the server\'s rate', () => {
    const m = seedProgress({}, status({}), 10_000);
    expect(m.a).toMatchObject({ phase: 'backfill', done: 400, total: 1000, rate: 100, eta: 6 });
    // The stream's next report goes on measuring from when the listing began.
    const next = applyProgress(m, { account_id: 'a', phase: 'backfill', done: 600, total: 1000 }, 12_000);
    expect(next.a.rate).toBe(100);
    expect(next.a.eta).toBe(4);
  });

  it('shows no bar for an account that is not listing, and leaves what the stream reported', () => {
    expect(seedProgress({}, status({ phase: 'incremental', rate: 0, eta: undefined }), 0)).toEqual({});
    expect(seedProgress({}, status({ phase: 'new', done: 0, total: 0, rate: 0, eta: undefined }), 0)).toEqual({});
    const streamed = applyProgress({}, { account_id: 'a', phase: 'backfill', done: 700, total: 1000 }, 0);
    expect(seedProgress(streamed, status({}), 5)).toBe(streamed);
  });

  it('has no eta before a rate is known, and never more done than total', () => {
    const m = seedProgress({}, status({ phase: 'full', done: 30, total: 20, rate: 0, eta: undefined }), 0);
    expect(m.a).toMatchObject({ done: 30, total: 30, rate: 0, since: { at: 0, done: 30 } });
    expect(m.a.eta).toBeUndefined();
  });
});

describe('etaLabel', () => {
  it('rounds to what a reader needs', () => {
    expect(etaLabel(undefined)).toBe('');
    expect(etaLabel(30)).toBe('under a minute left');
    expect(etaLabel(150)).toBe('about 3 min left');
    expect(etaLabel(7200)).toBe('about 2 h left');
  });
});
