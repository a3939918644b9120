'use client';

import Link from 'next/link';
import { useRef, useState } from 'react';
import { api, newIdempotencyKey } from '@/lib/api';
import { ApiError, UNREACHABLE, describeError } from '@/lib/errors';
import { splitAddresses } from '@/lib/format';
import type { DraftResult } from '@/lib/types';
import { ErrorNotice } from './States';

export interface ComposerInitial {
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  body?: string;
}

type Field = 'to' | 'cc' | 'bcc' | 'subject' | 'body_text';
const fields: Field[] = ['to', 'cc', 'bcc', 'subject', 'body_text'];

/** fieldOf maps the API's field name ("to", "to[1]", "body_text") to a form field. */
export function fieldOf(name?: string): Field | undefined {
  if (!name) return undefined;
  const base = name.split(/[[.]/)[0];
  if (base === 'body' || base === 'body_html') return 'body_text';
  return (fields as string[]).includes(base) ? (base as Field) : undefined;
}

/**
 * Composer writes a new draft or a threaded reply. One Idempotency-Key
 * belongs to one compose: a double click, or a retry after a lost answer,
 * makes one draft. Only when the server has definitely refused the content
 * (a 4xx) does an edited resubmission get a fresh key.
 */
export function Composer({
  initial = {},
  replyToThreadId,
  account,
  title,
  headingLevel = 2,
  note,
  onCancel,
}: {
  initial?: ComposerInitial;
  replyToThreadId?: string;
  /** The Google account to draft in (a reply: its thread's); "" for the primary. */
  account?: string;
  title: string;
  /** The page's own heading (1) or a section of a page (2). */
  headingLevel?: 1 | 2;
  /** note, when set, is shown under the title. */
  note?: string;
  onCancel?: () => void;
}) {
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  const [to, setTo] = useState(initial.to || '');
  const [cc, setCc] = useState(initial.cc || '');
  const [bcc, setBcc] = useState(initial.bcc || '');
  const [subject, setSubject] = useState(initial.subject || '');
  const [body, setBody] = useState(initial.body || '');
  const [showCopies, setShowCopies] = useState(Boolean(initial.cc || initial.bcc));
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<DraftResult | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<unknown>(null);
  const key = useRef<string>('');
  const inFlight = useRef(false);
  if (!key.current) key.current = newIdempotencyKey();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (inFlight.current || done) return;
    const toList = splitAddresses(to);
    if (toList.length === 0) {
      setFieldErrors({ to: 'Add at least one recipient.' });
      return;
    }
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const res = await api.createDraft(
        {
          to: toList,
          cc: splitAddresses(cc),
          bcc: splitAddresses(bcc),
          subject,
          body_text: body,
          ...(replyToThreadId ? { reply_to_thread_id: replyToThreadId } : {}),
        },
        key.current,
        account,
      );
      setDone(res);
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.code !== UNREACHABLE && err.code !== 'rate_limited') {
        // The server refused this content and stored nothing: edits go out under a new key.
        key.current = newIdempotencyKey();
      }
      const f = err instanceof ApiError ? fieldOf(err.field) : undefined;
      if (f) {
        if (f === 'cc' || f === 'bcc') setShowCopies(true);
        setFieldErrors({ [f]: describeError(err).message });
      } else {
        setError(err);
      }
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  // A new, empty draft with its own Idempotency-Key.
  const startOver = () => {
    setTo('');
    setCc('');
    setBcc('');
    setSubject('');
    setBody('');
    setShowCopies(false);
    setFieldErrors({});
    setError(null);
    key.current = newIdempotencyKey();
    setDone(null);
  };

  if (done) {
    return (
      <section className="card" aria-labelledby="composer-title">
        <Heading id="composer-title">{title}</Heading>
        <div className="notice notice-ok" role="status">
          <p><strong>Draft saved in Gmail.</strong> It is in your Drafts folder{done.account ? ` of ${done.account.email}` : ''}{replyToThreadId ? ', in this thread' : ''}; open Gmail to review and send it.</p>
          {!replyToThreadId && done.thread_id && (
            <p><Link href={`/thread?id=${encodeURIComponent(done.thread_id)}${done.account?.id ? `&account=${encodeURIComponent(done.account.id)}` : ''}`}>Open the draft’s thread</Link></p>
          )}
        </div>
        {!replyToThreadId && (
          <p><button type="button" className="primary" onClick={startOver}>New draft</button></p>
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

  return (
    <section className="card" aria-labelledby="composer-title">
      <Heading id="composer-title">{title}</Heading>
      {note && <p className="muted small">{note}</p>}
      <form onSubmit={submit} noValidate>
        {input('to', 'To', to, setTo, 'text', 'name@example.com, …')}
        {showCopies ? (
          <>
            {input('cc', 'Cc', cc, setCc)}
            {input('bcc', 'Bcc', bcc, setBcc)}
          </>
        ) : (
          <p><button type="button" className="link-button" onClick={() => setShowCopies(true)}>Add Cc or Bcc</button></p>
        )}
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
        {error ? <ErrorNotice error={error} /> : null}
        <div className="row">
          <button type="submit" className="primary" disabled={busy} aria-disabled={busy}>
            {busy ? 'Saving…' : 'Save draft'}
          </button>
          {onCancel && <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>}
          <span className="muted small">Jarvis saves a draft in Gmail; it never sends mail.</span>
        </div>
      </form>
    </section>
  );
}
