// Streaming chat: POST /chat answers with text/event-stream. Each event's
// data is JSON; applyChatEvent folds the events into the visible turns.

import { requestHeaders, emitApiSignal } from './api';
import { ApiError, UNREACHABLE, problemFromResponse } from './errors';
import { readSSE } from './sse';
import type { AccountRef, Approval, ChatMessage, Proposal, ToolCall } from './types';

export type ChatEvent =
  | { type: 'conversation'; conversation_id: string }
  | { type: 'message.delta'; text: string }
  | { type: 'tool.call'; id: string; name: string; arguments: unknown }
  | { type: 'tool.result'; id: string; name: string; ok: boolean; summary: string }
  | { type: 'approval.required'; approval_id: string; action_id?: string; kind?: string; summary?: string; policy_flags?: string[] | null; tool: string; proposal: Proposal; account?: AccountRef; expires_at?: string }
  | { type: 'message.done'; message_id: string }
  | { type: 'error'; code: string; detail: string };

const known = new Set(['conversation', 'message.delta', 'tool.call', 'tool.result', 'approval.required', 'message.done', 'error']);

/** toChatEvent decodes one SSE event; unknown or malformed events yield null. */
export function toChatEvent(event: string, data: string): ChatEvent | null {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(data);
  } catch {
    return null;
  }
  if (!payload || typeof payload !== 'object') return null;
  const type = event && event !== 'message' ? event : String(payload.type ?? '');
  if (!known.has(type)) return null;
  return { ...payload, type } as ChatEvent;
}

/** streamChat sends a message and calls onEvent for each event until the stream ends. */
export async function streamChat(
  message: string,
  conversationId: string | undefined,
  onEvent: (e: ChatEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const headers = requestHeaders('POST', true, { Accept: 'text/event-stream' });
  let res: Response;
  try {
    res = await fetch('/chat', {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify(conversationId ? { conversation_id: conversationId, message } : { message }),
      signal,
    });
  } catch (err) {
    if (err instanceof Error && err.name === 'AbortError') throw err;
    emitApiSignal('unreachable');
    throw new ApiError({ status: 0, code: UNREACHABLE, detail: 'The server could not be reached.' });
  }
  if (!res.ok) {
    const err = await problemFromResponse(res);
    if (err.code === 'unauthorized') emitApiSignal('unauthorized');
    if (err.code === 'google_reauth_required') emitApiSignal('reauth', err.account);
    throw err;
  }
  emitApiSignal('reachable');
  if (!res.body) return;
  await readSSE(res.body, (ev) => {
    const ce = toChatEvent(ev.event, ev.data);
    if (ce) onEvent(ce);
  }, signal);
}

/** A tool call as shown while it runs. */
export interface ToolCallView extends ToolCall {
  state: 'running' | 'ok' | 'failed';
}

/** Why a turn ended early: a stream error event, or the request's problem. */
export interface TurnError {
  code: string;
  detail: string;
  retryAfter?: number;
}

/** A turn of the conversation as the page shows it. */
export interface Turn {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  toolCalls: ToolCallView[];
  approvals: Approval[];
  streaming: boolean;
  error?: TurnError;
}

export interface ChatState {
  conversationId?: string;
  turns: Turn[];
}

/** turnsFromHistory converts stored messages to turns. */
export function turnsFromHistory(messages: ChatMessage[]): Turn[] {
  return messages.map((m) => ({
    id: m.id,
    role: m.role,
    text: m.text || '',
    toolCalls: (m.tool_calls || []).map((t) => ({
      ...t,
      state: t.ok === undefined || t.ok === null ? 'ok' : t.ok ? 'ok' : 'failed',
    })),
    approvals: m.approvals || [],
    streaming: false,
  }));
}

/** startTurn adds the user's message and an empty, streaming assistant turn. */
export function startTurn(state: ChatState, text: string, localId: string): ChatState {
  return {
    ...state,
    turns: [
      ...state.turns,
      { id: `${localId}-user`, role: 'user', text, toolCalls: [], approvals: [], streaming: false },
      { id: `${localId}-assistant`, role: 'assistant', text: '', toolCalls: [], approvals: [], streaming: true },
    ],
  };
}

function updateLast(state: ChatState, fn: (t: Turn) => Turn): ChatState {
  const i = state.turns.length - 1;
  if (i < 0 || state.turns[i].role !== 'assistant') return state;
  const turns = state.turns.slice();
  turns[i] = fn(turns[i]);
  return { ...state, turns };
}

/** applyChatEvent folds one stream event into the state. */
export function applyChatEvent(state: ChatState, e: ChatEvent): ChatState {
  switch (e.type) {
    case 'conversation':
      return { ...state, conversationId: e.conversation_id };
    case 'message.delta':
      return updateLast(state, (t) => ({ ...t, text: t.text + (e.text || '') }));
    case 'tool.call':
      return updateLast(state, (t) => ({
        ...t,
        toolCalls: [...t.toolCalls.filter((c) => c.id !== e.id), { id: e.id, name: e.name, arguments: e.arguments, state: 'running' }],
      }));
    case 'tool.result':
      return updateLast(state, (t) => {
        const exists = t.toolCalls.some((c) => c.id === e.id);
        const done: ToolCallView = { id: e.id, name: e.name, arguments: undefined, ok: e.ok, summary: e.summary, state: e.ok ? 'ok' : 'failed' };
        return {
          ...t,
          toolCalls: exists
            ? t.toolCalls.map((c) => (c.id === e.id ? { ...c, ok: e.ok, summary: e.summary, state: done.state } : c))
            : [...t.toolCalls, done],
        };
      });
    case 'approval.required':
      return updateLast(state, (t) => ({
        ...t,
        approvals: [
          ...t.approvals.filter((a) => a.id !== e.approval_id),
          {
            id: e.approval_id, tool: e.tool, status: 'pending', proposal: e.proposal, account: e.account, expires_at: e.expires_at,
            ...(e.action_id ? { action_id: e.action_id, kind: e.kind, summary: e.summary, policy_flags: e.policy_flags } : {}),
          },
        ],
      }));
    case 'message.done':
      return updateLast(state, (t) => ({ ...t, id: e.message_id || t.id, streaming: false }));
    case 'error':
      return updateLast(state, (t) => ({ ...t, streaming: false, error: { code: e.code, detail: e.detail } }));
  }
}

/** finishTurn marks the last turn as no longer streaming (the stream ended or failed). */
export function finishTurn(state: ChatState, error?: TurnError): ChatState {
  return updateLast(state, (t) => ({ ...t, streaming: false, error: error ?? t.error }));
}

/** setApproval records a decision's outcome on whichever turn holds the approval. */
export function setApproval(state: ChatState, approvalId: string, patch: Partial<Approval>): ChatState {
  return {
    ...state,
    turns: state.turns.map((t) =>
      t.approvals.some((a) => a.id === approvalId)
        ? { ...t, approvals: t.approvals.map((a) => (a.id === approvalId ? { ...a, ...patch } : a)) }
        : t,
    ),
  };
}
