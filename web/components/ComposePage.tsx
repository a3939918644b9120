'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { AccountSwitcher } from './AccountSwitcher';
import { Composer } from './Composer';
import { useAccount, useSession } from './Session';

export function ComposePage() {
  const p = useSearchParams();
  const account = useAccount(false);
  const { accounts } = useSession();
  return (
    <>
      <div className="toolbar">
        <p className="spacer"><Link href="/">← Inbox</Link></p>
        {accounts.length > 1 && <span className="muted small" aria-hidden="true">Write from</span>}
        <AccountSwitcher />
      </div>
      <Composer key={account} title="New message" headingLevel={1} account={account} initial={{ to: p.get('to') || '', subject: p.get('subject') || '' }} />
    </>
  );
}
