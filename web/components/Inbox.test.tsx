import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { accountFor, ALL_ACCOUNTS } from '@/lib/account';
import { dispatch } from '@/lib/live';
import type { GoogleAccount, Label, ThreadSummary } from '@/lib/types';

const acct = (id: string, email: string, primary = false): GoogleAccount => ({
  id, email, name: '', picture: '', primary, status: 'active', scopes: [], connected_at: '', last_used_at: null,
});
const accounts = [acct('a1', 'ada@example.com', true), acct('g1', 'grace@example.com')];
let chosen = ALL_ACCOUNTS;

vi.mock('next/navigation', () => ({
  useSearchParams: () => new URLSearchParams(''),
  useRouter: () => ({ push: vi.fn() }),
}));
vi.mock('./Session', () => ({
  useSession: () => ({ accounts, account: chosen, setAccount: (a: string) => { chosen = a; } }),
  useAccount: (allowAll: boolean) => accountFor(chosen, accounts, allowAll),
}));

import { Inbox } from './Inbox';

const ref = (a: GoogleAccount) => ({ id: a.id, email: a.email });
const thread = (id: string, subject: string, a: GoogleAccount, date: string): ThreadSummary => ({
  id, subject, from: { name: 'Someone', email: 's@example.com' }, date, snippet: '', message_count: 1,
  unread: true, labels: ['INBOX', 'Label_1'], account: ref(a),
});
const labels = (inbox: number, user: string): Label[] => [
  { id: 'INBOX', name: 'INBOX', type: 'system', threads_total: 9, threads_unread: inbox },
  { id: 'Label_1', name: user, type: 'user', threads_total: 1, threads_unread: 1 },
];

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let pages: Record<string, unknown>;
let calls: URL[];

beforeEach(() => {
  chosen = ALL_ACCOUNTS;
  calls = [];
  pages = {
    first: {
      account: null, accounts: accounts.map(ref), source: 'index', next_page_token: 'jx1.next',
      threads: [thread('t1', 'From Grace', accounts[1], '2026-11-24T10:00:00Z'), thread('t1', 'From Ada', accounts[0], '2026-11-23T10:00:00Z')],
    },
    'jx1.next': {
      account: null, accounts: accounts.map(ref), source: 'index',
      threads: [thread('t2', 'Older from Ada', accounts[0], '2026-11-20T10:00:00Z')],
    },
  };
  vi.stubGlobal('fetch', vi.fn(async (input: string) => {
    const u = new URL(input, 'http://jarvis.test');
    calls.push(u);
    if (u.pathname === '/gmail/threads') return json(pages[u.searchParams.get('page_token') || 'first']);
    if (u.pathname === '/gmail/labels') {
      const id = u.searchParams.get('account');
      return json(id === 'a1' ? { account: ref(accounts[0]), labels: labels(2, 'Projects'), source: 'index' }
        : { account: ref(accounts[1]), labels: labels(1, 'Receipts'), source: 'index' });
    }
    if (u.pathname === '/accounts/g1/sync') return json({ account: ref(accounts[1]), phase: 'backfill', done: 40, total: 100, rate: 10, eta: 6 });
    if (u.pathname === '/accounts/a1/sync') return json({ account: ref(accounts[0]), phase: 'incremental', done: 0, total: 0, rate: 0 });
    return json({ code: 'not_found' }, 404);
  }));
});
afterEach(() => vi.unstubAllGlobals());

describe('the inbox of all accounts', () => {
  it('merges the accounts, marks each row with its account, and opens a thread in it', async () => {
    render(<Inbox />);
    const list = await screen.findByRole('list', { name: 'Threads' });
    const threadsCall = calls.find((u) => u.pathname === '/gmail/threads')!;
    expect(threadsCall.searchParams.get('account')).toBe('all');
    // The mark is read as the account's address; it shows the part before the @.
    const grace = within(list).getByRole('link', { name: /In grace@example\.com, .*From Grace/ });
    const ada = within(list).getByRole('link', { name: /In ada@example\.com, .*From Ada/ });
    expect(within(grace).getByTitle('grace@example.com').textContent).toContain('grace');
    expect(new URL(grace.getAttribute('href')!, 'http://x').searchParams.get('account')).toBe('g1');
    expect(new URL(ada.getAttribute('href')!, 'http://x').searchParams.get('account')).toBe('a1');
    // Each row's user label is named from its own account.
    await waitFor(() => expect(within(grace).getByText('Receipts')).toBeTruthy());
    expect(within(ada).getByText('Projects')).toBeTruthy();
    // The switcher offers the merged view.
    expect((screen.getByLabelText('Google account') as HTMLSelectElement).value).toBe(ALL_ACCOUNTS);
  });

  it('shows the unread threads of both accounts beside the inbox, and no account\'s own labels', async () => {
    render(<Inbox />);
    const select = screen.getByLabelText('Label') as HTMLSelectElement;
    await waitFor(() => expect(within(select).getByRole('option', { name: 'Inbox (3)' })).toBeTruthy());
    expect(within(select).queryByRole('option', { name: /Projects|Receipts/ })).toBeNull();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('3 unread');
  });

  it('pages on with the merged listing\'s token', async () => {
    render(<Inbox />);
    await screen.findByRole('link', { name: /From Grace/ });
    act(() => screen.getByRole('button', { name: 'Load more' }).click());
    await screen.findByRole('link', { name: /Older from Ada/ });
    const more = calls.filter((u) => u.pathname === '/gmail/threads').at(-1)!;
    expect(more.searchParams.get('page_token')).toBe('jx1.next');
    expect(more.searchParams.get('account')).toBe('all');
    expect(screen.getByText(/End of the list · 3 threads/)).toBeTruthy();
  });

  it('refreshes the rows and the counts when mail changes', async () => {
    render(<Inbox />);
    await screen.findByRole('link', { name: /From Grace/ });
    pages.first = {
      ...(pages.first as object),
      threads: [thread('t9', 'Just in', accounts[1], '2026-11-25T10:00:00Z'), ...(pages.first as { threads: ThreadSummary[] }).threads],
    };
    act(() => dispatch({ type: 'mail.changed', data: { account_id: 'g1', thread_ids: ['t9'] } }));
    await screen.findByRole('link', { name: /In grace@example\.com, .*Just in/ });
    expect(calls.filter((u) => u.pathname === '/gmail/threads').at(-1)!.searchParams.get('account')).toBe('all');
    expect(calls.filter((u) => u.pathname === '/gmail/labels').length).toBe(4);
  });

  it('shows the bar of a sync already running when the page loads', async () => {
    render(<Inbox />);
    const bar = await screen.findByRole('progressbar', { name: 'Syncing grace@example.com' });
    expect(bar.getAttribute('aria-valuenow')).toBe('40');
    expect(bar.textContent).toContain('40 of 100 messages');
    expect(screen.queryByRole('progressbar', { name: 'Syncing ada@example.com' })).toBeNull();
  });
});

describe('the inbox of one account', () => {
  it('lists that account, with its own labels and counts, and no marks', async () => {
    chosen = 'g1';
    pages.first = { account: ref(accounts[1]), source: 'index', threads: [{ ...thread('t1', 'From Grace', accounts[1], '2026-11-24T10:00:00Z'), account: undefined }] };
    render(<Inbox />);
    const link = await screen.findByRole('link', { name: /From Grace/ });
    expect(calls.find((u) => u.pathname === '/gmail/threads')!.searchParams.get('account')).toBe('g1');
    expect(within(link).queryByTitle('grace@example.com')).toBeNull();
    expect(new URL(link.getAttribute('href')!, 'http://x').searchParams.get('account')).toBe('g1');
    const select = screen.getByLabelText('Label') as HTMLSelectElement;
    await waitFor(() => expect(within(select).getByRole('option', { name: 'Receipts (1)' })).toBeTruthy());
    expect(within(select).getByRole('option', { name: 'Inbox (1)' })).toBeTruthy();
  });
});
