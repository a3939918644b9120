'use client';

import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/lib/api';
import type { Approval } from '@/lib/types';
import { ErrorNotice } from './States';

export type Decide = (approvalId: string, decision: 'approve' | 'reject') => Promise<{ status: string; result?: Approval['result'] }>;

const toolTitles: Record<string, string> = {
  create_draft: 'Save this draft in Gmail?',
  gmail_create_draft: 'Save this draft in Gmail?',
};

function list(v?: string[] | string): string {
  if (!v) return '';
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * ApprovalCard shows the whole proposed action — every recipient, the
 * subject and the full body — so that nothing is approved unseen.
 */
export function ApprovalCard({
  approval,
  onDecided,
  decide = api.decide,
}: {
  approval: Approval;
  onDecided?: (patch: Partial<Approval>) => void;
  decide?: Decide;
}) {
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Partial<Approval>>({});
  const a = { ...approval, ...local };
  const p = a.proposal || ({} as Approval['proposal']);
  const titleId = `approval-${a.id}`;

  const act = async (decision: 'approve' | 'reject') => {
    if (busy) return;
    setBusy(decision);
    setError(null);
    try {
      const res = await decide(a.id, decision);
      const patch: Partial<Approval> = {
        status: (res.status as Approval['status']) || (decision === 'approve' ? 'approved' : 'rejected'),
        ...(res.result ? { result: res.result } : {}),
      };
      setLocal(patch);
      onDecided?.(patch);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card approval" aria-labelledby={titleId}>
      <h2 id={titleId}>{toolTitles[a.tool] || `Approve “${a.tool}”?`}</h2>
      <dl>
        <dt>To</dt><dd>{list(p.to) || '—'}</dd>
        {list(p.cc) && (<><dt>Cc</dt><dd>{list(p.cc)}</dd></>)}
        {list(p.bcc) && (<><dt>Bcc</dt><dd>{list(p.bcc)}</dd></>)}
        <dt>Subject</dt><dd>{p.subject || '(no subject)'}</dd>
        {p.reply_to_thread_id && (
          <><dt>In reply to</dt><dd><Link href={`/thread?id=${encodeURIComponent(p.reply_to_thread_id)}`}>the thread</Link></dd></>
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
          <span className="muted small">Approving saves a draft in Gmail. Nothing is sent.</span>
        </div>
      ) : a.status === 'approved' ? (
        <div className="notice notice-ok" role="status">
          <p><strong>Approved.</strong> The draft is saved in Gmail.{' '}
            {a.result?.thread_id && <Link href={`/thread?id=${encodeURIComponent(a.result.thread_id)}`}>Open its thread</Link>}
          </p>
        </div>
      ) : a.status === 'rejected' ? (
        <div className="notice notice-info" role="status"><p><strong>Rejected.</strong> Nothing was saved.</p></div>
      ) : (
        <div className="notice notice-info" role="status"><p><strong>Expired.</strong> Ask the assistant again if you still want this.</p></div>
      )}
    </section>
  );
}
