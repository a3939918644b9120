'use client';

import { Fragment, useEffect, useMemo, useState } from 'react';
import { api } from '@/lib/api';
import { actionParts, filterActions } from '@/lib/auditActions';
import { longDate } from '@/lib/format';
import type { AuditEntry, Member, Org } from '@/lib/types';
import { ErrorNotice, Loading } from './States';

/** AuditLog is an org's audit log with filters by action and by member. */
export function AuditLog({ org, members }: { org: Org; members: Member[] }) {
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const who = useMemo(() => new Map(members.map((m) => [m.user_id, m.email])), [members]);
  // The known actions, and any the log holds that this dashboard does not know yet.
  const [seen, setSeen] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (!entries?.some((e) => !seen.has(e.action))) return;
    setSeen((cur) => new Set([...cur, ...entries.map((e) => e.action)]));
  }, [entries, seen]);
  const actions = useMemo(() => filterActions([...seen, action]), [seen, action]);

  useEffect(() => {
    const ctl = new AbortController();
    setEntries(null);
    setError(null);
    api.auditLogs(org.id, { action, actor_user_id: actor, max_results: 50 }, ctl.signal).then(
      (r) => {
        setEntries(r.entries || []);
        setNext(r.next_page_token || undefined);
      },
      (err) => !ctl.signal.aborted && setError(err),
    );
    return () => ctl.abort();
  }, [org.id, action, actor, attempt]);

  const more = async () => {
    if (!next) return;
    setBusy(true);
    try {
      const r = await api.auditLogs(org.id, { action, actor_user_id: actor, page_token: next, max_results: 50 });
      setEntries((cur) => [...(cur || []), ...(r.entries || [])]);
      setNext(r.next_page_token || undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <div className="row">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">All actions</option>
            {actions.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Who</label>
          <select id="audit-actor" value={actor} onChange={(e) => setActor(e.target.value)}>
            <option value="">Everyone</option>
            {members.map((m) => <option key={m.user_id} value={m.user_id}>{m.email}</option>)}
          </select>
        </div>
      </div>
      {error ? <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} /> : entries === null ? <Loading label="Loading the audit log" /> : entries.length === 0 ? (
        <p className="muted">No entries match. Clear the filters to see everything.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Audit log entries, newest first</caption>
              <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">From</th></tr></thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td><time dateTime={e.occurred_at}>{longDate(e.occurred_at)}</time></td>
                    <td>{who.get(e.actor_user_id) || e.actor_user_id || 'system'}</td>
                    <td className="mono audit-action">{actionParts(e.action).map((p, i) => <Fragment key={i}><span>{p}</span><wbr /></Fragment>)}</td>
                    <td className="mono">{[e.target_type, e.target_id].filter(Boolean).join(' ')}</td>
                    <td>{e.outcome}</td>
                    <td className="small">
                      {e.ip && <div><span className="muted">IP </span><span className="mono">{e.ip}</span></div>}
                      {e.user_agent && <div className="muted audit-agent" title={e.user_agent}>{e.user_agent}</div>}
                      {e.request_id && <div><span className="muted">Request ID </span><span className="mono">{e.request_id}</span></div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {next && <p><button type="button" onClick={more} disabled={busy}>{busy ? 'Loading…' : 'Older entries'}</button></p>}
        </>
      )}
    </section>
  );
}
