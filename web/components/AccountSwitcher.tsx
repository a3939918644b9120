'use client';

import { useState } from 'react';
import { api } from '@/lib/api';
import { ALL_ACCOUNTS } from '@/lib/account';
import { useAccount, useSession } from './Session';

/**
 * AccountSwitcher picks which Google account a page shows, with "All
 * accounts" where the page can merge them. It shows only when the user has
 * several accounts.
 */
export function AccountSwitcher({ allowAll = false }: { allowAll?: boolean }) {
  const { accounts, setAccount } = useSession();
  const value = useAccount(allowAll);
  if (accounts.length < 2) return null;
  const primary = accounts.find((a) => a.primary);
  return (
    <>
      <label htmlFor="account-switcher" className="visually-hidden">Google account</label>
      <select id="account-switcher" value={value || primary?.id || ''} onChange={(e) => setAccount(e.target.value)}>
        {allowAll && <option value={ALL_ACCOUNTS}>All accounts</option>}
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>{a.email}{a.primary ? ' (primary)' : ''}</option>
        ))}
      </select>
    </>
  );
}

/**
 * ConnectButton sends the browser to Google to connect another account, or,
 * with email, to reconnect that one; it comes back to redirect.
 */
export function ConnectButton({ email, redirect, primary, children }: {
  email?: string;
  redirect: string;
  primary?: boolean;
  children: React.ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const go = async () => {
    setBusy(true);
    setFailed(false);
    try {
      const r = await api.connectAccount({ login_hint: email, redirect });
      window.location.assign(r.authorization_url);
    } catch {
      setFailed(true);
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={primary ? 'primary' : undefined} onClick={go} disabled={busy}>{children}</button>
      {failed && <span className="small status-bad" role="status">Could not reach Jarvis. Try again.</span>}
    </>
  );
}
