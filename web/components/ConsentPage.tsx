'use client';

import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { consentErrorText, oauthApi, scopeLabel, type AuthRequest } from '@/lib/oauth';
import { useSession } from './Session';
import { ErrorNotice, Loading } from './States';

/**
 * ConsentPage asks the signed-in user whether an MCP client may act for
 * them: it names the client (unverified), where its answer goes, the
 * scopes and the Google accounts, each of which the user can narrow.
 */
export function ConsentPage() {
  const params = useSearchParams();
  const { accounts } = useSession();
  const id = params.get('request') || '';
  const refused = params.get('error');
  const [req, setReq] = useState<AuthRequest | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [scopes, setScopes] = useState<string[]>([]);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!id) return;
    oauthApi.authRequest(id).then((r) => {
      setReq(r);
      setScopes(r.scopes);
    }, setError);
  }, [id]);

  if (refused || !id) {
    return (
      <>
        <h1>Connect an app</h1>
        <div className="notice notice-error" role="alert">
          {/* Only Jarvis's own words: text from the address bar could be anyone's. */}
          <p>{refused ? consentErrorText(refused) : 'There is no request to answer here.'}</p>
          <p className="muted small">Jarvis did not send your browser back to the app. Start connecting it again from the app.</p>
        </div>
      </>
    );
  }
  if (error) {
    return (
      <>
        <h1>Connect an app</h1>
        <ErrorNotice error={error} />
        <p className="muted">The request may have expired (after 10 minutes) or been answered already: start again from the app.</p>
      </>
    );
  }
  if (!req) return <Loading label="Loading the request" />;
  const selected = chosen ?? accounts.map((a) => a.id);
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const answer = async (allow: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const { redirect_to } = await oauthApi.decide(id, allow, allow ? scopes : [], allow ? selected : []);
      window.location.assign(redirect_to);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const canAllow = scopes.length > 0 && selected.length > 0 && !busy;
  return (
    <div className="consent">
      <h1>Connect {req.client_name}?</h1>
      <section className="card" aria-labelledby="client-title">
        <h2 id="client-title">
          {req.client_name} <span className="badge">Unverified</span>
        </h2>
        <p className="small">
          Jarvis did not check who made this app: the name is the one it gives itself.
          {req.client_type === 'metadata_document' ? ' It describes itself at ' : ' It registered itself with Jarvis as '}
          <span className="mono">{req.client_id}</span>.
        </p>
        <p>
          After you answer, your browser goes back to <strong className="mono">{req.redirect_host}</strong>.
          Allow only if you started connecting this app yourself.
        </p>
      </section>
      <section className="card" aria-labelledby="scopes-title">
        <h2 id="scopes-title">What it may do</h2>
        <fieldset>
          <legend className="visually-hidden">Permissions</legend>
          {req.scopes.map((s) => (
            <label key={s} className="checkbox">
              <input type="checkbox" name="scope" value={s} checked={scopes.includes(s)} onChange={() => setScopes(toggle(scopes, s))} />
              <span>{scopeLabel(s)} <span className="muted mono small">{s}</span></span>
            </label>
          ))}
        </fieldset>
        <p className="muted small">Whatever it asks to change waits for your approval in Jarvis, unless your policy lets it run.</p>
      </section>
      <section className="card" aria-labelledby="accounts-title">
        <h2 id="accounts-title">Which Google accounts</h2>
        <fieldset>
          <legend className="visually-hidden">Google accounts</legend>
          {accounts.map((a) => (
            <label key={a.id} className="checkbox">
              <input type="checkbox" name="account" value={a.id} checked={selected.includes(a.id)} onChange={() => setChosen(toggle(selected, a.id))} />
              <span>{a.email}{a.primary && <span className="badge badge-primary">Primary</span>}</span>
            </label>
          ))}
        </fieldset>
      </section>
      {error ? <ErrorNotice error={error} /> : null}
      <div className="row">
        <button type="button" className="primary" onClick={() => answer(true)} disabled={!canAllow}>Allow</button>
        <button type="button" onClick={() => answer(false)} disabled={busy}>Deny</button>
      </div>
      {!canAllow && !busy && <p className="muted small">Choose at least one permission and one account to allow, or deny.</p>}
    </div>
  );
}
