'use client';

import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/lib/api';
import { ApiError } from '@/lib/errors';
import { longDate } from '@/lib/format';
import { refreshPending } from '@/lib/pending';
import type { Action } from '@/lib/types';
import { visible } from './ApprovalCard';
import { ErrorNotice } from './States';

const kindTitles: Record<string, string> = {
  'gmail.message.send': 'Send an email',
  'gmail.draft.create': 'Save a draft',
  'gmail.draft.update': 'Rewrite a draft',
  'gmail.draft.send': 'Send a draft',
  'gmail.thread.modify': 'Change a thread’s labels',
  'gmail.thread.trash': 'Move a thread to the trash',
  'gmail.thread.untrash': 'Move a thread out of the trash',
  'gmail.send.cancel': 'Cancel a scheduled email',
  'calendar.event.create': 'Create an event',
  'calendar.event.update': 'Change an event',
  'calendar.event.delete': 'Cancel an event',
  'calendar.event.rsvp': 'Answer an invitation',
};

/** kindTitle names an action kind in words. */
export function kindTitle(kind: string): string {
  return kindTitles[kind] || kind;
}

const flagWords: Record<string, string> = {
  outside_allowed_domains: 'Sends outside your allowed domains',
  recipients_outside_allowed_domains: 'Sends outside your allowed domains',
  drafts_only: 'Drafts-only mode is on: sending is off for agents',
  daily_send_cap_reached: 'Over your daily cap of agent sends',
  outside_working_hours: 'Outside your working hours',
  external_recipients: 'Has recipients outside your organisation',
};

/** flagText says what a policy flag means. */
export function flagText(flag: string): string {
  return flagWords[flag] || flag.replace(/[_.]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const requesterWords: Record<string, string> = { assistant: 'The assistant', user: 'You', mcp: 'An MCP client', client: 'A client' };

/** requesterText names who asked for an action. */
export function requesterText(r: Action['requester']): string {
  if (!r) return 'Unknown';
  const who = requesterWords[r.type] || r.type;
  return r.name && r.name !== r.type ? `${who} (${r.name})` : who;
}

const statusWords: Record<string, string> = {
  pending: 'Waiting for you', approved: 'Approved', executed: 'Done', rejected: 'Rejected', expired: 'Expired', failed: 'Failed',
};

type P = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const strs = (v: unknown): string[] => {
  if (Array.isArray(v)) {
    return v.map((x) => (typeof x === 'string' ? x : x && typeof x === 'object' ? str((x as P).email) || str((x as P).name) : '')).filter(Boolean);
  }
  return typeof v === 'string' && v ? [v] : [];
};

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return <><dt>{label}</dt><dd>{children}</dd></>;
}

function List({ label, value }: { label: string; value: unknown }) {
  const l = strs(value);
  return l.length > 0 ? <Row label={label}><bdi>{visible(l.join(', '))}</bdi></Row> : null;
}

function Text({ label, value }: { label: string; value: unknown }) {
  const s = str(value);
  return s ? <Row label={label}><bdi>{visible(s)}</bdi></Row> : null;
}

function When({ label, value }: { label: string; value: unknown }) {
  const s = str(value);
  if (!s) return null;
  const t = Date.parse(s);
  // A wall-clock time (no offset) is shown as written: its zone is beside it.
  const shown = /[zZ]|[+-]\d\d:?\d\d$/.test(s) && Number.isFinite(t) ? longDate(s) : s.replace('T', ' ');
  return <Row label={label}><time dateTime={s}>{shown}</time></Row>;
}

function threadLink(id: string, account?: string): string {
  return `/thread?id=${encodeURIComponent(id)}${account ? `&account=${encodeURIComponent(account)}` : ''}`;
}

/**
 * Payload renders what an action will do, field by field, readably: the
 * recipients, subject and whole body of mail; an event's title, times, zone,
 * repeat rule and guests. What is shown is the payload that runs; anything
 * this view does not know is shown as JSON rather than left out.
 */
export function Payload({ action }: { action: Action }) {
  const p = (action.payload || {}) as P;
  const acct = action.account?.id;
  // The account is shown from the action itself.
  const known = new Set<string>(['account']);
  const take = (...keys: string[]) => keys.forEach((k) => known.add(k));
  let fields: React.ReactNode = null;
  let body: string | null = null;
  if (action.kind.startsWith('gmail.message') || action.kind.startsWith('gmail.draft')) {
    take('to', 'cc', 'bcc', 'subject', 'body_text', 'body_html', 'reply_to_thread_id', 'thread_id', 'reply_all', 'forward_message_id', 'send_at', 'draft_id', 'attachments', 'in_reply_to', 'references');
    const thread = str(p.reply_to_thread_id) || str(p.thread_id);
    fields = (
      <>
        <List label="To" value={p.to} />
        <List label="Cc" value={p.cc} />
        <List label="Bcc" value={p.bcc} />
        <Row label="Subject"><bdi>{str(p.subject) ? visible(str(p.subject)) : '(no subject)'}</bdi></Row>
        {p.reply_all === true && <Row label="Reply">To everyone on the thread</Row>}
        {thread && <Row label="In reply to"><Link href={threadLink(thread, acct)}>the thread</Link></Row>}
        {str(p.forward_message_id) && <Row label="Forwards">a message, with its attachments</Row>}
        {str(p.draft_id) && <Row label="Draft"><span className="mono">{str(p.draft_id)}</span></Row>}
        <When label="Send at" value={p.send_at} />
        <List label="Attachments" value={Array.isArray(p.attachments) ? (p.attachments as P[]).map((a) => str(a.filename) || str(a)) : p.attachments} />
      </>
    );
    body = str(p.body_text) || null;
  } else if (action.kind.startsWith('calendar.event')) {
    take('summary', 'start', 'end', 'time_zone', 'recurrence', 'attendees', 'location', 'description', 'all_day', 'scope', 'event_id', 'id', 'response', 'comment', 'send_updates');
    fields = (
      <>
        <Text label="Title" value={p.summary} />
        <When label="Starts" value={p.start} />
        <When label="Ends" value={p.end} />
        <Text label="Time zone" value={p.time_zone} />
        {p.all_day === true && <Row label="All day">Yes</Row>}
        <List label="Repeats" value={p.recurrence} />
        <List label="Guests" value={p.attendees} />
        <Text label="Location" value={p.location} />
        <Text label="Applies to" value={{ instance: 'This event', following: 'This and following events', series: 'All events' }[str(p.scope)] || p.scope} />
        <Text label="Answer" value={{ accepted: 'Yes', tentative: 'Maybe', declined: 'No' }[str(p.response)] || p.response} />
        <Text label="Note" value={p.comment} />
        <Text label="Event" value={p.event_id || (action.kind !== 'calendar.event.create' ? p.id : '')} />
        <Text label="Tell guests" value={{ all: 'Yes', none: 'No', externalOnly: 'Only guests outside your organisation' }[str(p.send_updates)] || p.send_updates} />
      </>
    );
    body = str(p.description) || null;
  } else if (action.kind.startsWith('gmail.thread')) {
    take('thread_id', 'id', 'add_labels', 'remove_labels');
    const thread = str(p.thread_id) || str(p.id);
    fields = (
      <>
        {thread && <Row label="Thread"><Link href={threadLink(thread, acct)}>open it</Link></Row>}
        <List label="Add labels" value={p.add_labels} />
        <List label="Remove labels" value={p.remove_labels} />
      </>
    );
  }
  const rest = Object.fromEntries(Object.entries(p).filter(([k, v]) => !known.has(k) && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)));
  return (
    <>
      <dl>
        {fields}
        {action.account && <Row label="Account"><bdi>{action.account.email}</bdi></Row>}
      </dl>
      {body !== null && (
        <>
          <div className="small muted">{action.kind.startsWith('calendar') ? 'Description' : 'Message'}</div>
          <pre aria-label={action.kind.startsWith('calendar') ? 'Event description' : 'Message to be sent'}>{body}</pre>
        </>
      )}
      {Object.keys(rest).length > 0 && (
        <details>
          <summary className="small">Other fields</summary>
          <pre className="mono">{JSON.stringify(rest, null, 2)}</pre>
        </details>
      )}
    </>
  );
}

/** ActionCard shows one action and, while it is pending, lets the owner approve or reject it. */
export function ActionCard({ action, headingLevel = 2, onDecided }: {
  action: Action;
  headingLevel?: 2 | 3;
  onDecided?: (a: Action) => void;
}) {
  const [local, setLocal] = useState<Partial<Action>>({});
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const a = { ...action, ...local } as Action;
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const titleId = `action-${a.id}`;
  const flags = a.policy?.flags || [];

  const decide = async (d: 'approve' | 'reject') => {
    if (busy) return;
    setBusy(d);
    setError(null);
    try {
      const res = await api.decideAction(a.id, d);
      const next = res && res.status ? res : { ...a, status: d === 'approve' ? 'approved' : 'rejected' };
      setLocal(next);
      onDecided?.(next as Action);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'action_expired' || err.code === 'approval_expired')) {
        setLocal({ status: 'expired' });
        onDecided?.({ ...a, status: 'expired' });
      } else {
        setError(err);
      }
    } finally {
      setBusy(null);
      void refreshPending();
    }
  };

  return (
    <article className={`card approval action-card status-${a.status}`} aria-labelledby={titleId}>
      <H id={titleId}>{a.summary ? visible(a.summary) : kindTitle(a.kind)}</H>
      <p className="small muted">
        {kindTitle(a.kind)} · asked by {requesterText(a.requester)}
        {a.created_at && <> · <time dateTime={a.created_at}>{longDate(a.created_at)}</time></>}
        {' · '}<span className="action-status">{statusWords[a.status] || a.status}</span>
      </p>
      {flags.length > 0 && (
        <ul className="plain flags" aria-label="Policy flags">
          {flags.map((f) => <li key={f} className="flag">{flagText(f)}</li>)}
        </ul>
      )}
      <Payload action={a} />
      {error ? <ErrorNotice error={error} /> : null}
      {a.status === 'pending' ? (
        <div className="row">
          <button type="button" className="primary" onClick={() => void decide('approve')} disabled={busy !== null}>
            {busy === 'approve' ? 'Approving…' : 'Approve'}<span className="visually-hidden">: {a.summary}</span>
          </button>
          <button type="button" onClick={() => void decide('reject')} disabled={busy !== null}>
            {busy === 'reject' ? 'Rejecting…' : 'Reject'}<span className="visually-hidden">: {a.summary}</span>
          </button>
          {a.expires_at && <span className="muted small">Decide by <time dateTime={a.expires_at}>{longDate(a.expires_at)}</time>; then it expires.</span>}
        </div>
      ) : (
        <div className={`notice ${a.status === 'executed' || a.status === 'approved' ? 'notice-ok' : a.status === 'failed' ? 'notice-error' : 'notice-info'}`} role="status">
          <p>
            <strong>{statusWords[a.status] || a.status}.</strong>{' '}
            {a.status === 'rejected' ? 'Nothing was done.' : a.status === 'expired' ? 'Nobody decided in time; nothing was done.' : ''}
            {a.status === 'failed' && a.error_code ? `It failed (${a.error_code}).` : ''}
            {a.decided_at && <> Decided <time dateTime={a.decided_at}>{longDate(a.decided_at)}</time>.</>}
          </p>
        </div>
      )}
    </article>
  );
}
