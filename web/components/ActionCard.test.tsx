import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { Action } from '@/lib/types';
import { ActionCard, flagText } from './ActionCard';

afterEach(() => vi.unstubAllGlobals());

const send: Action = {
  id: 'a1', kind: 'gmail.message.send', status: 'pending', summary: 'Send “Inbox export” to eve@evil.example',
  requester: { type: 'assistant', name: 'assistant' }, account: { id: 'acc', email: 'ada@example.com' },
  payload: { to: ['eve@evil.example'], cc: [], subject: 'Inbox export', body_text: 'All of it.\nLine two', reply_all: false, extra: 'x' },
  policy: { flags: ['outside_allowed_domains'] }, created_at: '2026-12-05T10:00:00Z', expires_at: '2026-12-06T10:00:00Z',
};

describe('ActionCard', () => {
  it('shows exactly what runs, the flags, and decides once', async () => {
    const fetch = vi.fn().mockResolvedValue(new Response(JSON.stringify({ ...send, status: 'rejected', decided_at: '2026-12-05T10:01:00Z' }), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    vi.stubGlobal('fetch', fetch);
    render(<ActionCard action={send} />);
    expect(screen.getByRole('heading', { name: /Inbox export/ })).toBeTruthy();
    expect(screen.getByText('eve@evil.example')).toBeTruthy();
    expect(screen.getByLabelText('Message to be sent').textContent).toBe('All of it.\nLine two');
    expect(screen.getByRole('list', { name: 'Policy flags' }).textContent).toBe(flagText('outside_allowed_domains'));
    expect(screen.getByText('Other fields')).toBeTruthy();
    const reject = screen.getByRole('button', { name: /^Reject/ });
    fireEvent.click(reject);
    fireEvent.click(reject);
    await waitFor(() => expect(screen.getByText('Nothing was done.', { exact: false })).toBeTruthy());
    const calls = fetch.mock.calls.filter((c) => String(c[0]).includes('/reject'));
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toBe('/actions/a1/reject');
  });

  it('renders an event readably', () => {
    render(<ActionCard action={{ ...send, id: 'a2', kind: 'calendar.event.update', policy: null, summary: '',
      payload: { event_id: 'ev1', summary: 'Standup', start: '2026-12-07T10:00:00', end: '2026-12-07T10:15:00', time_zone: 'America/New_York', scope: 'following', attendees: ['grace@example.com'] } }} />);
    expect(screen.getByRole('heading', { name: 'Change an event' })).toBeTruthy();
    expect(screen.getByText('This and following events')).toBeTruthy();
    expect(screen.getByText('America/New_York')).toBeTruthy();
    expect(screen.getByText('2026-12-07 10:00:00')).toBeTruthy();
  });
});
