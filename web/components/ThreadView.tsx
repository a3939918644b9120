'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api } from '@/lib/api';
import type { Message, Thread } from '@/lib/types';
import { Composer, type ComposerInitial } from './Composer';
import { MessageView } from './MessageView';
import { useMe, useSession } from './Session';
import { EmptyState, ErrorNotice, Loading } from './States';
import { isTypingTarget } from './keys';

/** replySubject adds "Re: " unless the subject already has it. */
export function replySubject(subject: string): string {
  const s = (subject || '').trim();
  return /^re:/i.test(s) ? s : `Re: ${s}`;
}

/**
 * openMessages returns the ids of the messages a thread opens with: the
 * unread ones, the drafts (never folded away like read mail) and the last.
 */
export function openMessages(thread: Thread | null): string[] {
  if (!thread || thread.messages.length === 0) return [];
  const last = thread.messages[thread.messages.length - 1];
  return thread.messages.filter((m) => m === last || isDraft(m) || (m.labels || []).includes('UNREAD')).map((m) => m.id);
}

/** isDraft reports whether a message of a thread is an unsent draft (Gmail's DRAFT label). */
export function isDraft(m: Message): boolean {
  return (m.labels || []).includes('DRAFT');
}

/** draftInitial fills the composer with a draft's recipients, subject and text. */
export function draftInitial(m: Message): ComposerInitial {
  const emails = (list: Message['to'] | undefined) => (list || []).map((p) => p.email).filter(Boolean).join(', ');
  return { to: emails(m.to), cc: emails(m.cc), subject: m.subject || '', body: m.text || '' };
}

export function ThreadView() {
  const params = useSearchParams();
  const id = params.get('id') || '';
  const account = params.get('account') || '';
  const me = useMe();
  const { accounts } = useSession();
  const [thread, setThread] = useState<Thread | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [replying, setReplying] = useState(params.get('reply') === '1');
  // The draft of the thread open in the composer, if any.
  const [editing, setEditing] = useState<Message | null>(null);
  const replyRef = useRef<HTMLDivElement>(null);
  // Messages shown in full: the unread ones and the last, as Gmail opens a thread.
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  useEffect(() => setExpanded(new Set(openMessages(thread))), [thread]);

  useEffect(() => {
    if (!id) return;
    const ctl = new AbortController();
    setThread(null);
    setError(null);
    api.thread(id, account, ctl.signal).then(setThread, (err) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [id, account, attempt]);

  useEffect(() => {
    if (thread?.subject) document.title = `${thread.subject} · Jarvis`;
  }, [thread]);

  // A layout effect, so that "r" works as soon as the thread is on screen.
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey || isTypingTarget(e.target)) return;
      if (e.key === 'r' && thread) {
        e.preventDefault();
        setEditing(null);
        setReplying(true);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [thread]);

  useEffect(() => {
    if (replying && thread) {
      replyRef.current?.scrollIntoView?.({ block: 'start' });
      replyRef.current?.querySelector<HTMLTextAreaElement>('textarea')?.focus();
    }
  }, [replying, editing, thread]);

  const reply: ComposerInitial = useMemo(() => {
    if (!thread || thread.messages.length === 0) return {};
    const mine = new Set([me?.user.email, me?.google?.email, ...accounts.map((a) => a.email)].filter(Boolean).map((e) => e!.toLowerCase()));
    const received = [...thread.messages].reverse().find((m) => !mine.has((m.from?.email || '').toLowerCase()));
    const last = thread.messages[thread.messages.length - 1];
    const to = received ? [received.from.email] : (last.to || []).map((p) => p.email);
    return { to: to.join(', '), subject: replySubject(thread.subject || last.subject) };
  }, [thread, me, accounts]);

  if (!id) {
    return <EmptyState title="No thread chosen"><p><Link href="/">Pick a thread in the inbox.</Link></p></EmptyState>;
  }
  return (
    <>
      <p><Link href="/">← Inbox</Link></p>
      {error ? (
        <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : !thread ? (
        <Loading label="Loading the thread" />
      ) : (
        <>
          <h1>{thread.subject || '(no subject)'}</h1>
          <div className="row">
            <p className="muted small spacer">
              {thread.messages.length} message{thread.messages.length === 1 ? '' : 's'}
              {accounts.length > 1 && thread.account && <> · in {thread.account.email}</>}
            </p>
            {expanded.size < thread.messages.length && (
              <button type="button" className="link-button" onClick={() => setExpanded(new Set(thread.messages.map((m) => m.id)))}>Expand all</button>
            )}
          </div>
          {thread.messages.map((m, i) => (
            <MessageView
              key={m.id}
              message={m}
              account={account}
              headingId={`message-${i}`}
              collapsed={!isDraft(m) && !expanded.has(m.id)}
              onExpand={() => setExpanded((cur) => new Set([...cur, m.id]))}
              draft={isDraft(m)}
              onOpenDraft={() => {
                setEditing(m);
                setReplying(true);
              }}
            />
          ))}
          <div ref={replyRef}>
            {replying && editing ? (
              <Composer key={`draft-${editing.id}`} title="Edit draft" initial={draftInitial(editing)} replyToThreadId={thread.id} account={account}
                note="Saving makes a new draft in this thread; the one you opened stays in Gmail’s Drafts until you delete it there."
                onCancel={() => { setReplying(false); setEditing(null); }} />
            ) : replying ? (
              <Composer key="reply" title="Reply" initial={reply} replyToThreadId={thread.id} account={account} onCancel={() => setReplying(false)} />
            ) : (
              <div className="row">
                <button type="button" className="primary" onClick={() => setReplying(true)}>Reply</button>
                <span className="muted small">or press <kbd>r</kbd></span>
              </div>
            )}
          </div>
        </>
      )}
    </>
  );
}

