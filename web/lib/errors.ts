// Problem details (RFC 9457) from the API, and the words a person reads.

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  field?: string;
  request_id?: string;
  /** The Google account the problem is about (the one to reconnect). */
  account?: { id: string; email: string };
}

/** ApiError is what every failed API call throws. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly detail?: string;
  readonly requestId?: string;
  /** Seconds to wait before trying again, from the Retry-After header. */
  readonly retryAfter?: number;
  /** The Google account the problem is about. */
  readonly account?: { id: string; email: string };

  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail || problem.title || problem.code);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.field = problem.field || undefined;
    this.detail = problem.detail || undefined;
    this.requestId = problem.request_id || undefined;
    this.retryAfter = retryAfter;
    this.account = problem.account;
  }
}

/** Code used when the server could not be reached at all. */
export const UNREACHABLE = 'unreachable';

const codeForStatus: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  502: 'upstream_unavailable',
  503: 'upstream_unavailable',
  504: 'upstream_timeout',
};

/**
 * parseRetryAfter reads a Retry-After header, either seconds or an HTTP date,
 * and returns whole seconds from now (never negative), or undefined.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return parseInt(trimmed, 10);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * problemFromResponse turns a failed response into an ApiError. A body that
 * is not problem+json (a proxy's HTML page, an empty body) still yields an
 * error with a code derived from the status.
 */
export async function problemFromResponse(res: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
  let body: Partial<Problem> | null = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      body = (await res.json()) as Partial<Problem>;
    } catch {
      body = null;
    }
  }
  const code =
    (body && typeof body.code === 'string' && body.code) ||
    codeForStatus[res.status] ||
    (res.status >= 500 ? 'internal' : 'invalid_request');
  return new ApiError(
    {
      type: body?.type,
      title: body?.title,
      status: typeof body?.status === 'number' ? body.status : res.status,
      detail: typeof body?.detail === 'string' ? body.detail : undefined,
      code,
      field: typeof body?.field === 'string' ? body.field : undefined,
      request_id: typeof body?.request_id === 'string' ? body.request_id : undefined,
      account: body?.account && typeof body.account.id === 'string' && typeof body.account.email === 'string'
        ? { id: body.account.id, email: body.account.email } : undefined,
    },
    retryAfter,
  );
}

export interface ErrorView {
  /** Short headline. */
  title: string;
  /** A sentence that says what happened and what to do. */
  message: string;
  /** The input the error is about, when the API named one. */
  field?: string;
  /** Seconds until a retry makes sense. */
  retryAfter?: number;
  /** What the person can do about it. */
  action?: 'signin' | 'connect' | 'reconnect' | 'retry';
  /** The Google account to reconnect, when the error names one. */
  account?: { id: string; email: string };
  requestId?: string;
}

/** formatWait says "in 1 minute", "in 30 seconds", "in 2 hours". */
export function formatWait(seconds: number): string {
  if (seconds <= 1) return 'in a moment';
  if (seconds < 60) return `in ${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'in 1 minute' : `in ${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? 'in 1 hour' : `in ${hours} hours`;
}

/** What the dashboard knows beyond the error itself. */
export interface ErrorContext {
  /** False when the user has no Google connection (never made, or disconnected). */
  googleConnected?: boolean;
}

/** describeError maps any thrown value to words for a person. */
export function describeError(err: unknown, ctx: ErrorContext = {}): ErrorView {
  if (!(err instanceof ApiError)) {
    if (err instanceof Error && err.name === 'AbortError') {
      return { title: 'Cancelled', message: 'The request was cancelled.' };
    }
    return {
      title: 'Something went wrong',
      message: 'The dashboard hit an unexpected problem. Reload the page and try again.',
      action: 'retry',
    };
  }
  const detail = err.detail;
  const base = { requestId: err.requestId };
  switch (err.code) {
    case UNREACHABLE:
      return { ...base, title: 'Server unreachable', message: 'Jarvis is not answering. Check your connection; the dashboard retries on its own.', action: 'retry' };
    case 'invalid_request':
      return { ...base, title: 'Check this input', message: detail || 'Some of the input is not valid.', field: err.field };
    case 'unauthorized':
      return { ...base, title: 'Signed out', message: 'Your session has ended. Sign in again to continue.', action: 'signin' };
    case 'forbidden':
      return { ...base, title: 'Not allowed', message: detail || 'Your role does not allow this. Ask an owner or admin of the organisation.' };
    case 'scope_missing':
      return { ...base, title: 'Permission missing', message: 'Jarvis lacks a Google permission it needs. Reconnect Google and allow all requested permissions.', action: 'reconnect' };
    case 'not_found':
      return { ...base, title: 'Not found', message: detail || 'It may have been deleted or moved.' };
    case 'conflict':
      return { ...base, title: 'Conflict', message: detail || 'This clashes with the current state. Reload and try again.', field: err.field };
    case 'payload_too_large':
      return { ...base, title: 'Too large', message: detail || 'This is larger than Jarvis accepts. Shorten it and try again.', field: err.field };
    case 'rate_limited': {
      const when = err.retryAfter !== undefined ? formatWait(err.retryAfter) : 'in a little while';
      return { ...base, title: 'Slow down', message: `Too many requests. Try again ${when}.`, retryAfter: err.retryAfter, action: 'retry' };
    }
    case 'approval_expired':
      return { ...base, title: 'Expired', message: detail || 'This proposal expired and can no longer be approved. Ask the assistant again.' };
    case 'idempotency_key_reused':
      return { ...base, title: 'Already sent', message: 'This form was already submitted with different content. Start a new draft to send different content.' };
    case 'signup_closed':
      return { ...base, title: 'Sign-up closed', message: 'This Jarvis only lets in invited people. Ask an administrator to invite your Google address.' };
    case 'google_reauth_required':
      if (ctx.googleConnected === false) {
        return { ...base, title: 'Google is not connected', message: 'Connect your Google account so that Jarvis can read your mail and calendar.', action: 'connect' };
      }
      if (err.account) {
        return { ...base, title: 'Reconnect Google', message: `Google no longer accepts Jarvis’s access to ${err.account.email}. Reconnect it to continue.`, action: 'reconnect', account: err.account };
      }
      return { ...base, title: 'Reconnect Google', message: 'Google no longer accepts Jarvis’s access to your account. Reconnect to continue.', action: 'reconnect' };
    case 'google_account_linked_elsewhere':
      return { ...base, title: 'Account in use', message: detail || 'That Google account is already linked to another Jarvis user.' };
    case 'last_google_account':
      return { ...base, title: 'Your last Google account', message: detail || 'This is your last Google account.' };
    case 'upstream_unavailable': {
      const when = err.retryAfter !== undefined ? ` Try again ${formatWait(err.retryAfter)}.` : ' Try again shortly.';
      return { ...base, title: 'Google is unavailable', message: `Google did not answer properly.${when}`, retryAfter: err.retryAfter, action: 'retry' };
    }
    case 'upstream_timeout':
      return { ...base, title: 'Google is slow', message: 'Google took too long to answer. Try again.', action: 'retry' };
    case 'llm_unavailable':
      return { ...base, title: 'Assistant unavailable', message: 'The language model is not answering right now. Try again in a moment.', action: 'retry' };
    case 'service_unavailable': {
      const when = err.retryAfter !== undefined ? formatWait(err.retryAfter) : 'in a little while';
      return { ...base, title: 'Jarvis is busy', message: `Jarvis cannot reach its database right now. Try again ${when}.`, retryAfter: err.retryAfter, action: 'retry' };
    }
    default:
      return { ...base, title: 'Server error', message: 'Jarvis hit an internal error. Try again; if it persists, give the request id to your administrator.', action: 'retry' };
  }
}

/** Words for the sign-in failures the server redirects with (/signin?error=…). */
export function describeSignInError(code: string): string {
  switch (code) {
    case 'signup_closed':
      return 'This Jarvis only lets in invited people. Ask an administrator to invite your Google address.';
    case 'conflict':
      return 'This Google account’s email address belongs to a different Google account that is already linked to a Jarvis user, so it cannot sign in as that user. Sign in with the Google account you used before, or ask an administrator.';
    case 'access_denied':
      return 'Google sign-in was cancelled. Jarvis needs your permission to read mail and calendar.';
    case 'scope_missing':
      return 'Some permissions were not granted. Sign in again and allow all requested permissions.';
    case 'unauthorized':
      return 'Your session has ended. Sign in again.';
    case 'signin_other_browser':
      return 'This sign-in link was started in another browser, or took too long, so it did not sign you in. If you did not just start a sign-in here, someone may have sent you the link: do not use it. To sign in, start again below.';
    default:
      return 'Sign-in did not complete. Please try again.';
  }
}

/** Words for the failures of connecting another Google account (/settings?error=…). */
export function describeConnectError(code: string): string {
  switch (code) {
    case 'google_account_linked_elsewhere':
      return 'That Google account is already linked to another Jarvis user: a Google account can belong to one user only. Pick another account.';
    case 'signup_closed':
      return 'This Jarvis does not accept that Google account. Ask an administrator to allow its address or domain.';
    case 'access_denied':
      return 'Connecting the account was cancelled on Google’s page.';
    case 'signin_other_browser':
      return 'This link to connect an account was started in another browser, or took too long, so nothing was connected. If you did not just start it here, do not use the link. Start again below.';
    case 'forbidden':
      return 'This link to connect an account belongs to another Jarvis session, so nothing was connected. Start again below.';
    case 'invalid_request':
      return 'The connection took too long or was already used. Start again below.';
    default:
      return 'The Google account was not connected. Please try again.';
  }
}
