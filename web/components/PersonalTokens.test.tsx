import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PersonalTokens } from './PersonalTokens';

afterEach(() => vi.unstubAllGlobals());

const json = (status: number, body?: object) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const account = { id: 'a1', email: 'ada@example.com', name: 'Ada', picture: '', primary: true, status: 'active' as const, scopes: [], connected_at: '2026-12-01T10:00:00Z', last_used_at: null };
const token = {
  id: 't1', name: 'Laptop', hint: 'jarvis_pat_ABCD', scopes: ['mail.read'], accounts: ['a1'],
  created_at: '2026-12-01T10:00:00Z', expires_at: '2027-03-01T10:00:00Z', last_used_at: null,
};

describe('PersonalTokens', () => {
  it('lists tokens with their scopes and accounts, never the token', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(json(200, { tokens: [token] })));
    render(<PersonalTokens accounts={[account]} />);
    const row = await screen.findByRole('listitem', { name: 'Laptop' });
    expect(row.textContent).toContain('mail.read · ada@example.com');
    expect(row.textContent).toContain('jarvis_pat_ABCD…');
  });

  it('makes a token and shows it once', async () => {
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(200, { tokens: [] }))
      .mockResolvedValueOnce(json(201, { ...token, token: 'jarvis_pat_ABCDsecret' }))
      .mockResolvedValueOnce(json(200, { tokens: [token] }));
    vi.stubGlobal('fetch', fetch);
    render(<PersonalTokens accounts={[account]} />);
    await screen.findByText('No personal tokens.');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Laptop' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await waitFor(() => expect(screen.getByLabelText('New personal token').textContent).toBe('jarvis_pat_ABCDsecret'));
    const [url, init] = fetch.mock.calls[1];
    expect(url).toBe('/settings/tokens');
    expect(JSON.parse(init.body)).toEqual({ name: 'Laptop', scopes: ['mail.read', 'calendar.read'], accounts: [], expires_in_days: 90 });
  });

  it('revokes on Revoke', async () => {
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(200, { tokens: [token] }))
      .mockResolvedValueOnce(json(204))
      .mockResolvedValueOnce(json(200, { tokens: [] }));
    vi.stubGlobal('fetch', fetch);
    vi.stubGlobal('confirm', () => true);
    render(<PersonalTokens accounts={[account]} />);
    fireEvent.click(await screen.findByRole('button', { name: /^Revoke/ }));
    await screen.findByText('No personal tokens.');
    expect(fetch.mock.calls[1][0]).toBe('/settings/tokens/t1');
    expect(fetch.mock.calls[1][1].method).toBe('DELETE');
  });
});
