import { describe, expect, it } from 'vitest';
import { accountMarks, appendPage, refreshFirstPage, threadKey, unifiedLabels, unreadCount, withCount } from './inbox';
import type { Label, ThreadSummary } from './types';

const ada = { id: 'a1', email: 'ada@example.com' };
const grace = { id: 'g1', email: 'grace@example.com' };

const thread = (id: string, account?: typeof ada): ThreadSummary => ({
  id, subject: id, from: { name: '', email: 'x@example.com' }, date: '2026-11-24T10:00:00Z', snippet: '',
  message_count: 1, unread: false, labels: ['INBOX'], account,
});
const ids = (ts: ThreadSummary[]) => ts.map(threadKey);

describe('rows of a merged listing', () => {
  it('are keyed by account and id: two mailboxes may use the same thread id', () => {
    expect(threadKey(thread('t1', ada))).not.toBe(threadKey(thread('t1', grace)));
    expect(threadKey(thread('t1'))).toBe(':t1');
  });

  it('join the next page without repeating a thread already listed', () => {
    const cur = [thread('t1', ada), thread('t1', grace)];
    expect(ids(appendPage(cur, [thread('t1', grace), thread('t2', grace), thread('t1', ada)]))).toEqual(['a1:t1', 'g1:t1', 'g1:t2']);
  });

  it('take a refreshed first page, keeping the later pages minus what moved up', () => {
    const cur = [thread('t1', ada), thread('t2', grace), thread('t3', ada), thread('t4', grace)];
    // New mail in t4 brings it to the top; t2 is no longer in the page of 2.
    let r = refreshFirstPage(cur, [thread('t4', grace), thread('t1', ada)], 2);
    expect(ids(r.threads)).toEqual(['g1:t4', 'a1:t1', 'a1:t3']);
    expect(r.keptRest).toBe(1);
    r = refreshFirstPage(cur.slice(0, 2), [thread('t9', ada), thread('t1', ada)], 2);
    expect(ids(r.threads)).toEqual(['a1:t9', 'a1:t1']);
    expect(r.keptRest).toBe(0);
  });
});

describe('accountMarks', () => {
  it('names an account by its local part, or in full where two share it, with a tone each', () => {
    const m = accountMarks([ada, grace, { id: 'a2', email: 'Ada@work.example' }, { id: 'c', email: 'c@x.example' }, { id: 'd', email: 'd@x.example' }]);
    expect(m.get('g1')).toEqual({ email: 'grace@example.com', short: 'grace', tone: 1 });
    expect(m.get('a1')!.short).toBe('ada@example.com');
    expect(m.get('a2')!.short).toBe('Ada@work.example');
    expect(m.get('a1')!.tone).toBe(0);
    expect(m.get('d')!.tone).toBe(0);
  });
});

describe('label counts', () => {
  const sys = (id: string, unread?: number): Label => ({ id, name: id, type: 'system', threads_unread: unread });
  const user = (id: string, name: string, unread?: number): Label => ({ id, name, type: 'user', threads_unread: unread });

  it('merge system labels only, summing unread threads when every account counts them', () => {
    const got = unifiedLabels([
      [sys('INBOX', 2), sys('STARRED', 0), user('Label_1', 'Projects', 4)],
      [sys('INBOX', 1), sys('STARRED'), user('Label_1', 'Receipts', 1)],
    ]);
    expect(got).toEqual([
      { id: 'INBOX', name: 'INBOX', type: 'system', threads_unread: 3 },
      { id: 'STARRED', name: 'STARRED', type: 'system' },
    ]);
  });

  it('drop the count when an account has not the label or its list could not be read', () => {
    expect(unifiedLabels([[sys('INBOX', 2), sys('SPAM', 1)], [sys('INBOX', 1)]])).toEqual([
      { id: 'INBOX', name: 'INBOX', type: 'system', threads_unread: 3 },
      { id: 'SPAM', name: 'SPAM', type: 'system' },
    ]);
    expect(unifiedLabels([[sys('INBOX', 2)], null])).toEqual([{ id: 'INBOX', name: 'INBOX', type: 'system' }]);
  });

  it('show unread threads beside a label, as Gmail does, but not for sent mail, drafts or trash', () => {
    expect(unreadCount(sys('INBOX', 3))).toBe(3);
    expect(unreadCount(user('Label_1', 'Projects', 1))).toBe(1);
    expect(unreadCount(sys('INBOX', 0))).toBeUndefined();
    expect(unreadCount(sys('INBOX'))).toBeUndefined();
    expect(unreadCount(sys('SENT', 2))).toBeUndefined();
    expect(unreadCount(sys('TRASH', 2))).toBeUndefined();
    expect(unreadCount(undefined)).toBeUndefined();
    expect(withCount('Inbox', 3)).toBe('Inbox (3)');
    expect(withCount('Inbox', undefined)).toBe('Inbox');
  });
});
