import { describe, expect, it } from 'vitest';
import { ApiError, describeError, describeSignInError, formatWait, parseRetryAfter, problemFromResponse, UNREACHABLE } from './errors';

function problem(status: number, body: object, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });
}

describe('problemFromResponse', () => {
  it('reads every field of a problem', async () => {
    const err = await problemFromResponse(
      problem(400, { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'to: not an address', code: 'invalid_request', field: 'to', request_id: 'r1' }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request', field: 'to', detail: 'to: not an address', requestId: 'r1' });
  });

  it('reads Retry-After on a rate limit', async () => {
    const err = await problemFromResponse(problem(429, { status: 429, code: 'rate_limited', title: 'Too Many Requests' }, { 'Retry-After': '30' }));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(30);
  });

  it('derives a code from the status when the body is not a problem', async () => {
    const err = await problemFromResponse(new Response('<html>oops</html>', { status: 404, headers: { 'Content-Type': 'text/html' } }));
    expect(err.code).toBe('not_found');
    const err2 = await problemFromResponse(new Response('{broken', { status: 500, headers: { 'Content-Type': 'application/problem+json' } }));
    expect(err2.code).toBe('internal');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120);
    const now = Date.parse('2026-11-26T09:00:00Z');
    expect(parseRetryAfter('Thu, 26 Nov 2026 09:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Thu, 26 Nov 2026 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('describeError', () => {
  const e = (code: string, extra: Partial<{ field: string; detail: string; retryAfter: number }> = {}) =>
    new ApiError({ status: 400, code, field: extra.field, detail: extra.detail }, extra.retryAfter);

  it('says the database is out of reach, and when to retry', () => {
    const v = describeError(e('service_unavailable', { retryAfter: 5 }));
    expect(v.message).toContain('in 5 seconds');
    expect(v.action).toBe('retry');
    expect(v.retryAfter).toBe(5);
  });

  it('says when to retry after a rate limit', () => {
    const v = describeError(e('rate_limited', { retryAfter: 90 }));
    expect(v.message).toBe('Too many requests. Try again in 2 minutes.');
    expect(v.retryAfter).toBe(90);
    expect(v.action).toBe('retry');
    expect(describeError(e('rate_limited')).message).toContain('in a little while');
  });

  it('keeps the field of an invalid request', () => {
    const v = describeError(e('invalid_request', { field: 'cc', detail: 'cc: "bob" is not an email address' }));
    expect(v).toMatchObject({ field: 'cc', message: 'cc: "bob" is not an email address' });
  });

  it('asks to reconnect Google', () => {
    expect(describeError(e('google_reauth_required')).action).toBe('reconnect');
    expect(describeError(e('scope_missing')).action).toBe('reconnect');
  });

  it('asks to sign in when signed out', () => {
    expect(describeError(e('unauthorized')).action).toBe('signin');
  });

  it('has words for every code of the API', () => {
    for (const code of ['invalid_request', 'unauthorized', 'forbidden', 'scope_missing', 'not_found', 'conflict', 'payload_too_large',
      'rate_limited', 'idempotency_key_reused', 'signup_closed', 'google_reauth_required', 'upstream_unavailable', 'upstream_timeout',
      'llm_unavailable', 'approval_expired', 'service_unavailable', 'internal', UNREACHABLE]) {
      const v = describeError(e(code));
      expect(v.title, code).not.toBe('');
      expect(v.message.length, code).toBeGreaterThan(10);
    }
  });

  it('never shows the text of unknown errors', () => {
    const v = describeError(new Error('TypeError: secret internals'));
    expect(v.message).not.toContain('secret');
  });

  it('formats waits', () => {
    expect(formatWait(1)).toBe('in a moment');
    expect(formatWait(30)).toBe('in 30 seconds');
    expect(formatWait(60)).toBe('in 1 minute');
    expect(formatWait(3600)).toBe('in 1 hour');
    expect(formatWait(7201)).toBe('in 3 hours');
  });
});

describe('describeSignInError', () => {
  it('explains a sign-in link opened in a browser that did not start it', () => {
    const text = describeSignInError('signin_other_browser');
    expect(text).toContain('started in another browser');
    expect(text).not.toBe(describeSignInError('something_else'));
  });

  it('explains a Google account refused because another one holds the email', () => {
    const text = describeSignInError('conflict');
    expect(text).toContain('different Google account');
    expect(text).not.toBe(describeSignInError('something_else'));
  });
});

describe('Google not connected', () => {
  it('says so, with a Connect action, when the user has no Google connection', async () => {
    const { ApiError: E, describeError: d } = await import('./errors');
    const err = new E({ status: 409, code: 'google_reauth_required', detail: 'x' });
    expect(d(err, { googleConnected: false })).toMatchObject({ title: 'Google is not connected', action: 'connect' });
    expect(d(err, { googleConnected: true })).toMatchObject({ title: 'Reconnect Google', action: 'reconnect' });
    expect(d(err).message).not.toContain('google_reauth_required');
  });
});

describe('several Google accounts', () => {
  it('names the account to reconnect when the problem does', async () => {
    const { ApiError: E, describeError: d } = await import('./errors');
    const err = new E({ status: 409, code: 'google_reauth_required', detail: 'x', account: { id: 'a2', email: 'grace@example.com' } });
    expect(d(err, { googleConnected: true })).toMatchObject({ action: 'reconnect', account: { id: 'a2', email: 'grace@example.com' } });
    expect(d(err).message).toContain('grace@example.com');
  });

  it('reads the account from a problem document', async () => {
    const { problemFromResponse } = await import('./errors');
    const res = new Response(JSON.stringify({ status: 409, code: 'google_reauth_required', account: { id: 'a2', email: 'grace@example.com' } }),
      { status: 409, headers: { 'Content-Type': 'application/problem+json' } });
    expect((await problemFromResponse(res)).account).toEqual({ id: 'a2', email: 'grace@example.com' });
  });

  it('explains why connecting an account failed', async () => {
    const { describeConnectError: c } = await import('./errors');
    expect(c('google_account_linked_elsewhere')).toContain('another Jarvis user');
    expect(c('signin_other_browser')).toContain('another browser');
    expect(c('something_else')).not.toBe(c('google_account_linked_elsewhere'));
  });
});
