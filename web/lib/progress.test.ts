import { describe, expect, it } from 'vitest';
import { applyProgress, etaLabel } from './progress';

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

describe('etaLabel', () => {
  it('rounds to what a reader needs', () => {
    expect(etaLabel(undefined)).toBe('');
    expect(etaLabel(30)).toBe('under a minute left');
    expect(etaLabel(150)).toBe('about 3 min left');
    expect(etaLabel(7200)).toBe('about 2 h left');
  });
});
