// The API client: same-origin fetch with the session cookie, the CSRF double
// submit on unsafe methods, and problem+json errors as ApiError.

import { ApiError, UNREACHABLE, problemFromResponse } from './errors';
import { readCookie } from './cookies';
import type {
  AccountRef, AuditEntry, CalendarEvent, Conversation, ConversationSummary, DraftRequest, DraftResult,
  GoogleAccount, Invitation, LabelList, Me, Member, Role, SyncStatus, Thread, ThreadChange, ThreadPage,
} from './types';

export const CSRF_COOKIE = 'jarvis_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/**
 * Signals the rest of the app listens to: the session ended, Google wants
 * a new consent, or the server stopped (or started again) answering.
 */
export type ApiSignal = 'unauthorized' | 'reauth' | 'unreachable' | 'reachable';
type Listener = (s: ApiSignal, account?: AccountRef) => void;
const listeners = new Set<Listener>();

export function onApiSignal(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** emitApiSignal announces s; a 'reauth' names the account to reconnect when the server did. */
export function emitApiSignal(s: ApiSignal, account?: AccountRef) {
  for (const fn of listeners) fn(s, account);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not announce a 401 to the app (used by the session probe). */
  quiet?: boolean;
}

const unsafe = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);

/** requestHeaders builds the headers of a request, adding the CSRF token on unsafe methods. */
export function requestHeaders(method: string, hasBody: boolean, extra?: Record<string, string>): Headers {
  const h = new Headers(extra);
  if (!h.has('Accept')) h.set('Accept', 'application/json, application/problem+json');
  if (hasBody) h.set('Content-Type', 'application/json');
  if (unsafe.has(method)) h.set(CSRF_HEADER, readCookie(CSRF_COOKIE));
  return h;
}

/** send performs a request and returns the raw response, throwing ApiError on failure. */
export async function send(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method || 'GET';
  const hasBody = opts.body !== undefined;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: requestHeaders(method, hasBody, opts.headers),
      body: hasBody ? JSON.stringify(opts.body) : undefined,
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof Error && err.name === 'AbortError') throw err;
    emitApiSignal('unreachable');
    throw new ApiError({ status: 0, code: UNREACHABLE, detail: 'The server could not be reached.' });
  }
  if (res.ok) {
    emitApiSignal('reachable');
    return res;
  }
  const isProblem = (res.headers.get('Content-Type') || '').includes('json');
  if (!isProblem && (res.status === 502 || res.status === 503 || res.status === 504)) {
    // A proxy in front of Jarvis answered for it: Jarvis itself is down.
    emitApiSignal('unreachable');
    throw new ApiError({ status: res.status, code: UNREACHABLE, detail: 'The server could not be reached.' });
  }
  emitApiSignal('reachable');
  const err = await problemFromResponse(res);
  if (err.code === 'unauthorized' && !opts.quiet) emitApiSignal('unauthorized');
  if (err.code === 'google_reauth_required') emitApiSignal('reauth', err.account);
  throw err;
}

/** request performs a request and decodes its JSON answer (undefined for 204). */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** query encodes the non-empty parameters as a query string, with its leading '?'. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const seg = encodeURIComponent;

/** newIdempotencyKey returns a fresh random key for one creating request. */
export function newIdempotencyKey(): string {
  const c: Crypto = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** signInURL is where the browser goes to sign in (or reconnect) with Google. */
export function signInURL(redirect?: string): string {
  // Only same-site relative paths are accepted by the server as a redirect.
  if (redirect && redirect.startsWith('/') && !redirect.startsWith('//')) {
    return `/auth/google/start${query({ redirect })}`;
  }
  return '/auth/google/start';
}

export const api = {
  me: (signal?: AbortSignal) => request<Me>('/me', { signal, quiet: true }),
  health: () => request<{ status: string }>('/health'),
  logout: () => request<void>('/auth/logout', { method: 'POST' }),
  logoutAll: () => request<void>('/auth/logout-all', { method: 'POST' }),
  disconnectGoogle: () => request<void>('/auth/google', { method: 'DELETE' }),

  accounts: (signal?: AbortSignal) => request<{ accounts: GoogleAccount[] }>('/accounts', { signal, quiet: true }),
  /** connectAccount starts connecting another Google account (or reconnecting the one login_hint names). */
  connectAccount: (p: { login_hint?: string; redirect?: string } = {}) =>
    request<{ authorization_url: string; state: string }>('/accounts/connect', { method: 'POST', body: p }),
  makePrimary: (id: string) => request<GoogleAccount>(`/accounts/${seg(id)}`, { method: 'PATCH', body: { primary: true } }),
  disconnectAccount: (id: string, keepLogin = false) =>
    request<void>(`/accounts/${seg(id)}${keepLogin ? '?keep_login_without_google=true' : ''}`, { method: 'DELETE' }),

  /** syncStatus says how far the account's sync into the index is. */
  syncStatus: (id: string, signal?: AbortSignal) => request<SyncStatus>(`/accounts/${seg(id)}/sync`, { signal }),

  labels: (account?: string, signal?: AbortSignal) => request<LabelList>(`/gmail/labels${query({ account })}`, { signal }),
  threads: (p: { account?: string; q?: string; label?: string; page_token?: string; max_results?: number }, signal?: AbortSignal) =>
    request<ThreadPage>(`/gmail/threads${query(p)}`, { signal }),
  thread: (id: string, account?: string, signal?: AbortSignal) => request<Thread>(`/gmail/thread/${seg(id)}${query({ account })}`, { signal }),
  messageHTMLURL: (messageId: string, images: boolean, account?: string) =>
    `/gmail/message/${seg(messageId)}/html${query({ account, images: images ? 1 : undefined })}`,
  attachmentURL: (messageId: string, attachmentId: string, account?: string) =>
    `/gmail/message/${seg(messageId)}/attachment/${seg(attachmentId)}${query({ account })}`,
  createDraft: (draft: DraftRequest, idempotencyKey: string, account?: string) =>
    request<DraftResult>(`/gmail/draft${query({ account })}`, { method: 'POST', body: draft, headers: { 'Idempotency-Key': idempotencyKey } }),

  /** modifyThread adds and removes labels on a thread: archive, read state, star. */
  modifyThread: (id: string, change: { add_labels?: string[]; remove_labels?: string[] }, account?: string) =>
    request<ThreadChange>(`/gmail/threads/${seg(id)}/modify${query({ account })}`, { method: 'POST', body: change }),
  /** trashThread moves a thread to the trash (untrash: out of it); nothing is deleted for good. */
  trashThread: (id: string, trash: boolean, account?: string) =>
    request<ThreadChange>(`/gmail/threads/${seg(id)}/${trash ? 'trash' : 'untrash'}${query({ account })}`, { method: 'POST' }),

  upcoming: (days: number, account?: string, signal?: AbortSignal) =>
    request<{ events: CalendarEvent[] }>(`/calendar/upcoming${query({ account, days, max_results: 250 })}`, { signal }),

  conversations: (page_token?: string, signal?: AbortSignal) =>
    request<{ conversations: ConversationSummary[]; next_page_token?: string }>(`/conversations${query({ page_token })}`, { signal }),
  conversation: (id: string, signal?: AbortSignal) => request<Conversation>(`/conversations/${seg(id)}`, { signal }),
  deleteConversation: (id: string) => request<void>(`/conversations/${seg(id)}`, { method: 'DELETE' }),
  decide: (approvalId: string, decision: 'approve' | 'reject') =>
    request<{ approval_id: string; status: string; result?: { draft_id: string; message_id: string; thread_id: string } }>(
      `/chat/approvals/${seg(approvalId)}`, { method: 'POST', body: { decision } }),

  members: (orgId: string, signal?: AbortSignal) => request<{ members: Member[] }>(`/orgs/${seg(orgId)}/members`, { signal }),
  invite: (orgId: string, email: string, role: Role) =>
    request<Invitation>(`/orgs/${seg(orgId)}/members`, { method: 'POST', body: { email, role } }),
  orgInvitations: (orgId: string, signal?: AbortSignal) =>
    request<{ invitations: Invitation[] }>(`/orgs/${seg(orgId)}/invitations`, { signal }),
  withdrawInvitation: (orgId: string, id: string) =>
    request<void>(`/orgs/${seg(orgId)}/invitations/${seg(id)}`, { method: 'DELETE' }),
  myInvitations: (signal?: AbortSignal) => request<{ invitations: Invitation[] }>('/invitations', { signal }),
  answerInvitation: (id: string, answer: 'accept' | 'decline') =>
    request<Member | void>(`/invitations/${seg(id)}/${answer}`, { method: 'POST' }),
  leaveOrg: (orgId: string) => request<void>(`/orgs/${seg(orgId)}/members/me`, { method: 'DELETE' }),
  setRole: (orgId: string, userId: string, role: Role) =>
    request<Member>(`/orgs/${seg(orgId)}/members/${seg(userId)}`, { method: 'PATCH', body: { role } }),
  removeMember: (orgId: string, userId: string) =>
    request<void>(`/orgs/${seg(orgId)}/members/${seg(userId)}`, { method: 'DELETE' }),
  auditLogs: (orgId: string, p: { action?: string; actor_user_id?: string; page_token?: string; max_results?: number }, signal?: AbortSignal) =>
    request<{ entries: AuditEntry[]; next_page_token?: string }>(`/orgs/${seg(orgId)}/audit-logs${query(p)}`, { signal }),
};
