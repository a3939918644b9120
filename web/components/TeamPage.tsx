'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { ApiError, describeError } from '@/lib/errors';
import type { Member, Org, Role } from '@/lib/types';
import { AuditLog } from './AuditLog';
import { MyInvitations, OrgInvitations } from './Invitations';
import { useMe, useSession } from './Session';
import { EmptyState, ErrorNotice, Loading } from './States';

const roles: Role[] = ['owner', 'admin', 'member'];


function Members({ org, canManage, members, reload }: { org: Org; canManage: boolean; members: Member[]; reload: () => void }) {
  const me = useMe();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [emailError, setEmailError] = useState('');
  const [sent, setSent] = useState('');
  const [version, setVersion] = useState(0);

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setEmailError('');
    setSent('');
    try {
      await fn();
      reload();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.field === 'email') setEmailError(describeError(err).message);
      else setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    const to = email.trim();
    if (await run(() => api.invite(org.id, to, role))) {
      setEmail('');
      setSent(`Invitation sent to ${to}. They join when they accept it.`);
      setVersion((v) => v + 1);
    }
  };

  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members of {org.name}</h2>
      {error ? <ErrorNotice error={error} /> : null}
      <div className="table-wrap">
        <table className="stack">
          <caption className="visually-hidden">Members and their roles</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th>{canManage && <th scope="col"><span className="visually-hidden">Actions</span></th>}</tr></thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.user_id}>
                <td data-label="Name">{m.name || '—'}{m.user_id === me?.user.id && <span className="muted"> (you)</span>}</td>
                <td data-label="Email">{m.email}</td>
                <td data-label="Role">
                  {canManage ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      disabled={busy}
                      onChange={(e) => run(() => api.setRole(org.id, m.user_id, e.target.value as Role))}
                    >
                      {roles.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                  ) : m.role}
                </td>
                {canManage && (
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={busy}
                      onClick={() => window.confirm(`Remove ${m.email} from ${org.name}?`) && run(() => api.removeMember(org.id, m.user_id))}
                    >
                      Remove<span className="visually-hidden"> {m.email}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canManage && <OrgInvitations org={org} version={version} />}
      {sent && <div className="notice notice-ok" role="status">{sent}</div>}
      {canManage && (
        <form onSubmit={add} className="row" noValidate>
          <div className="field spacer">
            <label htmlFor="member-email">Invite by email</label>
            <input
              id="member-email"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              placeholder="name@example.com"
              aria-invalid={emailError ? true : undefined}
              aria-describedby={emailError ? 'member-email-error' : undefined}
            />
            {emailError && <span className="field-error" id="member-email-error">{emailError}</span>}
          </div>
          <div className="field">
            <label htmlFor="member-role">Role</label>
            <select id="member-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {roles.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </div>
          <button type="submit" className="primary" disabled={busy || !email.trim()}>Invite</button>
        </form>
      )}
    </section>
  );
}

/** Leave lets a member leave the org. It is not offered to the last owner, whom the server refuses. */
function Leave({ org }: { org: Org }) {
  const { refresh } = useSession();
  const router = useRouter();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const leave = async () => {
    if (!window.confirm(`Leave ${org.name}? You will need a new invitation to come back.`)) return;
    setBusy(true);
    setError(null);
    try {
      await api.leaveOrg(org.id);
      await refresh();
      router.push('/team');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {error ? <ErrorNotice error={error} /> : null}
      <p><button type="button" className="danger" disabled={busy} onClick={leave}>Leave {org.name}</button></p>
    </>
  );
}

export function TeamPage() {
  const me = useMe();
  const params = useSearchParams();
  const router = useRouter();
  const orgs = me?.orgs || [];
  const org = orgs.find((o) => o.id === params.get('org')) || orgs[0];
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((a) => a + 1), []);

  useEffect(() => {
    if (!org) return;
    const ctl = new AbortController();
    setError(null);
    api.members(org.id, ctl.signal).then((r) => setMembers(r.members || []), (err) => !ctl.signal.aborted && setError(err));
    return () => ctl.abort();
  }, [org, attempt]);

  if (!me) return null;
  if (!org) return <EmptyState title="No organisation"><p>You are not a member of any organisation yet.</p></EmptyState>;
  const canManage = org.role === 'owner' || org.role === 'admin';
  return (
    <>
      <div className="toolbar">
        <h1 className="spacer">Team</h1>
        {orgs.length > 1 && (
          <>
            <label htmlFor="org-select" className="visually-hidden">Organisation</label>
            <select id="org-select" value={org.id} onChange={(e) => router.push(`/team?org=${encodeURIComponent(e.target.value)}`)}>
              {orgs.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
            </select>
          </>
        )}
      </div>
      <MyInvitations />
      <p className="muted small">Your role in {org.name}: <strong>{org.role}</strong>.</p>
      {error ? <ErrorNotice error={error} onRetry={reload} /> : members === null ? <Loading label="Loading members" /> : (
        <Members org={org} canManage={canManage} members={members} reload={reload} />
      )}
      {members && (org.role !== 'owner' || members.filter((m) => m.role === 'owner').length > 1) && <Leave org={org} />}
      {canManage ? (
        <AuditLog org={org} members={members || []} />
      ) : (
        <p className="muted">The audit log is visible to owners and admins.</p>
      )}
    </>
  );
}
