'use client';

import { useEffect, useState } from 'react';
import { signInURL } from '@/lib/api';
import { describeError, formatWait } from '@/lib/errors';
import { ConnectButton } from './AccountSwitcher';
import { useGoogleConnected, useSession } from './Session';

const widths = ['w80', 'w60', 'w40'];

export function Skeleton({ lines = 3 }: { lines?: number }) {
  return (
    <div className="card" aria-hidden="true">
      {Array.from({ length: lines }, (_, i) => (
        <span key={i} className={`skeleton ${widths[i % widths.length]}`} />
      ))}
    </div>
  );
}

/** Loading announces a busy region to assistive technology and shows a skeleton. */
export function Loading({ label, lines = 5 }: { label: string; lines?: number }) {
  return (
    <div role="status" aria-live="polite">
      <span className="visually-hidden">{label}</span>
      <Skeleton lines={lines} />
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="empty card">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** useCountdown counts seconds down to zero. */
function useCountdown(seconds?: number): number | undefined {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    if (seconds === undefined || seconds <= 0) return;
    const started = Date.now();
    const t = setInterval(() => {
      const l = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(l);
      if (l === 0) clearInterval(t);
    }, 1000);
    return () => clearInterval(t);
  }, [seconds]);
  return left;
}

/** ErrorNotice tells what went wrong in words and what to do about it. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const view = describeError(error, { googleConnected: useGoogleConnected() });
  const { accounts } = useSession();
  // With one account, reconnecting is signing in again; with several, the button names the one.
  const account = accounts.length > 1 ? view.account : undefined;
  const left = useCountdown(view.retryAfter);
  const waiting = left !== undefined && left > 0;
  const here = typeof window === 'undefined' ? '/' : window.location.pathname + window.location.search;
  return (
    <div className="notice notice-error" role="alert">
      <p><strong>{view.title}.</strong> {view.message}</p>
      {waiting && <p>You can retry {formatWait(left!)}.</p>}
      <div className="row">
        {view.action === 'retry' && onRetry && (
          <button type="button" onClick={onRetry} disabled={waiting}>Try again</button>
        )}
        {view.action === 'reconnect' && account && (
          <ConnectButton primary email={account.email} redirect={here}>Reconnect {account.email}</ConnectButton>
        )}
        {view.action === 'reconnect' && !account && <a className="button primary" href={signInURL(here)}>Reconnect Google</a>}
        {view.action === 'connect' && <a className="button primary" href={signInURL(here)}>Connect Google</a>}
        {view.action === 'signin' && <a className="button primary" href={signInURL(here)}>Sign in</a>}
      </div>
      {view.requestId && <p className="small muted">Request id: <span className="mono">{view.requestId}</span></p>}
    </div>
  );
}
