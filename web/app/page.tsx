import { Suspense } from 'react';
import { Inbox } from '@/components/Inbox';
import { Loading } from '@/components/States';

export const metadata = { title: 'Inbox' };

export default function Page() {
  return (
    <Suspense fallback={<Loading label="Loading the inbox" />}>
      <Inbox />
    </Suspense>
  );
}
