'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
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

/** threadLabels is the union of a thread's messages' labels, as Gmail shows a thread's. */
export function threadLabels(thread: Thread | null): string[] {
  const all = new Set<string>();
  for (const m of thread?.messages || []) for (const l of m.labels || []) all.add(l);
  return [...all];
}

/** How the thread view answers a thread. */
export type Answer = 'reply' | 'reply_all' | 'forward';

const answerTitles: Record<Answer, string> = { reply: 'Reply', reply_all: 'Reply all', forward: 'Forward' };

/** forwardSubject adds "Fwd: " unless the subject already has it. */
export function forwardSubject(subject: string): string {
  const s = (subject || '').trim();
  return /^fwd?:/i.test(s) ? s : `Fwd: ${s}`;
}

/** lastReceived is the thread's last message that is not a draft, from someone else when there is one. */
export function lastReceived(thread: Thread | null, mine: Set<string> = new Set()): Message | undefined {
  const sent = [...(thread?.messages || [])].reverse().filter((m) => !isDraft(m));
  return sent.find((m) => !mine.has((m.from?.email || '').toLowerCase())) || sent[0];
}

/**
 * composeInitials fills the composer for each way of answering: a reply
 * goes to the last sender who is not the user (Reply-To honoured), reply
 * all adds that message's To and Cc (the user's own addresses and
 * duplicates left out, as the server computes them), a forward starts
 * empty with "Fwd:".
 */
export function composeInitials(thread: Thread | null, mine: Set<string>): Record<Answer, ComposerInitial> {
  const empty = { reply: {}, reply_all: {}, forward: {} };
  if (!thread || thread.messages.length === 0) return empty;
  const sent = thread.messages.filter((m) => !isDraft(m));
  const last = sent[sent.length - 1] || thread.messages[thread.messages.length - 1];
  const received = [...sent].reverse().find((m) => !mine.has((m.from?.email || '').toLowerCase()));
  const base = received || last;
  const subject = thread.subject || last.subject;
  const lower = (e: string) => e.toLowerCase();
  const to = received
    ? (received.reply_to?.length ? received.reply_to : [received.from]).map((p) => p.email)
    : (last.to || []).map((p) => p.email);
  // Reply all, by the server's rule: Reply-To (else From) and the message's To in To, its Cc in Cc,
  // never the user's own addresses, each address once.
  const seen = new Set([...to.map(lower), ...mine]);
  const allTo = [...to];
  const cc: string[] = [];
  for (const [list, out] of [[base.to || [], allTo], [base.cc || [], cc]] as const) {
    for (const p of list) {
      if (!p.email || seen.has(lower(p.email))) continue;
      seen.add(lower(p.email));
      out.push(p.email);
    }
  }
  return {
    reply: { to: to.join(', '), subject: replySubject(subject) },
    reply_all: { to: allTo.join(', '), cc: cc.join(', '), subject: replySubject(subject) },
    forward: { subject: forwardSubject(subject) },
  };
}

/** An organise action on a thread, as Gmail names and binds them. */
export type ThreadAction = 'archive' | 'inbox' | 'read' | 'unread' | 'star' | 'unstar' | 'trash' | 'untrash';

/** actionForKey maps Gmail's shortcuts to an action the thread's labels allow (e, shift+i, shift+u, s, #). */
export function actionForKey(key: string, labels: string[]): ThreadAction | null {
  const has = (l: string) => labels.includes(l);
  switch (key) {
    case 'e': return has('INBOX') && !has('TRASH') ? 'archive' : null;
    case 'I': return has('UNREAD') ? 'read' : null;
    case 'U': return has('UNREAD') ? null : 'unread';
    case 's': return has('STARRED') ? 'unstar' : 'star';
    case '#': return has('TRASH') ? null : 'trash';
  }
  return null;
}

/** actionDone is what the status line says once an action is done. */
const actionDone: Record<ThreadAction, string> = {
  archive: 'Archived.', inbox: 'Moved to the inbox.', read: 'Marked as read.', unread: 'Marked as unread.',
  star: 'Starred.', unstar: 'Star removed.', trash: 'Moved to the trash.', untrash: 'Moved out of the trash.',
};

export function ThreadView() {
  const params = useSearchParams();
  const id = params.get('id') || '';
  const account = params.get('account') || '';
  const me = useMe();
  const { accounts } = useSession();
  const [thread, setThread] = useState<Thread | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [replying, setReplying] = useState<Answer | null>(params.get('reply') === '1' ? 'reply' : null);
  // The draft of the thread open in the composer, if any.
  const [editing, setEditing] = useState<Message | null>(null);
  const replyRef = useRef<HTMLDivElement>(null);
  const router = useRouter();
  // The thread's labels as Gmail stores them, updated by each action's answer.
  const [changed, setLabels] = useState<{ thread: Thread; labels: string[] } | null>(null);
  const labels = useMemo(() => (changed && changed.thread === thread ? changed.labels : threadLabels(thread)), [changed, thread]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [status, setStatus] = useState('');

  const act = useCallback(async (action: ThreadAction) => {
    if (!thread || busy) return;
    setBusy(true);
    setActionError(null);
    setStatus('');
    const acct = account || thread.account?.id;
    try {
      let change;
      switch (action) {
        case 'trash': case 'untrash':
          change = await api.trashThread(thread.id, action === 'trash', acct);
          break;
        default: {
          const body = {
            archive: { remove_labels: ['INBOX'] }, inbox: { add_labels: ['INBOX'] },
            read: { remove_labels: ['UNREAD'] }, unread: { add_labels: ['UNREAD'] },
            star: { add_labels: ['STARRED'] }, unstar: { remove_labels: ['STARRED'] },
          }[action];
          change = await api.modifyThread(thread.id, body, acct);
        }
      }
      setLabels({ thread, labels: change.thread.labels || [] });
      // Archived or trashed, the thread has left the inbox: back to it, as Gmail does.
      if (action === 'archive' || action === 'trash') {
        router.push(`/${account ? `?account=${encodeURIComponent(account)}` : ''}`);
        return;
      }
      setStatus(actionDone[action]);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  }, [thread, busy, account, router]);
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

  // After a send or a saved draft the thread is read again in place: the composer stays, saying what it did.
  const refresh = useCallback(() => {
    if (id) api.thread(id, account).then(setThread, () => {});
  }, [id, account]);

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
        setReplying('reply');
        return;
      }
      if ((e.key === 'a' || e.key === 'f') && thread) {
        e.preventDefault();
        setEditing(null);
        setReplying(e.key === 'a' ? 'reply_all' : 'forward');
        return;
      }
      const action = thread ? actionForKey(e.key, labels) : null;
      if (action) {
        e.preventDefault();
        void act(action);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [thread, labels, act]);

  const acct = account || thread?.account?.id || '';
  useEffect(() => {
    if (replying && thread) {
      replyRef.current?.scrollIntoView?.({ block: 'start' });
      replyRef.current?.querySelector<HTMLTextAreaElement>('textarea')?.focus();
    }
  }, [replying, editing, thread]);

  const mine = useMemo(
    () => new Set([me?.user.email, me?.google?.email, ...accounts.map((a) => a.email)].filter(Boolean).map((e) => e!.toLowerCase())),
    [me, accounts],
  );
  const initials = useMemo(() => composeInitials(thread, mine), [thread, mine]);

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
          <ThreadActions labels={labels} busy={busy} onAction={act} />
          <p className="muted small" role="status">{status}</p>
          {actionError ? <ErrorNotice error={actionError} /> : null}
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
                setReplying('reply');
              }}
            />
          ))}
          <div ref={replyRef}>
            {replying && editing ? (
              <Composer key={`draft-${editing.id}`} mode="draft" title="Edit draft" initial={draftInitial(editing)} replyToThreadId={thread.id} account={acct}
                draftId={editing.draft_id}
                note={editing.draft_id ? undefined : 'Saving makes a new draft in this thread; the one you opened stays in Gmail’s Drafts until you delete it there.'}
                onDone={refresh}
                onCancel={() => { setReplying(null); setEditing(null); }} />
            ) : replying ? (
              <Composer key={replying} mode={replying} title={answerTitles[replying]} initial={initials[replying]} replyToThreadId={thread.id}
                forwardMessageId={replying === 'forward' ? lastReceived(thread, mine)?.id : undefined}
                account={acct} onCancel={() => setReplying(null)} onDone={refresh} />
            ) : (
              <div className="row">
                <button type="button" className="primary" onClick={() => setReplying('reply')} aria-keyshortcuts="R">Reply</button>
                <button type="button" onClick={() => setReplying('reply_all')} aria-keyshortcuts="A">Reply all</button>
                <button type="button" onClick={() => setReplying('forward')} aria-keyshortcuts="F">Forward</button>
                <span className="muted small">or press <kbd>r</kbd>, <kbd>a</kbd>, <kbd>f</kbd></span>
              </div>
            )}
          </div>
        </>
      )}
    </>
  );
}


/** ThreadActions are the buttons that organise the thread, each with Gmail's shortcut. */
export function ThreadActions({ labels, busy, onAction }: { labels: string[]; busy: boolean; onAction: (a: ThreadAction) => void }) {
  const has = (l: string) => labels.includes(l);
  const trashed = has('TRASH');
  // keys as aria-keyshortcuts names them; the title shows them as Gmail's help does.
  const button = (action: ThreadAction, label: string, keys?: string, pressed?: boolean) => (
    <button type="button" disabled={busy} onClick={() => onAction(action)} aria-keyshortcuts={keys} aria-pressed={pressed}
      title={keys ? `${label} (${keys.toLowerCase()})` : label}>
      {label}
    </button>
  );
  return (
    <div className="toolbar" role="toolbar" aria-label="Thread actions">
      {trashed ? button('untrash', 'Move out of trash') : has('INBOX') ? button('archive', 'Archive', 'E') : button('inbox', 'Move to inbox')}
      {has('UNREAD') ? button('read', 'Mark as read', 'Shift+I') : button('unread', 'Mark as unread', 'Shift+U')}
      {button(has('STARRED') ? 'unstar' : 'star', 'Star', 'S', has('STARRED'))}
      {!trashed && button('trash', 'Trash', '#')}
    </div>
  );
}
