import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MyInvitations } from './Invitations';

afterEach(() => vi.unstubAllGlobals());

const json = (status: number, body?: object) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const invitation = {
  id: 'inv1', org_id: 'o1', email: 'grace@example.com', role: 'admin', status: 'pending', invited_by: 'u1',
  org_name: 'Ada’s team', invited_by_email: 'ada@example.com', created_at: '2026-12-01T10:00:00Z',
};

describe('MyInvitations', () => {
  it('shows nothing when nobody invited the user', async () => {
    const fetch = vi.fn().mockResolvedValue(json(200, { invitations: [] }));
    vi.stubGlobal('fetch', fetch);
    const { container } = render(<MyInvitations />);
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(container.textContent).toBe('');
  });

  it('shows who invited the user to which org, and joins on Join', async () => {
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(200, { invitations: [invitation] }))
      .mockResolvedValueOnce(json(200, { user_id: 'u2', email: 'grace@example.com', role: 'admin' }))
      .mockResolvedValueOnce(json(200, { invitations: [] }));
    vi.stubGlobal('fetch', fetch);
    render(<MyInvitations />);
    await waitFor(() => expect(screen.getByRole('region', { name: 'Invitations to you' }).textContent).toContain('ada@example.com invited you as admin'));
    fireEvent.click(screen.getByRole('button', { name: /^Join/ }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('You joined Ada’s team.'));
    const [url, init] = fetch.mock.calls[1];
    expect(url).toBe('/invitations/inv1/accept');
    expect(init.method).toBe('POST');
    expect(screen.queryByRole('button', { name: /^Join/ })).toBeNull();
  });

  it('declines on Decline', async () => {
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(200, { invitations: [invitation] }))
      .mockResolvedValueOnce(json(204))
      .mockResolvedValueOnce(json(200, { invitations: [] }));
    vi.stubGlobal('fetch', fetch);
    render(<MyInvitations />);
    fireEvent.click(await screen.findByRole('button', { name: /^Decline/ }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('You declined the invitation to Ada’s team.'));
    expect(fetch.mock.calls[1][0]).toBe('/invitations/inv1/decline');
  });
});
