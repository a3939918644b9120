'use client';

import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { api, CSRF_COOKIE, onApiSignal } from '@/lib/api';
import { accountFor, readStoredAccount, storeAccount } from '@/lib/account';
import { readCookie } from '@/lib/cookies';
import { ApiError, UNREACHABLE } from '@/lib/errors';
import type { AccountRef, GoogleAccount, Me } from '@/lib/types';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'signed-in'; me: Me };

interface SessionContextValue {
  session: SessionState;
  /** The server stopped answering. */
  offline: boolean;
  /** Google refused Jarvis's grant: the user has to reconnect. */
  reauth: boolean;
  /** The account Google refused, when the server named it. */
  reauthAccount?: AccountRef;
  /** The user's Google accounts, the primary first. */
  accounts: GoogleAccount[];
  /** The account the pages show: an id, "all", or "" for the primary. */
  account: string;
  setAccount: (account: string) => void;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue>({
  session: { status: 'loading' },
  offline: false,
  reauth: false,
  accounts: [],
  account: '',
  setAccount: () => {},
  refresh: async () => {},
});

export function useSession() {
  return useContext(SessionContext);
}

/** useMe returns the signed-in user; pages render only inside a signed-in shell. */
export function useMe(): Me | null {
  const { session } = useSession();
  return session.status === 'signed-in' ? session.me : null;
}

/**
 * useGoogleConnected says whether the signed-in user has a Google
 * connection (false after a disconnect), or undefined when not known.
 */
export function useGoogleConnected(): boolean | undefined {
  const { session } = useSession();
  if (session.status !== 'signed-in') return undefined;
  const g = session.me.google;
  return Boolean(g) && g!.status !== 'revoked';
}

/**
 * useAccount returns the account parameter of the chosen account for a
 * page: "all" only when allowAll (and there are several), "" for the primary.
 */
export function useAccount(allowAll: boolean): string {
  const { account, accounts } = useSession();
  return accountFor(account, accounts, allowAll);
}

const retryEvery = 5000;

export function SessionProvider({ children }: { children: React.ReactNode }) {
  const [session, setSession] = useState<SessionState>({ status: 'loading' });
  const [offline, setOffline] = useState(false);
  const [reauth, setReauth] = useState(false);
  const [reauthAccount, setReauthAccount] = useState<AccountRef | undefined>();
  const [accounts, setAccounts] = useState<GoogleAccount[]>([]);
  const [account, setAccountState] = useState('');
  const probing = useRef(false);

  useEffect(() => setAccountState(readStoredAccount()), []);
  const setAccount = useCallback((a: string) => {
    storeAccount(a);
    setAccountState(a);
  }, []);

  const refresh = useCallback(async () => {
    // Signing in sets the CSRF cookie beside the session cookie (which
    // scripts cannot read): without it there is no session to ask about,
    // and asking would only log a 401 in the console.
    if (!readCookie(CSRF_COOKIE)) {
      setSession({ status: 'signed-out' });
      return;
    }
    try {
      const me = await api.me();
      const list = await api.accounts().then((r) => r.accounts || [], () => [] as GoogleAccount[]);
      setAccounts(list);
      setSession({ status: 'signed-in', me });
      const broken = list.find((a) => a.status !== 'active');
      setReauth(me.google?.status === 'reauth_required' || me.google?.status === 'revoked' || Boolean(broken));
      setReauthAccount(broken && list.length > 1 ? { id: broken.id, email: broken.email } : undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthorized') setSession({ status: 'signed-out' });
      else if (err instanceof ApiError && err.code === UNREACHABLE) setOffline(true);
      else setSession((s) => (s.status === 'loading' ? { status: 'signed-out' } : s));
    }
  }, []);

  useEffect(() => {
    refresh();
    return onApiSignal((s, acct) => {
      if (s === 'unauthorized') setSession({ status: 'signed-out' });
      if (s === 'reauth') {
        setReauth(true);
        setReauthAccount(acct);
      }
      if (s === 'unreachable') setOffline(true);
      if (s === 'reachable') setOffline(false);
    });
  }, [refresh]);

  // While the server is unreachable, probe it until it answers again.
  useEffect(() => {
    if (!offline) return;
    const t = setInterval(async () => {
      if (probing.current) return;
      probing.current = true;
      try {
        await api.health();
        setOffline(false);
        refresh();
      } catch {
        // still down
      } finally {
        probing.current = false;
      }
    }, retryEvery);
    return () => clearInterval(t);
  }, [offline, refresh]);

  return (
    <SessionContext.Provider value={{ session, offline, reauth, reauthAccount, accounts, account, setAccount, refresh }}>
      {children}
    </SessionContext.Provider>
  );
}
