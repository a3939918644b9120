import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import type { Message, Thread } from '@/lib/types';
import { MessageView } from './MessageView';
import { openMessages } from './ThreadView';

const msg = (id: string, labels: string[] = []): Message => ({
  id, from: { name: `Sender ${id}`, email: `${id}@example.com` }, to: [], cc: [], subject: 's', date: '2026-11-24T10:00:00Z',
  snippet: `snippet ${id}`, text: `text ${id}`, html: '', attachments: [], labels, message_id_header: '',
});

describe('a long thread', () => {
  it('opens the unread messages and the last, as Gmail does', () => {
    const t: Thread = { id: 't', subject: 's', messages: [msg('a'), msg('b', ['UNREAD']), msg('c'), msg('d')] };
    expect(openMessages(t)).toEqual(['b', 'd']);
    expect(openMessages({ ...t, messages: [msg('only')] })).toEqual(['only']);
    expect(openMessages(null)).toEqual([]);
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
