'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, signInURL } from '@/lib/api';
import { applyChatEvent, finishTurn, setApproval, startTurn, streamChat, turnsFromHistory, type ChatState, type Turn } from '@/lib/chat';
import { ApiError } from '@/lib/errors';
import { refreshPending } from '@/lib/pending';
import type { Action, Approval, ConversationSummary } from '@/lib/types';
import { ActionCard } from './ActionCard';
import { ApprovalCard } from './ApprovalCard';
import { useGoogleConnected } from './Session';
import { ErrorNotice, Loading } from './States';

function ToolCalls({ turn }: { turn: Turn }) {
  if (turn.toolCalls.length === 0) return null;
  return (
    <ul className="plain" aria-label="Tool calls">
      {turn.toolCalls.map((c) => (
        <li key={c.id} className={`tool-call${c.state === 'failed' ? ' failed' : ''}`}>
          {c.state === 'running' ? 'Running' : c.state === 'ok' ? 'Ran' : 'Failed:'} <code>{c.name}</code>{c.state === 'running' && <span className="typing" aria-hidden="true" />}
          {c.summary ? ` — ${c.summary}` : ''}
        </li>
      ))}
    </ul>
  );
}

/** actionOf is a chat proposal as the approval queue's action. */
export function actionOf(a: Approval): Action {
  return {
    id: a.action_id || a.id, kind: a.kind || a.tool, status: a.status, summary: a.summary || '',
    requester: { type: 'assistant' }, account: a.account, payload: (a.proposal || {}) as unknown as Record<string, unknown>,
    policy: { flags: a.policy_flags || [] }, created_at: '', expires_at: a.expires_at,
  };
}

function TurnView({ turn, onDecided }: { turn: Turn; onDecided: (id: string, patch: object) => void }) {
  if (turn.role === 'user') {
    return <div className="turn turn-user"><span className="visually-hidden">You: </span>{turn.text}</div>;
  }
  return (
    <div className="turn turn-assistant">
      <span className="visually-hidden">Jarvis: </span>
      <ToolCalls turn={turn} />
      {(turn.text || turn.streaming) && (
        <div className={`turn-text${turn.streaming ? ' typing' : ''}`}>{turn.text}</div>
      )}
      {turn.approvals.map((a) => (a.action_id && a.kind && a.kind !== 'gmail.draft.create' ? (
        // Anything but a draft is shown as the Approvals page shows it: its payload, field by field.
        <ActionCard key={a.id} action={actionOf(a)} onDecided={(x) => onDecided(a.id, { status: x.status === 'executed' ? 'approved' : x.status as Approval['status'] })} />
      ) : (
        <ApprovalCard key={a.id} approval={a} onDecided={(patch) => onDecided(a.id, patch)} />
      )))}
      {turn.error && <ErrorNotice error={new ApiError({ status: 0, code: turn.error.code, detail: turn.error.detail }, turn.error.retryAfter)} />}
    </div>
  );
}

export function Assistant() {
  const params = useSearchParams();
  const router = useRouter();
  const googleConnected = useGoogleConnected();
  const selected = params.get('c') || '';
  const [list, setList] = useState<ConversationSummary[] | null>(null);
  const [listNext, setListNext] = useState<string | undefined>();
  const [listError, setListError] = useState<unknown>(null);
  const [state, setState] = useState<ChatState>({ turns: [] });
  const [loadingHistory, setLoadingHistory] = useState(false);
  const [historyError, setHistoryError] = useState<unknown>(null);
  const [input, setInput] = useState('');
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);
  const streamedId = useRef<string>('');
  const endRef = useRef<HTMLDivElement>(null);

  const loadList = useCallback(async (token?: string) => {
    try {
      const r = await api.conversations(token);
      setList((cur) => (token ? [...(cur || []), ...(r.conversations || [])] : r.conversations || []));
      setListNext(r.next_page_token || undefined);
      setListError(null);
    } catch (err) {
      setListError(err);
    }
  }, []);

  useEffect(() => {
    loadList();
  }, [loadList]);

  // Load the chosen conversation's history, unless we are the ones streaming into it.
  useEffect(() => {
    if (!selected) {
      if (!streamedId.current) setState({ turns: [] });
      return;
    }
    if (streamedId.current === selected) return;
    streamedId.current = '';
    const ctl = new AbortController();
    setLoadingHistory(true);
    setHistoryError(null);
    api.conversation(selected, ctl.signal).then(
      (c) => setState({ conversationId: c.id, turns: turnsFromHistory(c.messages || []) }),
      (err) => !ctl.signal.aborted && setHistoryError(err),
    ).finally(() => !ctl.signal.aborted && setLoadingHistory(false));
    return () => ctl.abort();
  }, [selected]);

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [state.turns]);

  useEffect(() => () => abort.current?.abort(), []);

  const send = async (e?: React.FormEvent) => {
    e?.preventDefault();
    const text = input.trim();
    if (!text || sending) return;
    setInput('');
    setSending(true);
    setSendError(null);
    const ctl = new AbortController();
    abort.current = ctl;
    let convId = state.conversationId;
    streamedId.current = convId || 'new';
    setState((s) => startTurn(s, text, `local-${Date.now()}`));
    try {
      await streamChat(text, convId, (ev) => {
        if (ev.type === 'conversation' && ev.conversation_id !== convId) {
          convId = ev.conversation_id;
          streamedId.current = convId;
          router.replace(`/assistant?c=${encodeURIComponent(convId)}`);
        }
        setState((s) => applyChatEvent(s, ev));
        if (ev.type === 'approval.required') void refreshPending();
      }, ctl.signal);
      setState((s) => finishTurn(s));
    } catch (err) {
      if (!(err instanceof Error && err.name === 'AbortError')) {
        const v = err instanceof ApiError ? { code: err.code, detail: err.detail || '', retryAfter: err.retryAfter } : { code: 'internal', detail: '' };
        setState((s) => finishTurn(s, v));
        setSendError(err);
      }
    } finally {
      setSending(false);
      loadList();
    }
  };

  const remove = async () => {
    if (!selected || !window.confirm('Delete this conversation?')) return;
    try {
      await api.deleteConversation(selected);
      streamedId.current = '';
      setState({ turns: [] });
      router.replace('/assistant');
      loadList();
    } catch (err) {
      setHistoryError(err);
    }
  };

  const newChat = () => {
    abort.current?.abort();
    streamedId.current = '';
    setState({ turns: [] });
    router.push('/assistant');
  };

  return (
    <div className="chat">
      <aside aria-labelledby="conversations-title">
        <div className="row">
          <h2 id="conversations-title" className="spacer">Conversations</h2>
          <button type="button" onClick={newChat}>New chat</button>
        </div>
        {listError ? <ErrorNotice error={listError} onRetry={() => loadList()} /> : list === null ? <Loading label="Loading conversations" lines={4} /> : list.length === 0 ? (
          <p className="muted small">No conversations yet. Ask Jarvis something to start one.</p>
        ) : (
          <ul className="chat-list">
            {list.map((c) => (
              <li key={c.id}>
                <Link prefetch={false} href={`/assistant?c=${encodeURIComponent(c.id)}`} aria-current={c.id === selected ? 'true' : undefined}>
                  {c.title || 'Untitled conversation'}
                </Link>
              </li>
            ))}
          </ul>
        )}
        {listNext && <button type="button" onClick={() => loadList(listNext)}>More conversations</button>}
      </aside>
      <section aria-labelledby="chat-title">
        <div className="row">
          <h1 id="chat-title" className="spacer">Assistant</h1>
          {selected && <button type="button" className="danger" onClick={remove}>Delete conversation</button>}
        </div>
        {googleConnected === false && (
          <div className="notice notice-info" role="status">
            <p><strong>Google is not connected.</strong> Jarvis cannot read your mail or calendar, or save drafts, until you connect it.</p>
            <p><a className="button primary" href={signInURL('/assistant')}>Connect Google</a></p>
          </div>
        )}
        {historyError ? <ErrorNotice error={historyError} /> : null}
        {loadingHistory ? <Loading label="Loading the conversation" /> : (
          <div className="turns" aria-live="polite">
            {state.turns.length === 0 && (
              <div className="empty card">
                <h2>Ask Jarvis</h2>
                <p>Try “What’s on my calendar this week?” or “Draft a reply to the newsletter saying thanks”. Jarvis asks before it saves any draft.</p>
              </div>
            )}
            {state.turns.map((t) => (
              <TurnView key={t.id} turn={t} onDecided={(id, patch) => setState((s) => setApproval(s, id, patch))} />
            ))}
            <div ref={endRef} />
          </div>
        )}
        {sendError && !(sendError instanceof ApiError) ? <ErrorNotice error={sendError} /> : null}
        <form className="chat-form" onSubmit={send}>
          <label htmlFor="chat-input" className="visually-hidden">Message to Jarvis</label>
          <textarea
            id="chat-input"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                send();
              }
            }}
            placeholder="Ask Jarvis… (Enter sends, Shift+Enter for a new line)"
          />
          <button type="submit" className="primary" disabled={sending || !input.trim()}>{sending ? 'Answering…' : 'Send'}</button>
        </form>
      </section>
    </div>
  );
}
