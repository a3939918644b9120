'use client';

import Link from 'next/link';
import { useRef, useState } from 'react';
import { api, newIdempotencyKey } from '@/lib/api';
import { ApiError, UNREACHABLE, describeError } from '@/lib/errors';
import { formatSize, longDate, splitAddresses } from '@/lib/format';
import { announceSend } from '@/lib/sends';
import type { DraftRequest, DraftResult, SendResult } from '@/lib/types';
import { ErrorNotice } from './States';

export interface ComposerInitial {
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  body?: string;
}

/** What the composer writes: a new message, an answer in a thread, a forward, or an existing draft. */
export type ComposeMode = 'new' | 'reply' | 'reply_all' | 'forward' | 'draft';

type Field = 'to' | 'cc' | 'bcc' | 'subject' | 'body_text' | 'attachments' | 'send_at';
const fields: Field[] = ['to', 'cc', 'bcc', 'subject', 'body_text', 'attachments', 'send_at'];

/** Gmail's limit on a message's attachments, together. */
export const MAX_ATTACHMENTS = 25 * 1024 * 1024;

/** fieldOf maps the API's field name ("to", "to[1]", "body_text") to a form field. */
export function fieldOf(name?: string): Field | undefined {
  if (!name) return undefined;
  const base = name.split(/[[.]/)[0];
  if (base === 'body' || base === 'body_html') return 'body_text';
  if (base === 'attachment' || base === 'files') return 'attachments';
  return (fields as string[]).includes(base) ? (base as Field) : undefined;
}

/** localInputValue is a Date as a datetime-local input shows it (the browser's zone, minutes). */
export function localInputValue(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** sendAtFrom turns a datetime-local value (the browser's zone) into RFC 3339, or "" when it is not a time. */
export function sendAtFrom(local: string): string {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** sentText is what the toast says about a send. */
export function sentText(r: SendResult, sendAt?: string): string {
  if (sendAt && r.scheduled_id && !r.undo_until) return `Scheduled for ${longDate(sendAt)}.`;
  return 'Message sent.';
}

type Done = { kind: 'draft'; draft: DraftResult } | { kind: 'sent'; result: SendResult; sendAt?: string } | { kind: 'deleted' };

/**
 * Composer writes a message and sends it (now, with an undo window, or at
 * a chosen time) or saves it as a draft. One Idempotency-Key belongs to
 * one compose and one operation: a double click, or a retry after a lost
 * answer, makes one draft and sends once. Only when the server has
 * definitely refused the content (a 4xx) does an edited resubmission get a
 * fresh key.
 */
export function Composer({
  initial = {},
  mode = 'new',
  replyToThreadId,
  forwardMessageId,
  draftId,
  account,
  title,
  headingLevel = 2,
  note,
  onCancel,
  onDone,
}: {
  initial?: ComposerInitial;
  mode?: ComposeMode;
  replyToThreadId?: string;
  /** The message a forward carries (with its attachments). */
  forwardMessageId?: string;
  /** The draft being edited: saving replaces it, sending sends it. */
  draftId?: string;
  /** The Google account to write in (a reply: its thread's); "" for the primary. */
  account?: string;
  title: string;
  /** The page's own heading (1) or a section of a page (2). */
  headingLevel?: 1 | 2;
  /** note, when set, is shown under the title. */
  note?: string;
  onCancel?: () => void;
  /** Called after a send, a save or a delete (the thread reloads). */
  onDone?: (what: 'sent' | 'draft' | 'deleted') => void;
}) {
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  const [to, setTo] = useState(initial.to || '');
  const [cc, setCc] = useState(initial.cc || '');
  const [bcc, setBcc] = useState(initial.bcc || '');
  const [subject, setSubject] = useState(initial.subject || '');
  const [body, setBody] = useState(initial.body || '');
  const [files, setFiles] = useState<File[]>([]);
  const [showCopies, setShowCopies] = useState(Boolean(initial.cc || initial.bcc));
  const [scheduling, setScheduling] = useState(false);
  const [sendAtLocal, setSendAtLocal] = useState('');
  const [busy, setBusy] = useState<'draft' | 'send' | 'delete' | null>(null);
  const [done, setDone] = useState<Done | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<unknown>(null);
  // The Gmail draft this compose writes into: the one opened, or the one an undone send left in Drafts.
  const [heldDraft, setHeldDraft] = useState(draftId);
  // What the held draft holds, when known (the message as sent before an undo).
  const heldContent = useRef('');
  const keys = useRef<{ draft: string; send: string }>({ draft: '', send: '' });
  const inFlight = useRef(false);
  const fileInput = useRef<HTMLInputElement>(null);
  if (!keys.current.draft) keys.current = { draft: newIdempotencyKey(), send: newIdempotencyKey() };
  const threaded = mode === 'reply' || mode === 'reply_all' || Boolean(replyToThreadId && mode === 'draft');

  // Reply all with the recipients as proposed: the server fills them by its rule
  // (Reply-To honoured, every address of the user and their aliases left out).
  const serverRecipients = mode === 'reply_all' && to === (initial.to || '') && cc === (initial.cc || '');
  const content = (): DraftRequest & { reply_all?: boolean; forward_message_id?: string } => ({
    to: serverRecipients ? [] : splitAddresses(to),
    cc: serverRecipients ? [] : splitAddresses(cc),
    bcc: splitAddresses(bcc),
    subject,
    body_text: body,
    ...(replyToThreadId && mode !== 'forward' ? { reply_to_thread_id: replyToThreadId } : {}),
    ...(mode === 'reply_all' ? { reply_all: true } : {}),
    ...(mode === 'forward' && forwardMessageId ? { forward_message_id: forwardMessageId } : {}),
  });

  const run = async (what: 'draft' | 'send' | 'delete', fn: () => Promise<Done>) => {
    if (inFlight.current || done) return;
    inFlight.current = true;
    setBusy(what);
    setError(null);
    setFieldErrors({});
    try {
      const d = await fn();
      setDone(d);
      onDone?.(d.kind);
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.code !== UNREACHABLE && err.code !== 'rate_limited') {
        // The server refused this content and stored nothing: edits go out under a new key.
        keys.current[what === 'send' ? 'send' : 'draft'] = newIdempotencyKey();
      }
      const f = err instanceof ApiError ? fieldOf(err.field) : undefined;
      if (f) {
        if (f === 'cc' || f === 'bcc') setShowCopies(true);
        if (f === 'send_at') setScheduling(true);
        setFieldErrors({ [f]: describeError(err).message });
      } else {
        setError(err);
      }
    } finally {
      inFlight.current = false;
      setBusy(null);
    }
  };

  const checkRecipients = (): boolean => {
    if (splitAddresses(to).length === 0 && !serverRecipients && !(mode === 'reply_all' && splitAddresses(cc).length > 0)) {
      setFieldErrors({ to: 'Add at least one recipient.' });
      return false;
    }
    return true;
  };

  const saveDraft = (e?: React.FormEvent) => {
    e?.preventDefault();
    if (!checkRecipients()) return;
    void run('draft', async () => {
      const draft = heldDraft
        ? await api.updateDraft(heldDraft, content(), account, files)
        : await api.createDraft(content(), keys.current.draft, account, files);
      return { kind: 'draft', draft };
    });
  };

  // Sending announces the send in the toast, whose Undo brings the message back here.
  const sendNow = (at?: string) => {
    if (!checkRecipients()) return;
    if (at !== undefined) {
      const when = sendAtFrom(at);
      if (!when) {
        setFieldErrors({ send_at: 'Pick a date and time.' });
        return;
      }
      if (Date.parse(when) <= Date.now()) {
        setFieldErrors({ send_at: 'Pick a time in the future.' });
        return;
      }
    }
    const sendAt = at ? sendAtFrom(at) : undefined;
    void run('send', async () => {
      // A draft is saved first, so that what is sent is what is on screen;
      // files go up with a draft, which is then sent.
      let draft = heldDraft;
      const now = JSON.stringify(content());
      // A held draft is rewritten only when what is on screen differs from what it holds.
      if (draft && (now !== heldContent.current || files.length > 0)) await api.updateDraft(draft, content(), account, files);
      else if (!draft && files.length > 0) draft = (await api.createDraft(content(), keys.current.draft, account, files)).draft_id;
      const result = draft
        ? await api.sendDraft(draft, keys.current.send, account, sendAt)
        : await api.sendMessage({ ...content(), ...(sendAt ? { send_at: sendAt } : {}) }, keys.current.send, account);
      if (draft) {
        setHeldDraft(draft);
        setFiles([]);
      }
      announceSend({
        result,
        text: sentText(result, sendAt),
        onUndone: () => {
          // Back to editing the message, which stays in Drafts, under new keys.
          if (result.draft_id) {
            setHeldDraft(result.draft_id);
            heldContent.current = now;
          }
          keys.current = { draft: newIdempotencyKey(), send: newIdempotencyKey() };
          setDone(null);
        },
      });
      return { kind: 'sent', result, sendAt };
    });
  };

  const remove = () => {
    if (!heldDraft || !window.confirm('Delete this draft? It is removed from Gmail’s Drafts.')) return;
    void run('delete', async () => {
      await api.deleteDraft(heldDraft, account);
      return { kind: 'deleted' };
    });
  };

  // A new, empty message with its own Idempotency-Keys.
  const startOver = () => {
    setTo('');
    setCc('');
    setBcc('');
    setSubject('');
    setBody('');
    setFiles([]);
    setShowCopies(false);
    setScheduling(false);
    setSendAtLocal('');
    setFieldErrors({});
    setError(null);
    keys.current = { draft: newIdempotencyKey(), send: newIdempotencyKey() };
    setDone(null);
  };

  const addFiles = (list: FileList | null) => {
    if (!list) return;
    const next = [...files, ...Array.from(list)];
    const total = next.reduce((n, f) => n + f.size, 0);
    if (total > MAX_ATTACHMENTS) {
      setFieldErrors({ attachments: `Attachments may add up to 25 MB; these are ${formatSize(total)}.` });
    } else {
      setFieldErrors((e) => ({ ...e, attachments: undefined }));
      setFiles(next);
    }
    if (fileInput.current) fileInput.current.value = '';
  };

  if (done) {
    const threadLink = (id: string, acct?: string) => `/thread?id=${encodeURIComponent(id)}${acct ? `&account=${encodeURIComponent(acct)}` : ''}`;
    return (
      <section className="card" aria-labelledby="composer-title">
        <Heading id="composer-title">{title}</Heading>
        {done.kind === 'draft' ? (
          <div className="notice notice-ok" role="status">
            <p><strong>Draft saved in Gmail.</strong> It is in your Drafts folder{done.draft.account ? ` of ${done.draft.account.email}` : ''}{threaded ? ', in this thread' : ''}.</p>
            {!threaded && done.draft.thread_id && (
              <p><Link href={threadLink(done.draft.thread_id, done.draft.account?.id)}>Open the draft’s thread</Link></p>
            )}
          </div>
        ) : done.kind === 'deleted' ? (
          <div className="notice notice-info" role="status"><p><strong>Draft deleted.</strong></p></div>
        ) : done.sendAt && !done.result.undo_until ? (
          <div className="notice notice-ok" role="status">
            <p><strong>Scheduled.</strong> Jarvis sends it on <time dateTime={done.sendAt}>{longDate(done.sendAt)}</time>. <Link href="/scheduled">See scheduled mail</Link></p>
          </div>
        ) : (
          <div className="notice notice-ok" role="status">
            <p><strong>Message sent.</strong>{' '}
              {!threaded && done.result.thread_id && <Link href={threadLink(done.result.thread_id, done.result.account?.id)}>Open its thread</Link>}
            </p>
          </div>
        )}
        {!threaded && mode !== 'draft' && (
          <p><button type="button" className="primary" onClick={startOver}>New message</button></p>
        )}
      </section>
    );
  }

  const input = (id: Field, label: string, value: string, set: (v: string) => void, type = 'text', hint?: string) => (
    <div className="field">
      <label htmlFor={`compose-${id}`}>{label}</label>
      <input
        id={`compose-${id}`}
        type={type}
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-invalid={fieldErrors[id] ? true : undefined}
        aria-describedby={fieldErrors[id] ? `compose-${id}-error` : undefined}
        autoComplete="off"
        placeholder={hint}
      />
      {fieldErrors[id] && <span className="field-error" id={`compose-${id}-error`}>{fieldErrors[id]}</span>}
    </div>
  );

  const disabled = busy !== null;
  return (
    <section className="card" aria-labelledby="composer-title">
      <Heading id="composer-title">{title}</Heading>
      {note && <p className="muted small">{note}</p>}
      <form onSubmit={(e) => { e.preventDefault(); sendNow(); }} noValidate>
        {input('to', 'To', to, setTo, 'text', 'name@example.com, …')}
        {showCopies ? (
          <>
            {input('cc', 'Cc', cc, setCc)}
            {input('bcc', 'Bcc', bcc, setBcc)}
          </>
        ) : (
          <p><button type="button" className="link-button" onClick={() => setShowCopies(true)}>Add Cc or Bcc</button></p>
        )}
        {mode === 'reply_all' && <p className="muted small">Reply all: Jarvis answers everyone on the thread (its Reply-To honoured, your own addresses left out).</p>}
        {input('subject', 'Subject', subject, setSubject)}
        <div className="field">
          <label htmlFor="compose-body_text">Message</label>
          <textarea
            id="compose-body_text"
            value={body}
            onChange={(e) => setBody(e.target.value)}
            aria-invalid={fieldErrors.body_text ? true : undefined}
            aria-describedby={fieldErrors.body_text ? 'compose-body_text-error' : undefined}
          />
          {fieldErrors.body_text && <span className="field-error" id="compose-body_text-error">{fieldErrors.body_text}</span>}
        </div>
        {mode === 'forward' && <p className="muted small">The forwarded message and its attachments go below your text.</p>}
        {(
          <div className="field">
            <label htmlFor="compose-attachments">Attach files</label>
            <input id="compose-attachments" ref={fileInput} type="file" multiple onChange={(e) => addFiles(e.target.files)}
              aria-invalid={fieldErrors.attachments ? true : undefined}
              aria-describedby={fieldErrors.attachments ? 'compose-attachments-error' : undefined} />
            {fieldErrors.attachments && <span className="field-error" id="compose-attachments-error">{fieldErrors.attachments}</span>}
            {files.length > 0 && (
              <ul className="attachments" aria-label="Attached files">
                {files.map((f, i) => (
                  <li key={`${f.name}-${i}`} className="attachment-chip">
                    <span>{f.name} <span className="muted small">{formatSize(f.size)}</span></span>
                    <button type="button" className="link-button" onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                      Remove<span className="visually-hidden"> {f.name}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {scheduling && (
          <div className="row schedule">
            <div className="field">
              <label htmlFor="compose-send_at">Send at</label>
              <input id="compose-send_at" type="datetime-local" value={sendAtLocal} onChange={(e) => setSendAtLocal(e.target.value)}
                min={localInputValue(new Date())}
                aria-invalid={fieldErrors.send_at ? true : undefined}
                aria-describedby={fieldErrors.send_at ? 'compose-send_at-error' : 'compose-send_at-hint'} />
              {fieldErrors.send_at
                ? <span className="field-error" id="compose-send_at-error">{fieldErrors.send_at}</span>
                : <span className="muted small" id="compose-send_at-hint">In your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}).</span>}
            </div>
            <button type="button" className="primary" onClick={() => sendNow(sendAtLocal)} disabled={disabled}>
              {busy === 'send' ? 'Scheduling…' : 'Schedule send'}
            </button>
            <button type="button" onClick={() => setScheduling(false)} disabled={disabled}>Don’t schedule</button>
          </div>
        )}
        {error ? <ErrorNotice error={error} /> : null}
        <div className="row">
          <button type="submit" className="primary" disabled={disabled} aria-disabled={disabled}>
            {busy === 'send' && !scheduling ? 'Sending…' : 'Send'}
          </button>
          {!scheduling && <button type="button" onClick={() => setScheduling(true)} disabled={disabled}>Schedule…</button>}
          <button type="button" onClick={() => saveDraft()} disabled={disabled}>
            {busy === 'draft' ? 'Saving…' : 'Save draft'}
          </button>
          {heldDraft && <button type="button" className="danger" onClick={remove} disabled={disabled}>{busy === 'delete' ? 'Deleting…' : 'Delete draft'}</button>}
          {onCancel && <button type="button" onClick={onCancel} disabled={disabled}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
