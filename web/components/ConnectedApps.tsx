'use client';

import { useCallback, useEffect, useState } from 'react';
import { longDate } from '@/lib/format';
import { oauthApi, scopeLabel, type ConnectedApp } from '@/lib/oauth';
import { useSession } from './Session';
import { ErrorNotice, Loading } from './States';

/** ConnectedApps lists the MCP clients the user allowed, each revocable. */
export function ConnectedApps() {
  const { accounts } = useSession();
  const [apps, setApps] = useState<ConnectedApp[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const load = useCallback(() => {
    oauthApi.apps().then((r) => setApps(r.apps), setError);
  }, []);
  useEffect(load, [load]);
  const email = (id: string) => accounts.find((a) => a.id === id)?.email || id;
  const revoke = async (app: ConnectedApp) => {
    if (!window.confirm(`Revoke ${app.client_name}? It loses access at once, and must ask you again to connect.`)) return;
    setBusy(app.id);
    setError(null);
    try {
      await oauthApi.revokeApp(app.id);
      setMessage(`${app.client_name} is revoked: none of its tokens work any more.`);
      load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="card" aria-labelledby="apps-title" id="connected-apps">
      <h2 id="apps-title">Connected apps</h2>
      <p className="muted small">AI apps you let reach your mail and calendar through Jarvis’s MCP endpoint. Their names are unverified.</p>
      {error ? <ErrorNotice error={error} /> : null}
      {message && <div className="notice notice-ok" role="status"><p>{message}</p></div>}
      {apps === null && !error ? <Loading label="Loading connected apps" lines={2} /> : null}
      {apps?.length === 0 && <p>No app is connected.</p>}
      {apps && apps.length > 0 && (
        <ul className="account-list">
          {apps.map((a) => (
            <li key={a.id} className="account-row" aria-label={a.client_name}>
              <p>
                <strong>{a.client_name}</strong> <span className="badge">Unverified</span>
              </p>
              <p className="small mono">{a.client_id}</p>
              <p className="small">May: {a.scopes.map(scopeLabel).join('; ')}</p>
              <p className="small">Accounts: {a.accounts.map(email).join(', ')}</p>
              <p className="muted small">
                Connected {longDate(a.created_at)} · {a.last_used_at ? `last used ${longDate(a.last_used_at)}` : 'never used'}
              </p>
              <p className="muted small">Access ends {longDate(a.expires_at)}; then the app must ask you to connect it again.</p>
              <div className="row">
                <button type="button" className="danger" onClick={() => revoke(a)} disabled={busy !== null}>
                  Revoke<span className="visually-hidden"> {a.client_name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
