'use client';

import { useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { api, signInURL } from '@/lib/api';
import { describeConnectError } from '@/lib/errors';
import { missingFeatures } from '@/lib/permissions';
import type { GoogleAccount } from '@/lib/types';
import { ConnectButton } from './AccountSwitcher';
import { ConnectedApps } from './ConnectedApps';
import { PersonalTokens } from './PersonalTokens';
import { PolicyForm } from './PolicyForm';
import { useSession } from './Session';
import { ErrorNotice } from './States';

const statusWords: Record<string, string> = {
  active: 'Connected',
  reauth_required: 'Needs reconnecting',
  revoked: 'Disconnected',
};

/** Where the connect flow brings the browser back to. */
const back = '/settings?connected=1';

function AccountRow({ account, status, busy, onPrimary, onDisconnect }: {
  account: GoogleAccount;
  status: string;
  busy: boolean;
  onPrimary: () => void;
  onDisconnect: () => void;
}) {
  const a = account;
  // Connected, but with a permission refused on Google's consent page.
  const missing = status === 'active' ? missingFeatures(a.scopes) : [];
  const ok = status === 'active' && missing.length === 0;
  return (
    <li className="account-row" aria-label={a.email}>
      <p>
        <strong>{a.email}</strong>
        {a.primary && <span className="badge badge-primary">Primary</span>}
        {a.name && <span className="muted"> · {a.name}</span>}
      </p>
      <p>
        Status:{' '}
        <span className={ok ? 'status-active' : 'status-bad'}>
          {missing.length > 0 ? 'Connected, with permissions missing' : statusWords[status] || status}
        </span>
      </p>
      {missing.length > 0 && (
        <div className="notice notice-error" role="status">
          <p>Google did not grant every permission Jarvis asks for, so these do not work:</p>
          <ul>{missing.map((f) => <li key={f.name}><strong>{f.name}</strong> — {f.page}.</li>)}</ul>
          <p>Reconnect this account and leave every box ticked on Google’s consent page.</p>
        </div>
      )}
      {a.scopes?.length > 0 && (
        <details>
          <summary>Permissions granted ({a.scopes.length})<span className="visually-hidden"> to {a.email}</span></summary>
          <ul className="small mono">{a.scopes.map((s) => <li key={s}>{s}</li>)}</ul>
        </details>
      )}
      <div className="row">
        {!ok && (
          <ConnectButton primary email={a.email} redirect={back}>
            Reconnect<span className="visually-hidden"> {a.email}</span>
          </ConnectButton>
        )}
        {!a.primary && (
          <button type="button" onClick={onPrimary} disabled={busy}>
            Make primary<span className="visually-hidden">: {a.email}</span>
          </button>
        )}
        <button type="button" className="danger" onClick={onDisconnect} disabled={busy}>
          Disconnect<span className="visually-hidden"> {a.email}</span>
        </button>
      </div>
    </li>
  );
}

export function SettingsPage() {
  const { session, refresh, reauth, reauthAccount, accounts } = useSession();
  const params = useSearchParams();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  if (session.status !== 'signed-in') return null;
  const { me } = session;
  const connectError = params.get('error');
  const connected = params.get('connected') === '1' && !connectError;

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

  const statusOf = (a: GoogleAccount) => {
    if (a.status === 'active' && reauth && (reauthAccount ? reauthAccount.id === a.id : a.primary)) return 'reauth_required';
    return a.status;
  };
  const makePrimary = (a: GoogleAccount) =>
    run(`primary-${a.id}`, () => api.makePrimary(a.id), () => {
      setMessage(`${a.email} is now your primary account: Gmail and Calendar use it unless you pick another.`);
      refresh();
    });
  const disconnect = (a: GoogleAccount) => {
    const last = accounts.length === 1;
    const question = last
      ? `${a.email} is your last Google account. Disconnect it? You stay signed in to Jarvis, but it can no longer read your mail and calendar until you connect an account again.`
      : `Disconnect ${a.email}? Jarvis revokes its access at Google and deletes everything it stored for this account. Your other accounts stay connected.`;
    if (!window.confirm(question)) return;
    run(`disconnect-${a.id}`, () => api.disconnectAccount(a.id, last), () => {
      setMessage(`${a.email} is disconnected. Jarvis no longer holds a token for it.`);
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
      {connectError && <div className="notice notice-error" role="alert"><p>{describeConnectError(connectError)}</p></div>}
      {connected && !message && <div className="notice notice-ok" role="status"><p>Google account connected.</p></div>}
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
        <h2 id="google-title">Google accounts</h2>
        {accounts.length > 0 ? (
          <>
            <p className="muted small">
              Gmail and Calendar use the primary account unless you pick another; the calendar and the assistant’s free-time search can use them all.
            </p>
            <ul className="account-list">
              {accounts.map((a) => (
                <AccountRow key={a.id} account={a} status={statusOf(a)} busy={busy !== null}
                  onPrimary={() => makePrimary(a)} onDisconnect={() => disconnect(a)} />
              ))}
            </ul>
            <div className="row">
              <ConnectButton redirect={back}>Connect another Google account</ConnectButton>
            </div>
          </>
        ) : (
          <>
            <p>Google is not connected. Connect it so Jarvis can read your mail and calendar.</p>
            <div className="row">
              <a className="button primary" href={signInURL('/settings')}>Connect Google</a>
            </div>
          </>
        )}
      </section>
      <section className="card" aria-labelledby="policy" id="policy-section">
        <h2 id="policy">What agents may do</h2>
        <PolicyForm />
      </section>
      <ConnectedApps />
      <section className="card" aria-labelledby="tokens-title">
        <h2 id="tokens-title">Personal tokens</h2>
        <PersonalTokens accounts={accounts} />
      </section>
    </>
  );
}
