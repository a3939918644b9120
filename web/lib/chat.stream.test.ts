import { afterEach, describe, expect, it, vi } from 'vitest';
import { streamChat, type ChatEvent } from './chat';

afterEach(() => vi.unstubAllGlobals());

describe('streamChat', () => {
  it('asks for an event stream and delivers its events as they arrive', async () => {
    const enc = new TextEncoder();
    const parts = ['event: conversation\ndata: {"conversation_id":"c', '1"}\n\nevent: message.delta\nda', 'ta: {"text":"Hi"}\n\n'];
    const fetch = vi.fn(async () => new Response(new ReadableStream({
      start(c) {
        for (const p of parts) c.enqueue(enc.encode(p));
        c.close();
      },
    }), { status: 200, headers: { 'Content-Type': 'text/event-stream' } }));
    vi.stubGlobal('fetch', fetch);
    const got: ChatEvent[] = [];
    await streamChat('hello', undefined, (e) => got.push(e));
    expect(got).toEqual([{ type: 'conversation', conversation_id: 'c1' }, { type: 'message.delta', text: 'Hi' }]);
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get('Accept')).toBe('text/event-stream');
    expect(JSON.parse(init.body as string)).toEqual({ message: 'hello' });
  });

  it('throws the problem of a refused request', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ status: 503, code: 'llm_unavailable' }), { status: 503, headers: { 'Content-Type': 'application/problem+json' } })));
    await expect(streamChat('hello', 'c1', () => {})).rejects.toMatchObject({ code: 'llm_unavailable' });
  });
});
