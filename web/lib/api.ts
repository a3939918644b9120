// The API client: same-origin fetch with the session cookie, the CSRF double
// submit on unsafe methods, and problem+json errors as ApiError.

import { ApiError, UNREACHABLE, problemFromResponse } from './errors';
import { readCookie } from './cookies';
import type {
  AccountRef, Action, AuditEntry, CalendarEvent, Conversation, ConversationSummary, DraftRequest, DraftResult, EventRequest,
  EventScope, GoogleAccount, Invitation, LabelList, Me, Member, Policy, PolicyView, Role, ScheduledSend, SendRequest, SendResult, Slot,
  SyncStatus, Thread, ThreadChange, ThreadPage,
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
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
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
  // A FormData body is sent with its own multipart boundary: hasBody is false for it.
  if (hasBody) h.set('Content-Type', 'application/json');
  if (unsafe.has(method)) h.set(CSRF_HEADER, readCookie(CSRF_COOKIE));
  return h;
}

/** send performs a request and returns the raw response, throwing ApiError on failure. */
export async function send(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method || 'GET';
  const form = typeof FormData !== 'undefined' && opts.body instanceof FormData;
  const hasBody = opts.body !== undefined && !form;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: requestHeaders(method, hasBody, opts.headers),
      body: form ? (opts.body as FormData) : hasBody ? JSON.stringify(opts.body) : undefined,
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

/**
 * draftBody is a draft's (or a send's) request body: JSON, or with files
 * multipart/form-data — the fields' JSON in the (non-file) part named
 * "draft" beside one "attachments" part per file.
 */
export function draftBody(fields: object, files?: File[]): object | FormData {
  if (!files || files.length === 0) return fields;
  const f = new FormData();
  f.set('draft', JSON.stringify(fields));
  for (const file of files) f.append('attachments', file, file.name);
  return f;
}

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
  createDraft: (draft: DraftRequest & { reply_all?: boolean; forward_message_id?: string }, idempotencyKey: string, account?: string, files?: File[]) =>
    request<DraftResult>(`/gmail/draft${query({ account })}`, { method: 'POST', body: draftBody(draft, files), headers: { 'Idempotency-Key': idempotencyKey } }),
  /** updateDraft replaces a draft's content (its id stays). */
  updateDraft: (id: string, draft: DraftRequest, account?: string, files?: File[]) =>
    request<DraftResult>(`/gmail/drafts/${seg(id)}${query({ account })}`, { method: 'PUT', body: draftBody(draft, files) }),
  deleteDraft: (id: string, account?: string) => request<void>(`/gmail/drafts/${seg(id)}${query({ account })}`, { method: 'DELETE' }),
  sendDraft: (id: string, idempotencyKey: string, account?: string, sendAt?: string) =>
    request<SendResult>(`/gmail/drafts/${seg(id)}/send${query({ account })}`, {
      method: 'POST', body: sendAt ? { send_at: sendAt } : {}, headers: { 'Idempotency-Key': idempotencyKey },
    }),

  /** sendMessage sends now (with an undo window) or at send_at; Jarvis holds it until then. */
  sendMessage: (msg: SendRequest, idempotencyKey: string, account?: string, files?: File[]) =>
    request<SendResult>(`/gmail/messages${query({ account })}`, { method: 'POST', body: draftBody(msg, files), headers: { 'Idempotency-Key': idempotencyKey } }),
  /** cancelScheduled undoes a send in its undo window, or cancels a scheduled one. */
  cancelScheduled: (id: string) => request<void>(`/gmail/scheduled/${seg(id)}`, { method: 'DELETE' }),
  /** scheduled lists the sends still to go, of every account, the soonest first. */
  scheduled: (signal?: AbortSignal) => request<{ sends: ScheduledSend[] }>('/gmail/scheduled', { signal }),

  /** modifyThread adds and removes labels on a thread: archive, read state, star. */
  modifyThread: (id: string, change: { add_labels?: string[]; remove_labels?: string[] }, account?: string) =>
    request<ThreadChange>(`/gmail/threads/${seg(id)}/modify${query({ account })}`, { method: 'POST', body: change }),
  /** trashThread moves a thread to the trash (untrash: out of it); nothing is deleted for good. */
  trashThread: (id: string, trash: boolean, account?: string) =>
    request<ThreadChange>(`/gmail/threads/${seg(id)}/${trash ? 'trash' : 'untrash'}${query({ account })}`, { method: 'POST' }),

  upcoming: (days: number, account?: string, signal?: AbortSignal) =>
    request<{ events: CalendarEvent[] }>(`/calendar/upcoming${query({ account, days, max_results: 250 })}`, { signal }),
  createEvent: (ev: EventRequest, idempotencyKey: string, account?: string) =>
    request<CalendarEvent>(`/calendar/events${query({ account })}`, { method: 'POST', body: ev, headers: { 'Idempotency-Key': idempotencyKey } }),
  updateEvent: (id: string, ev: EventRequest, account?: string) =>
    request<CalendarEvent>(`/calendar/events/${seg(id)}${query({ account })}`, { method: 'PATCH', body: ev }),
  cancelEvent: (id: string, scope?: EventScope, account?: string, sendUpdates: 'all' | 'none' = 'all') =>
    request<CalendarEvent>(`/calendar/events/${seg(id)}${query({ account, scope, send_updates: sendUpdates })}`, { method: 'DELETE' }),
  rsvp: (id: string, response: 'accepted' | 'declined' | 'tentative', comment: string, account?: string) =>
    request<CalendarEvent>(`/calendar/events/${seg(id)}/rsvp${query({ account })}`, { method: 'POST', body: comment ? { response, comment } : { response } }),
  suggest: (p: { attendees: string[]; duration_minutes: number; within?: { start: string; end: string }; max_results?: number }, account?: string) =>
    request<{ proposals: Slot[]; time_zone: string; unknown_attendees?: string[] }>(`/calendar/suggest${query({ account })}`, { method: 'POST', body: p }),

  conversations: (page_token?: string, signal?: AbortSignal) =>
    request<{ conversations: ConversationSummary[]; next_page_token?: string }>(`/conversations${query({ page_token })}`, { signal }),
  conversation: (id: string, signal?: AbortSignal) => request<Conversation>(`/conversations/${seg(id)}`, { signal }),
  deleteConversation: (id: string) => request<void>(`/conversations/${seg(id)}`, { method: 'DELETE' }),
  decide: (approvalId: string, decision: 'approve' | 'reject') =>
    request<{ approval_id: string; status: string; result?: { draft_id: string; message_id: string; thread_id: string } }>(
      `/chat/approvals/${seg(approvalId)}`, { method: 'POST', body: { decision } }),

  actions: (status?: string, signal?: AbortSignal) =>
    request<{ actions: Action[]; next_page_token?: string }>(`/actions${query({ status })}`, { signal }),
  action: (id: string, signal?: AbortSignal) => request<Action>(`/actions/${seg(id)}`, { signal }),
  decideAction: (id: string, decision: 'approve' | 'reject') => request<Action>(`/actions/${seg(id)}/${decision}`, { method: 'POST' }),
  policy: (signal?: AbortSignal) => request<PolicyView>('/settings/policy', { signal }),
  setPolicy: (p: Policy) => request<PolicyView>('/settings/policy', { method: 'PUT', body: p }),

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
