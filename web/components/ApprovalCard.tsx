'use client';

import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/lib/api';
import { ApiError } from '@/lib/errors';
import { longDate } from '@/lib/format';
import { refreshPending } from '@/lib/pending';
import type { Approval } from '@/lib/types';
import { ErrorNotice } from './States';

export type Decide = (approvalId: string, decision: 'approve' | 'reject') => Promise<{ status: string; result?: Approval['result'] }>;

const toolTitles: Record<string, string> = {
  create_draft: 'Save this draft in Gmail?',
  gmail_create_draft: 'Save this draft in Gmail?',
};

// Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F)
// can make "moc.evil@ada" read as an innocent address; the card shows each
// one as a visible code instead.
const bidi = /[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g;

/** visible replaces bidirectional control characters with their code, e.g. ⟨U+202E⟩. */
export function visible(s: string): string {
  return s.replace(bidi, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

function list(v?: string[] | string): string {
  if (!v) return '';
  return visible(Array.isArray(v) ? v.join(', ') : v);
}

/** threadLink is a thread's page, in the account it is in. */
function threadLink(id: string, account?: string): string {
  return `/thread?id=${encodeURIComponent(id)}${account ? `&account=${encodeURIComponent(account)}` : ''}`;
}

/**
 * ApprovalCard shows the whole proposed action — every recipient, the
 * subject and the full body — so that nothing is approved unseen.
 */
/** decideAction decides through the approval queue's routes, in the chat card's terms. */
export async function decideAction(actionId: string, decision: 'approve' | 'reject'): Promise<{ status: string; result?: Approval['result'] }> {
  const a = await api.decideAction(actionId, decision);
  const status = a.status === 'executed' ? 'approved' : a.status;
  return { status, result: (a.result || undefined) as Approval['result'] };
}

export function ApprovalCard({
  approval,
  onDecided,
  decide,
}: {
  approval: Approval;
  onDecided?: (patch: Partial<Approval>) => void;
  decide?: Decide;
}) {
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Partial<Approval>>({});
  const a = { ...approval, ...local };
  // The approval queue calls an approved action that ran "executed".
  if ((a.status as string) === 'executed') a.status = 'approved';
  const p = a.proposal || ({} as Approval['proposal']);
  const titleId = `approval-${a.id}`;

  const act = async (decision: 'approve' | 'reject') => {
    if (busy) return;
    setBusy(decision);
    setError(null);
    try {
      // A proposal in the approval queue is decided there (the same action the Approvals page shows).
      const res = decide ? await decide(a.id, decision) : a.action_id ? await decideAction(a.action_id, decision) : await api.decide(a.id, decision);
      void refreshPending();
      const patch: Partial<Approval> = {
        status: (res.status as Approval['status']) || (decision === 'approve' ? 'approved' : 'rejected'),
        ...(res.result ? { result: res.result } : {}),
      };
      setLocal(patch);
      onDecided?.(patch);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'approval_expired' || err.code === 'action_expired')) {
        setLocal({ status: 'expired' });
        onDecided?.({ status: 'expired' });
      } else {
        setError(err);
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card approval" aria-labelledby={titleId}>
      <h2 id={titleId}>{toolTitles[a.tool] || `Approve “${a.tool}”?`}</h2>
      <dl>
        <dt>To</dt><dd><bdi>{list(p.to) || '—'}</bdi></dd>
        {list(p.cc) && (<><dt>Cc</dt><dd><bdi>{list(p.cc)}</bdi></dd></>)}
        {list(p.bcc) && (<><dt>Bcc</dt><dd><bdi>{list(p.bcc)}</bdi></dd></>)}
        <dt>Subject</dt><dd><bdi>{p.subject ? visible(p.subject) : '(no subject)'}</bdi></dd>
        {a.account && (<><dt>Account</dt><dd><bdi>{a.account.email}</bdi></dd></>)}
        {p.reply_to_thread_id && (
          <><dt>In reply to</dt><dd><Link href={threadLink(p.reply_to_thread_id, a.account?.id)}>the thread</Link></dd></>
        )}
      </dl>
      <div className="small muted">Message</div>
      <pre aria-label="Proposed message">{p.body_text || ''}</pre>
      {error ? <ErrorNotice error={error} /> : null}
      {a.status === 'pending' ? (
        <div className="row">
          <button type="button" className="primary" onClick={() => act('approve')} disabled={busy !== null}>
            {busy === 'approve' ? 'Approving…' : 'Approve'}
          </button>
          <button type="button" onClick={() => act('reject')} disabled={busy !== null}>
            {busy === 'reject' ? 'Rejecting…' : 'Reject'}
          </button>
          <span className="muted small">
            Approving saves a draft in Gmail. Nothing is sent.
            {a.expires_at && <> Decide by <time dateTime={a.expires_at}>{longDate(a.expires_at)}</time>.</>}
          </span>
        </div>
      ) : a.status === 'approved' ? (
        <div className="notice notice-ok" role="status">
          <p><strong>Approved.</strong> The draft is saved in Gmail.{' '}
            {a.result?.thread_id && <Link href={threadLink(a.result.thread_id, a.account?.id)}>Open its thread</Link>}
          </p>
        </div>
      ) : a.status === 'rejected' ? (
        <div className="notice notice-info" role="status"><p><strong>Rejected.</strong> Nothing was saved.</p></div>
      ) : a.status === 'failed' ? (
        <div className="notice notice-info" role="status"><p><strong>Failed.</strong> The draft could not be saved. Ask the assistant again.</p></div>
      ) : (
        <div className="notice notice-info" role="status"><p><strong>Expired.</strong> Ask the assistant again if you still want this.</p></div>
      )}
    </section>
  );
}
