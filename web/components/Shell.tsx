'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';
import { signInURL } from '@/lib/api';
import { usePendingCount } from '@/lib/pending';
import { initials } from '@/lib/format';
import { ConnectButton } from './AccountSwitcher';
import { SessionProvider, useSession } from './Session';
import { SignInCard } from './SignInCard';
import { Skeleton } from './States';
import { UndoToast } from './UndoToast';

const links = [
  { href: '/', label: 'Inbox' },
  { href: '/agenda', label: 'Calendar' },
  { href: '/assistant', label: 'Assistant' },
  { href: '/approvals', label: 'Approvals' },
  { href: '/team', label: 'Team' },
  { href: '/settings', label: 'Settings' },
];

/** Pages that render without a session. */
const publicPaths = new Set(['/signin']);

function normalise(path: string | null): string {
  if (!path) return '/';
  const p = path.replace(/\.html$/, '').replace(/\/+$/, '');
  return p === '' || p === '/index' ? '/' : p;
}

function currentLocation(): string {
  if (typeof window === 'undefined') return '/';
  return window.location.pathname + window.location.search;
}

/** PendingBadge counts the actions waiting for a decision, live. */
function PendingBadge() {
  const n = usePendingCount();
  if (!n) return null;
  return <span className="nav-badge"> {n}<span className="visually-hidden"> pending</span></span>;
}

function Header() {
  const pathname = normalise(usePathname());
  const { session } = useSession();
  const me = session.status === 'signed-in' ? session.me : null;
  const active = (href: string) => (href === '/' ? pathname === '/' || pathname === '/thread' || pathname === '/compose' || pathname === '/scheduled' : pathname.startsWith(href));
  return (
    <header className="app-header">
      <Link className="brand" href="/">Jarvis</Link>
      {me && (
        <nav className="nav" aria-label="Main">
          {links.map((l) => (
            <Link key={l.href} href={l.href} aria-current={active(l.href) ? 'page' : undefined}>
              {l.label}
              {l.href === '/approvals' && <PendingBadge />}
            </Link>
          ))}
        </nav>
      )}
      {me && (
        <Link href="/settings" className="user-chip" title={`Account settings for ${me.user.email}`}>
          <span className="avatar" aria-hidden="true">{initials(me.user.name, me.user.email)}</span>
          <span className="user-name">{me.user.name || me.user.email}</span>
          <span className="visually-hidden"> (account settings)</span>
        </Link>
      )}
    </header>
  );
}

function Banners() {
  const { offline, reauth, reauthAccount: named, accounts, session } = useSession();
  // With one account, reconnecting is signing in again; with several, the banner names the one.
  const reauthAccount = accounts.length > 1 ? named : undefined;
  const [here, setHere] = useState('/');
  const pathname = usePathname();
  useEffect(() => setHere(currentLocation()), [pathname]);
  return (
    <>
      {offline && (
        <div className="banner banner-danger" role="alert">
          <strong>Jarvis is unreachable.</strong>
          <span>Check your connection or the server. The dashboard keeps trying and recovers on its own.</span>
        </div>
      )}
      {reauth && session.status === 'signed-in' && (reauthAccount ? (
        <div className="banner banner-warn" role="alert">
          <strong>Google needs you to reconnect {reauthAccount.email}.</strong>
          <span>Jarvis can no longer reach that account’s mail and calendar.</span>
          <ConnectButton primary email={reauthAccount.email} redirect={here}>Reconnect {reauthAccount.email}</ConnectButton>
        </div>
      ) : (
        <div className="banner banner-warn" role="alert">
          <strong>Google needs you to reconnect.</strong>
          <span>Jarvis can no longer reach your mail and calendar.</span>
          <a className="button primary" href={signInURL(here)}>Reconnect Google</a>
        </div>
      ))}
    </>
  );
}

function Body({ children }: { children: React.ReactNode }) {
  const pathname = normalise(usePathname());
  const { session } = useSession();
  if (publicPaths.has(pathname)) return <>{children}</>;
  if (session.status === 'loading') {
    return (
      <div role="status" aria-busy="true">
        <span className="visually-hidden">Loading</span>
        <Skeleton lines={6} />
      </div>
    );
  }
  if (session.status === 'signed-out') return <SignInCard redirect={typeof window === 'undefined' ? '/' : currentLocation()} />;
  return <>{children}</>;
}

export function Shell({ children }: { children: React.ReactNode }) {
  return (
    <SessionProvider>
      <a className="skip-link" href="#main">Skip to content</a>
      <Header />
      <Banners />
      <main id="main">
        <Body>{children}</Body>
      </main>
      <UndoToast />
    </SessionProvider>
  );
}
