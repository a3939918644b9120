'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Composer } from './Composer';

export function ComposePage() {
  const p = useSearchParams();
  return (
    <>
      <p><Link href="/">← Inbox</Link></p>
      <Composer title="New draft" headingLevel={1} initial={{ to: p.get('to') || '', subject: p.get('subject') || '' }} />
    </>
  );
}
