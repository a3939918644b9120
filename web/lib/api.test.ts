import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, onApiSignal, request, signInURL } from './api';
import { ApiError } from './errors';

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = 'jarvis_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

function stubFetch(res: () => Response) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => res());
  vi.stubGlobal('fetch', fn);
  return fn;
}

describe('request', () => {
  it('sends the CSRF cookie as a header on unsafe methods only', async () => {
    document.cookie = 'jarvis_csrf=tok%2B1';
    const fetch = stubFetch(() => new Response(null, { status: 204 }));
    await request('/auth/logout', { method: 'POST' });
    let init = fetch.mock.calls[0][1]!;
    expect(new Headers(init.headers).get('X-CSRF-Token')).toBe('tok+1');
    expect(init.credentials).toBe('same-origin');
    await request('/me');
    init = fetch.mock.calls[1][1]!;
    expect(new Headers(init.headers).get('X-CSRF-Token')).toBeNull();
  });

  it('sends one Idempotency-Key with a draft', async () => {
    const fetch = stubFetch(() => new Response('{"draft_id":"d","message_id":"m","thread_id":"t"}', { status: 201, headers: { 'Content-Type': 'application/json' } }));
    const r = await api.createDraft({ to: ['a@example.com'], cc: [], bcc: [], subject: 's', body_text: 'b' }, 'key-1');
    expect(r.draft_id).toBe('d');
    expect(new Headers(fetch.mock.calls[0][1]!.headers).get('Idempotency-Key')).toBe('key-1');
  });

  it('throws ApiError and signals a Google reauth', async () => {
    stubFetch(() => new Response(JSON.stringify({ status: 409, code: 'google_reauth_required', title: 'Conflict' }), { status: 409, headers: { 'Content-Type': 'application/problem+json' } }));
    const signals: string[] = [];
    const off = onApiSignal((s) => signals.push(s));
    await expect(api.threads({})).rejects.toBeInstanceOf(ApiError);
    off();
    expect(signals).toContain('reauth');
  });

  it('signals an unreachable server', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    const signals: string[] = [];
    const off = onApiSignal((s) => signals.push(s));
    await expect(api.labels()).rejects.toMatchObject({ code: 'unreachable' });
    off();
    expect(signals).toEqual(['unreachable']);
  });
});

describe('requestHeaders', () => {
  it('keeps an explicit Accept (the chat stream asks for text/event-stream)', async () => {
    const { requestHeaders } = await import('./api');
    expect(requestHeaders('POST', true, { Accept: 'text/event-stream' }).get('Accept')).toBe('text/event-stream');
    expect(requestHeaders('GET', false).get('Accept')).toContain('application/json');
  });
});

describe('signInURL', () => {
  it('passes relative redirects only', () => {
    expect(signInURL('/thread?id=1')).toBe('/auth/google/start?redirect=%2Fthread%3Fid%3D1');
    expect(signInURL('//evil.example')).toBe('/auth/google/start');
    expect(signInURL('https://evil.example')).toBe('/auth/google/start');
    expect(signInURL()).toBe('/auth/google/start');
  });
});
