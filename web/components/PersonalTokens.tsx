'use client';

import { useCallback, useEffect, useState } from 'react';
import { request } from '@/lib/api';
import { ApiError } from '@/lib/errors';
import type { GoogleAccount } from '@/lib/types';
import { ErrorNotice, Loading } from './States';

/** A personal token as GET /settings/tokens lists it (never the token itself). */
export interface PersonalToken {
  id: string;
  name: string;
  hint: string;
  scopes: string[];
  accounts: string[];
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

/** The MCP scopes, in the order Jarvis shows them, with what each lets a client do. */
export const mcpScopes: { value: string; label: string }[] = [
  { value: 'mail.read', label: 'Read mail' },
  { value: 'mail.compose', label: 'Draft mail (you approve each draft)' },
  { value: 'mail.send', label: 'Send mail (you approve each send)' },
  { value: 'mail.organize', label: 'Label, archive and trash mail (you approve each change)' },
  { value: 'calendar.read', label: 'Read the calendar' },
  { value: 'calendar.write', label: 'Change the calendar (you approve each change)' },
];

const expiries = [7, 30, 90, 365];

function day(iso: string | null): string {
  if (!iso) return 'never';
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/**
 * PersonalTokens lists, makes and revokes the tokens a local MCP client
 * (`jarvis mcp --stdio`) authenticates with: each scoped, limited to some of
 * the user's Google accounts, expiring and revocable. A new token is shown
 * once.
 */
export function PersonalTokens({ accounts }: { accounts: GoogleAccount[] }) {
  const [tokens, setTokens] = useState<PersonalToken[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['mail.read', 'calendar.read']);
  const [picked, setPicked] = useState<string[]>([]);
  const [days, setDays] = useState(90);
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);

  const load = useCallback(async () => {
    try {
      const out = await request<{ tokens: PersonalToken[] }>('/settings/tokens');
      setTokens(out.tokens || []);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => { void load(); }, [load]);

  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const emailOf = (id: string) => accounts.find((a) => a.id === id)?.email || id;

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setShown(null);
    try {
      const out = await request<PersonalToken & { token: string }>('/settings/tokens', {
        method: 'POST',
        body: { name: name.trim(), scopes, accounts: picked, expires_in_days: days },
      });
      setShown({ name: out.name, token: out.token });
      setName('');
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (t: PersonalToken) => {
    if (!window.confirm(`Revoke “${t.name}”? A client using it stops working at once.`)) return;
    setBusy(true);
    setError(null);
    try {
      await request<void>(`/settings/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
      await load();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) setError(err);
      await load();
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="muted small">
        A personal token lets a local MCP client — a desktop app or an IDE agent, through <code>jarvis mcp --stdio</code> — use
        Jarvis’s tools. Whatever it asks to change waits for your approval.
      </p>
      {error ? <ErrorNotice error={error} /> : null}
      {shown && (
        <div className="notice notice-ok" role="status">
          <p>Your token “{shown.name}” — copy it now, it is not shown again:</p>
          <p><code className="mono" aria-label="New personal token">{shown.token}</code></p>
          <p className="small">Give it to the client as <code>JARVIS_TOKEN</code>.</p>
        </div>
      )}
      {tokens === null ? <Loading label="Loading personal tokens" lines={2} /> : tokens.length === 0 ? (
        <p>No personal tokens.</p>
      ) : (
        <ul className="account-list" aria-label="Personal tokens">
          {tokens.map((t) => (
            <li key={t.id} className="account-row" aria-label={t.name}>
              <p><strong>{t.name}</strong> <span className="muted mono small">{t.hint}…</span></p>
              <p className="small">{t.scopes.join(', ')} · {t.accounts.map(emailOf).join(', ')}</p>
              <p className="muted small">Expires {day(t.expires_at)} · last used {day(t.last_used_at)}</p>
              <div className="row">
                <button type="button" className="danger" onClick={() => revoke(t)} disabled={busy}>
                  Revoke<span className="visually-hidden"> {t.name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={create} aria-label="Make a personal token">
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required placeholder="Laptop desktop app" autoComplete="off" />
        </div>
        <fieldset>
          <legend>It may</legend>
          <div className="check-grid">
          {mcpScopes.map((s) => (
            <label key={s.value} className="checkbox">
              <input type="checkbox" checked={scopes.includes(s.value)} onChange={() => setScopes(toggle(scopes, s.value))} />
              {s.label}
            </label>
          ))}
          </div>
        </fieldset>
        {accounts.length > 1 && (
          <fieldset>
            <legend>In the accounts (none ticked: all)</legend>
            {accounts.map((a) => (
              <label key={a.id} className="checkbox">
                <input type="checkbox" checked={picked.includes(a.id)} onChange={() => setPicked(toggle(picked, a.id))} />
                {a.email}
              </label>
            ))}
          </fieldset>
        )}
        <div className="field narrow">
          <label htmlFor="token-expiry">Expires after</label>
          <select id="token-expiry" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {expiries.map((d) => <option key={d} value={d}>{d} days</option>)}
          </select>
        </div>
        <div className="row">
          <button type="submit" className="primary" disabled={busy || scopes.length === 0 || !name.trim()}>Create token</button>
        </div>
      </form>
    </>
  );
}
