import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Composer, fieldOf, localInputValue } from './Composer';

afterEach(() => vi.unstubAllGlobals());

const json = (status: number, body: object, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

describe('Composer', () => {
  it('maps API field names', () => {
    expect(fieldOf('to')).toBe('to');
    expect(fieldOf('cc[1]')).toBe('cc');
    expect(fieldOf('body_text')).toBe('body_text');
    expect(fieldOf('nope')).toBeUndefined();
  });

  it('shows an API error next to the field it names, then retries with a new key', async () => {
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(400, { status: 400, code: 'invalid_request', field: 'cc', detail: 'cc: "bob" is not an email address' }, 'application/problem+json'))
      .mockResolvedValueOnce(json(201, { draft_id: 'd', message_id: 'm', thread_id: 't' }));
    vi.stubGlobal('fetch', fetch);
    render(<Composer title="Reply" initial={{ to: 'ada@example.com', cc: 'bob', subject: 'Re: hi' }} replyToThreadId="t" />);
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByText('cc: "bob" is not an email address')).toBeTruthy());
    const cc = screen.getByLabelText('Cc');
    expect(cc.getAttribute('aria-invalid')).toBe('true');
    expect(cc.getAttribute('aria-describedby')).toBe('compose-cc-error');
    fireEvent.change(cc, { target: { value: 'bob@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByText('Draft saved in Gmail.')).toBeTruthy());
    const [, first] = fetch.mock.calls[0];
    const [, second] = fetch.mock.calls[1];
    expect(JSON.parse(second.body)).toMatchObject({ to: ['ada@example.com'], cc: ['bob@example.com'], reply_to_thread_id: 't' });
    expect(new Headers(first.headers).get('Idempotency-Key')).not.toBe(new Headers(second.headers).get('Idempotency-Key'));
  });

  it('sends one request with one key on a double click', async () => {
    let resolve!: (r: Response) => void;
    const fetch = vi.fn(() => new Promise<Response>((r) => { resolve = r; }));
    vi.stubGlobal('fetch', fetch);
    render(<Composer title="New" initial={{ to: 'ada@example.com' }} />);
    const button = screen.getByRole('button', { name: 'Save draft' });
    fireEvent.click(button);
    fireEvent.click(button);
    expect(fetch).toHaveBeenCalledTimes(1);
    resolve(json(201, { draft_id: 'd', message_id: 'm', thread_id: 't' }));
    await waitFor(() => expect(screen.getByText('Draft saved in Gmail.')).toBeTruthy());
  });

  it('keeps the key after a network failure, so a retry cannot make a second draft', async () => {
    const fetch = vi.fn()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(json(201, { draft_id: 'd', message_id: 'm', thread_id: 't' }));
    vi.stubGlobal('fetch', fetch);
    render(<Composer title="New" initial={{ to: 'ada@example.com' }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByRole('alert')).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByText('Draft saved in Gmail.')).toBeTruthy());
    const k1 = new Headers(fetch.mock.calls[0][1].headers).get('Idempotency-Key');
    const k2 = new Headers(fetch.mock.calls[1][1].headers).get('Idempotency-Key');
    expect(k1).toBe(k2);
  });

  it('starts a new, empty draft after saving one', async () => {
    const fetch = vi.fn().mockResolvedValue(json(201, { draft_id: 'd', message_id: 'm', thread_id: 't' }));
    vi.stubGlobal('fetch', fetch);
    render(<Composer title="New draft" headingLevel={1} initial={{ to: 'ada@example.com', subject: 'Hi' }} />);
    expect(screen.getByRole('heading', { level: 1, name: 'New draft' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByText('Draft saved in Gmail.')).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: 'New message' }));
    expect((screen.getByLabelText('To') as HTMLInputElement).value).toBe('');
    fireEvent.change(screen.getByLabelText('To'), { target: { value: 'grace@example.com' } });
    fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'Hello' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
    const keys = fetch.mock.calls.map((c) => new Headers(c[1].headers).get('Idempotency-Key'));
    expect(keys[0]).not.toBe(keys[1]);
  });
});

describe('sending', () => {
  it('sends once with one key, announces the send, and an undo brings the message back', async () => {
    const { onSend, clearSend } = await import('@/lib/sends');
    const until = new Date(Date.now() + 10_000).toISOString();
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(202, { scheduled_id: 's1', undo_until: until, thread_id: 't' }));
    vi.stubGlobal('fetch', fetch);
    const seen: unknown[] = [];
    const off = onSend((s) => seen.push(s));
    render(<Composer title="Reply all" mode="reply_all" initial={{ to: 'grace@example.com', cc: 'bob@example.com', subject: 'Re: hi' }} replyToThreadId="t" />);
    const button = screen.getByRole('button', { name: 'Send' });
    fireEvent.click(button);
    fireEvent.click(button);
    await waitFor(() => expect(screen.getByText('Message sent.')).toBeTruthy());
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/gmail/messages');
    // Recipients as proposed: the server fills them by its reply-all rule.
    expect(JSON.parse(init.body)).toMatchObject({ to: [], cc: [], reply_all: true, reply_to_thread_id: 't' });
    expect(new Headers(init.headers).get('Idempotency-Key')).toBeTruthy();
    const last = seen[seen.length - 1] as { result: { scheduled_id: string }; onUndone: () => void };
    expect(last.result.scheduled_id).toBe('s1');
    last.onUndone();
    await waitFor(() => expect((screen.getByLabelText('Message') as HTMLTextAreaElement)).toBeTruthy());
    expect((screen.getByLabelText('Cc') as HTMLInputElement).value).toBe('bob@example.com');
    off();
    clearSend();
  });

  it('schedules at the chosen local time, refusing one in the past', async () => {
    const fetch = vi.fn().mockResolvedValue(json(202, { scheduled_id: 's2', thread_id: 't' }));
    vi.stubGlobal('fetch', fetch);
    render(<Composer title="New" initial={{ to: 'ada@example.com' }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Schedule…' }));
    fireEvent.change(screen.getByLabelText('Send at'), { target: { value: '2001-01-01T09:00' } });
    fireEvent.click(screen.getByRole('button', { name: 'Schedule send' }));
    expect(screen.getByText('Pick a time in the future.')).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();
    const later = new Date(Date.now() + 86400_000);
    fireEvent.change(screen.getByLabelText('Send at'), { target: { value: localInputValue(later) } });
    fireEvent.click(screen.getByRole('button', { name: 'Schedule send' }));
    await waitFor(() => expect(screen.getByText('Scheduled.')).toBeTruthy());
    const body = JSON.parse(fetch.mock.calls[0][1].body);
    expect(Math.abs(Date.parse(body.send_at) - later.getTime())).toBeLessThan(60_000);
  });

  it('uploads attachments as multipart with the draft as JSON', async () => {
    const fetch = vi.fn().mockResolvedValue(json(201, { draft_id: 'd', message_id: 'm', thread_id: 't' }));
    vi.stubGlobal('fetch', fetch);
    render(<Composer title="New" initial={{ to: 'ada@example.com' }} />);
    const file = new File(['hello'], 'notes.txt', { type: 'text/plain' });
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [file] } });
    expect(screen.getByRole('list', { name: 'Attached files' }).textContent).toContain('notes.txt');
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    const init = fetch.mock.calls[0][1];
    expect(init.body).toBeInstanceOf(FormData);
    expect(new Headers(init.headers).get('Content-Type')).toBeNull();
    expect((init.body as FormData).getAll('attachments')).toHaveLength(1);
    expect(JSON.parse((init.body as FormData).get('draft') as string)).toMatchObject({ to: ['ada@example.com'] });
  });
});
