'use client';

import { useState } from 'react';
import { api, signInURL } from '@/lib/api';
import { missingFeatures } from '@/lib/permissions';
import { useSession } from './Session';
import { ErrorNotice } from './States';

const statusWords: Record<string, string> = {
  active: 'Connected',
  reauth_required: 'Needs reconnecting',
  revoked: 'Disconnected',
};

export function SettingsPage() {
  const { session, refresh, reauth } = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  if (session.status !== 'signed-in') return null;
  const { me } = session;
  const g = me.google;
  const status = reauth && g?.status === 'active' ? 'reauth_required' : g?.status;
  // Connected, but with a permission refused on Google's consent page.
  const missing = g && status === 'active' ? missingFeatures(g.scopes) : [];

  const run = async (what: string, fn: () => Promise<unknown>, after: () => void) => {
    setBusy(what);
    setError(null);
    setMessage('');
    try {
      await fn();
      after();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const disconnect = () => {
    if (!window.confirm('Disconnect Google? Jarvis will forget its access to your mail and calendar until you reconnect.')) return;
    run('disconnect', api.disconnectGoogle, () => {
      setMessage('Google is disconnected. Jarvis no longer holds a token for your account.');
      refresh();
    });
  };
  const signOut = (everywhere: boolean) =>
    run(everywhere ? 'all' : 'one', everywhere ? api.logoutAll : api.logout, () => {
      window.location.assign('/signin');
    });

  return (
    <>
      <h1>Settings</h1>
      {error ? <ErrorNotice error={error} /> : null}
      {message && <div className="notice notice-ok" role="status"><p>{message}</p></div>}
      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <p>{me.user.name} <span className="muted">&lt;{me.user.email}&gt;</span></p>
        <div className="row">
          <button type="button" onClick={() => signOut(false)} disabled={busy !== null}>Sign out</button>
          <button type="button" onClick={() => signOut(true)} disabled={busy !== null}>Sign out everywhere</button>
        </div>
        <p className="muted small">“Sign out everywhere” ends your sessions on every device and browser.</p>
      </section>
      <section className="card" aria-labelledby="google-title">
        <h2 id="google-title">Google connection</h2>
        {g ? (
          <>
            <p>
              Status:{' '}
              <span className={status === 'active' && missing.length === 0 ? 'status-active' : 'status-bad'}>
                {missing.length > 0 ? 'Connected, with permissions missing' : statusWords[status || ''] || status}
              </span>
              {g.email && <> · {g.email}</>}
            </p>
            {missing.length > 0 && (
              <div className="notice notice-error" role="status">
                <p>Google did not grant every permission Jarvis asks for, so these do not work:</p>
                <ul>{missing.map((f) => <li key={f.name}><strong>{f.name}</strong> — {f.page}.</li>)}</ul>
                <p>Reconnect Google and leave every box ticked on its consent page.</p>
              </div>
            )}
            {g.scopes?.length > 0 && (
              <details>
                <summary>Permissions granted ({g.scopes.length})</summary>
                <ul className="small mono">{g.scopes.map((s) => <li key={s}>{s}</li>)}</ul>
              </details>
            )}
          </>
        ) : (
          <p>Google is not connected. Connect it so Jarvis can read your mail and calendar.</p>
        )}
        <div className="row">
          <a className={`button${status !== 'active' || missing.length > 0 ? ' primary' : ''}`} href={signInURL('/settings')}>
            {g && status !== 'revoked' ? 'Reconnect Google' : 'Connect Google'}
          </a>
          {g && status !== 'revoked' && (
            <button type="button" className="danger" onClick={disconnect} disabled={busy !== null}>Disconnect Google</button>
          )}
        </div>
      </section>
    </>
  );
}
