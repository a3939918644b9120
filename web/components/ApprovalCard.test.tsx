import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ApprovalCard, visible } from './ApprovalCard';
import { ApiError } from '@/lib/errors';
import type { Approval } from '@/lib/types';

const approval: Approval = {
  id: 'a1',
  tool: 'create_draft',
  status: 'pending',
  proposal: {
    to: ['ada@example.com', 'bob@example.com'],
    cc: ['carol@example.com'],
    bcc: ['dan@example.com'],
    subject: 'Re: Quarterly numbers',
    body_text: 'Hi Ada,\n\nThanks — the numbers look right.\n\nGrace',
    reply_to_thread_id: 't9',
  },
};

describe('ApprovalCard', () => {
  it('shows the whole proposal', () => {
    render(<ApprovalCard approval={approval} decide={vi.fn()} />);
    expect(screen.getByText('ada@example.com, bob@example.com')).toBeTruthy();
    expect(screen.getByText('carol@example.com')).toBeTruthy();
    expect(screen.getByText('dan@example.com')).toBeTruthy();
    expect(screen.getByText('Re: Quarterly numbers')).toBeTruthy();
    expect(screen.getByLabelText('Proposed message').textContent).toBe(approval.proposal.body_text);
    expect(screen.getByRole('button', { name: 'Approve' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Reject' })).toBeTruthy();
  });

  it('approves once, even when clicked twice, and shows the result', async () => {
    let resolve!: (v: { status: string; result: Approval['result'] }) => void;
    const decide = vi.fn(() => new Promise<{ status: string; result: Approval['result'] }>((r) => { resolve = r; }));
    const onDecided = vi.fn();
    render(<ApprovalCard approval={approval} decide={decide} onDecided={onDecided} />);
    const approve = screen.getByRole('button', { name: 'Approve' });
    fireEvent.click(approve);
    fireEvent.click(approve);
    expect(decide).toHaveBeenCalledTimes(1);
    expect(decide).toHaveBeenCalledWith('a1', 'approve');
    resolve({ status: 'approved', result: { draft_id: 'd1', thread_id: 't9' } });
    await waitFor(() => expect(screen.getByText(/The draft is saved in Gmail/)).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(onDecided).toHaveBeenCalledWith({ status: 'approved', result: { draft_id: 'd1', thread_id: 't9' } });
    expect(screen.getByRole('link', { name: 'Open its thread' }).getAttribute('href')).toBe('/thread?id=t9');
  });

  it('rejects', async () => {
    const decide = vi.fn(async () => ({ status: 'rejected' }));
    render(<ApprovalCard approval={approval} decide={decide} />);
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(screen.getByText(/Nothing was saved/)).toBeTruthy());
    expect(decide).toHaveBeenCalledWith('a1', 'reject');
  });

  it('shows an error in words and keeps the buttons', async () => {
    const decide = vi.fn(async () => { throw new ApiError({ status: 429, code: 'rate_limited' }, 30); });
    render(<ApprovalCard approval={approval} decide={decide} />);
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Try again in 30 seconds'));
    expect(screen.getByRole('button', { name: 'Approve' })).toBeTruthy();
  });

  it('shows decided approvals without buttons', () => {
    render(<ApprovalCard approval={{ ...approval, status: 'expired' }} decide={vi.fn()} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByText(/Expired/)).toBeTruthy();
  });

  it('turns into Expired when the server says the proposal expired', async () => {
    const decide = vi.fn(async () => { throw new ApiError({ status: 410, code: 'approval_expired', detail: 'This proposal expired.' }); });
    const onDecided = vi.fn();
    render(<ApprovalCard approval={{ ...approval, expires_at: '2026-12-06T10:00:00Z' }} decide={decide} onDecided={onDecided} />);
    expect(screen.getByText(/Decide by/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(screen.getByText(/Expired/)).toBeTruthy());
    expect(screen.queryByRole('button')).toBeNull();
    expect(onDecided).toHaveBeenCalledWith({ status: 'expired' });
  });

  it('shows bidirectional controls as codes, isolated', () => {
    const evil = { ...approval, proposal: { ...approval.proposal, to: ['ada@example.com\u202Egro.live'], subject: 'Invoice \u2066fdp.exe\u2069' } };
    const { container } = render(<ApprovalCard approval={evil} decide={vi.fn()} />);
    expect(screen.getByText('ada@example.com⟨U+202E⟩gro.live')).toBeTruthy();
    expect(screen.getByText('Invoice ⟨U+2066⟩fdp.exe⟨U+2069⟩')).toBeTruthy();
    expect(container.textContent).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/);
    expect(container.querySelectorAll('dd > bdi').length).toBe(4);
    expect(visible('a\u200Eb\u200Fc')).toBe('a⟨U+200E⟩b⟨U+200F⟩c');
  });
});
