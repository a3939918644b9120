import { Suspense } from 'react';
import { ThreadView } from '@/components/ThreadView';
import { Loading } from '@/components/States';

export const metadata = { title: 'Thread' };

export default function Page() {
  return (
    <Suspense fallback={<Loading label="Loading the thread" />}>
      <ThreadView />
    </Suspense>
  );
}
