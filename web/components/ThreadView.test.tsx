import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { Message, Thread } from '@/lib/types';

const push = vi.fn();
vi.mock('next/navigation', () => ({
  useSearchParams: () => new URLSearchParams('id=t1'),
  useRouter: () => ({ push }),
}));

import { MessageView } from './MessageView';
import { ThreadView, actionForKey, draftInitial, isDraft, openMessages } from './ThreadView';

const msg = (id: string, labels: string[] = []): Message => ({
  id, from: { name: `Sender ${id}`, email: `${id}@example.com` }, to: [], cc: [], subject: 's', date: '2026-11-24T10:00:00Z',
  snippet: `snippet ${id}`, text: `text ${id}`, html: '', attachments: [], labels, message_id_header: '',
});

describe('a long thread', () => {
  it('opens the unread messages and the last, as Gmail does', () => {
    const t: Thread = { id: 't', subject: 's', messages: [msg('a'), msg('b', ['UNREAD']), msg('c'), msg('d')] };
    expect(openMessages(t)).toEqual(['b', 'd']);
    expect(openMessages({ ...t, messages: [msg('a'), msg('x', ['DRAFT']), msg('c')] })).toEqual(['x', 'c']);
    expect(openMessages({ ...t, messages: [msg('only')] })).toEqual(['only']);
    expect(openMessages(null)).toEqual([]);
  });

  it('warns quietly when Gmail could not verify the sender, and only then', () => {
    const auth = (dmarc: string) => ({ verified_by: 'mx.google.com', spf: 'pass', dkim: 'none', dmarc, from_domain: 'example.com', sender_verified: dmarc === 'pass' });
    const { unmount } = render(<MessageView message={{ ...msg('f'), authentication: auth('fail') }} headingId="m0" />);
    expect(screen.getByText('Gmail could not verify this sender').getAttribute('title')).toContain('example.com');
    unmount();
    render(<MessageView message={{ ...msg('p'), authentication: auth('pass') }} headingId="m1" />);
    expect(screen.queryByText('Gmail could not verify this sender')).toBeNull();
  });

  it('shows a collapsed message as one line that expands', () => {
    const onExpand = vi.fn();
    render(<MessageView message={msg('a')} headingId="m0" collapsed onExpand={onExpand} />);
    expect(screen.queryByText('text a')).toBeNull();
    const line = screen.getByRole('button', { name: /Sender a/ });
    expect(line.getAttribute('aria-expanded')).toBe('false');
    expect(line.textContent).toContain('snippet a');
    fireEvent.click(line);
    expect(onExpand).toHaveBeenCalled();
  });
});

afterEach(() => vi.unstubAllGlobals());

const person = (email: string, name = '') => ({ email, name });
const message = (over: Partial<Message>): Message => ({
  id: 'm', from: person('grace@example.com', 'Grace'), to: [person('ada@example.com', 'Ada')], cc: [], subject: 'Plans',
  date: '2026-03-02T09:00:00Z', snippet: '', text: 'Hello', html: '', attachments: [], labels: ['INBOX'], message_id_header: '<m@x>',
  ...over,
});

const received = message({ id: 'm1', text: 'Shall we meet on Friday?', labels: ['INBOX', 'UNREAD'] });
const draft = message({
  id: 'm2', from: person('ada@example.com', 'Ada'), to: [person('grace@example.com', 'Grace')], cc: [person('bob@example.com')],
  subject: 'Re: Plans', text: 'Friday works. Ada', labels: ['DRAFT'],
});

describe('drafts in a thread', () => {
  it('tells a draft by its DRAFT label and fills the composer from it', () => {
    expect(isDraft(draft)).toBe(true);
    expect(isDraft(received)).toBe(false);
    expect(isDraft(message({ labels: undefined as unknown as string[] }))).toBe(false);
    expect(draftInitial(draft)).toEqual({ to: 'grace@example.com', cc: 'bob@example.com', subject: 'Re: Plans', body: 'Friday works. Ada' });
  });

  it('marks a draft as a draft, never as sent, and opens it in the composer', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ id: 't1', subject: 'Plans', messages: [received, draft] }),
      { status: 200, headers: { 'Content-Type': 'application/json' } })));
    render(<ThreadView />);
    const articles = await screen.findAllByRole('article');
    expect(articles).toHaveLength(2);
    const [sent, unsent] = articles;
    expect(within(sent).queryByText('Draft')).toBeNull();
    expect(await within(sent).findByText('Date')).toBeTruthy();
    expect(within(sent).queryByRole('button', { name: 'Open in composer' })).toBeNull();
    expect(within(unsent).getByText('Draft').className).toContain('badge-draft');
    expect(within(unsent).getByText('Not sent: this draft is in your Gmail Drafts.')).toBeTruthy();
    expect(within(unsent).getByText('Saved')).toBeTruthy();
    expect(within(unsent).queryByText('Date')).toBeNull();

    fireEvent.click(within(unsent).getByRole('button', { name: 'Open in composer' }));
    const composer = await screen.findByRole('region', { name: 'Edit draft' });
    await waitFor(() => expect((within(composer).getByLabelText('To') as HTMLInputElement).value).toBe('grace@example.com'));
    expect((within(composer).getByLabelText('Cc') as HTMLInputElement).value).toBe('bob@example.com');
    expect((within(composer).getByLabelText('Subject') as HTMLInputElement).value).toBe('Re: Plans');
    expect((within(composer).getByLabelText('Message') as HTMLTextAreaElement).value).toBe('Friday works. Ada');
  });
});

describe('organising a thread', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('maps Gmail\'s shortcuts to what the labels allow', () => {
    expect(actionForKey('e', ['INBOX'])).toBe('archive');
    expect(actionForKey('e', ['STARRED'])).toBeNull();
    expect(actionForKey('e', ['INBOX', 'TRASH'])).toBeNull();
    expect(actionForKey('I', ['UNREAD'])).toBe('read');
    expect(actionForKey('I', [])).toBeNull();
    expect(actionForKey('U', [])).toBe('unread');
    expect(actionForKey('U', ['UNREAD'])).toBeNull();
    expect(actionForKey('s', [])).toBe('star');
    expect(actionForKey('s', ['STARRED'])).toBe('unstar');
    expect(actionForKey('#', ['INBOX'])).toBe('trash');
    expect(actionForKey('#', ['TRASH'])).toBeNull();
    expect(actionForKey('x', ['INBOX'])).toBeNull();
  });

  it('marks read with shift+i, shows the labels Gmail answers, and archives back to the inbox with e', async () => {
    const calls: { url: string; body: unknown }[] = [];
    const summary = (labels: string[]) => ({ id: 't1', subject: 'Plans', labels, unread: labels.includes('UNREAD') });
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ url, body });
      const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'Content-Type': 'application/json' } });
      if (url.includes('/modify') && body.remove_labels?.includes('UNREAD')) return json({ account: { id: 'a', email: 'ada@example.com' }, thread: summary(['INBOX']), indexed: true });
      if (url.includes('/modify')) return json({ account: { id: 'a', email: 'ada@example.com' }, thread: summary([]), indexed: true });
      return json({ id: 't1', subject: 'Plans', messages: [msg('m1', ['INBOX', 'UNREAD'])] });
    }));
    render(<ThreadView />);
    const toolbar = await screen.findByRole('toolbar', { name: 'Thread actions' });
    expect(within(toolbar).getByRole('button', { name: 'Mark as read' }).getAttribute('aria-keyshortcuts')).toBe('Shift+I');
    fireEvent.keyDown(document.body, { key: 'I', shiftKey: true });
    expect(await screen.findByText('Marked as read.')).toBeTruthy();
    expect(calls.at(-1)).toEqual({ url: '/gmail/threads/t1/modify', body: { remove_labels: ['UNREAD'] } });
    expect(within(toolbar).getByRole('button', { name: 'Mark as unread' })).toBeTruthy();
    fireEvent.keyDown(document.body, { key: 'e' });
    await waitFor(() => expect(push).toHaveBeenCalledWith('/'));
    expect(calls.at(-1)).toEqual({ url: '/gmail/threads/t1/modify', body: { remove_labels: ['INBOX'] } });
  });
});

describe('answering a thread', () => {
  it('computes reply, reply-all and forward as the server does', async () => {
    const { composeInitials } = await import('./ThreadView');
    const m = message({
      id: 'r1', from: person('grace@example.com', 'Grace'), reply_to: [person('list@example.com')],
      to: [person('ada@example.com'), person('bob@example.com')], cc: [person('ADA@alias.example'), person('bob@example.com'), person('carol@example.com')],
    });
    const t: Thread = { id: 't', subject: 'Plans', messages: [m] };
    const got = composeInitials(t, new Set(['ada@example.com', 'ada@alias.example']));
    expect(got.reply).toEqual({ to: 'list@example.com', subject: 'Re: Plans' });
    expect(got.reply_all).toEqual({ to: 'list@example.com, bob@example.com', cc: 'carol@example.com', subject: 'Re: Plans' });
    expect(got.forward).toEqual({ subject: 'Fwd: Plans' });
  });
});
