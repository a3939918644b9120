'use client';

import { useCallback, useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { longDate } from '@/lib/format';
import type { Invitation, Org } from '@/lib/types';
import { useSession } from './Session';
import { ErrorNotice } from './States';

/** The org's pending invitations, for its owners and admins, with Withdraw. */
export function OrgInvitations({ org, version }: { org: Org; version: number }) {
  const [list, setList] = useState<Invitation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.orgInvitations(org.id, ctl.signal).then((r) => setList(r.invitations || []), (err) => !ctl.signal.aborted && setError(err));
    return () => ctl.abort();
  }, [org.id, version, attempt]);

  const withdraw = async (inv: Invitation) => {
    if (!window.confirm(`Withdraw the invitation to ${inv.email}?`)) return;
    setBusy(true);
    try {
      await api.withdrawInvitation(org.id, inv.id);
      setAttempt((a) => a + 1);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (error) return <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />;
  if (!list || list.length === 0) return null;
  return (
    <div className="table-wrap" role="region" aria-labelledby="pending-title">
      <h3 id="pending-title">Pending invitations</h3>
      <table>
        <caption className="visually-hidden">Invitations not yet answered</caption>
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Sent</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {list.map((inv) => (
            <tr key={inv.id}>
              <td>{inv.email}</td>
              <td>{inv.role}</td>
              <td><time dateTime={inv.created_at}>{longDate(inv.created_at)}</time></td>
              <td>
                <button type="button" disabled={busy} onClick={() => withdraw(inv)}>
                  Withdraw<span className="visually-hidden"> the invitation to {inv.email}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The invitations to the signed-in user: join an org, or decline. */
export function MyInvitations() {
  const { refresh } = useSession();
  const [list, setList] = useState<Invitation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');

  const load = useCallback((signal?: AbortSignal) => {
    setError(null);
    return api.myInvitations(signal).then((r) => setList(r.invitations || []), (err) => !signal?.aborted && setError(err));
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  const answer = async (inv: Invitation, a: 'accept' | 'decline') => {
    setBusy(true);
    setError(null);
    try {
      await api.answerInvitation(inv.id, a);
      setDone(a === 'accept' ? `You joined ${inv.org_name}.` : `You declined the invitation to ${inv.org_name}.`);
      await load();
      if (a === 'accept') await refresh();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!error && !done && (!list || list.length === 0)) return null;
  return (
    <section className="card" aria-labelledby="my-invitations-title">
      <h2 id="my-invitations-title">Invitations to you</h2>
      {done && <div className="notice notice-ok" role="status">{done}</div>}
      {error ? <ErrorNotice error={error} onRetry={() => load()} /> : null}
      {list && list.length > 0 && (
        <ul className="invitations">
          {list.map((inv) => (
            <li key={inv.id}>
              <p>
                <strong>{inv.org_name}</strong>: {inv.invited_by_email || 'a member'} invited you as <strong>{inv.role}</strong>
                {' '}on <time dateTime={inv.created_at}>{longDate(inv.created_at)}</time>.
              </p>
              <div className="row">
                <button type="button" className="primary" disabled={busy} onClick={() => answer(inv, 'accept')}>
                  Join<span className="visually-hidden"> {inv.org_name}</span>
                </button>
                <button type="button" disabled={busy} onClick={() => answer(inv, 'decline')}>
                  Decline<span className="visually-hidden"> the invitation to {inv.org_name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
