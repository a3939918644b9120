import { Suspense } from 'react';
import { Assistant } from '@/components/Assistant';
import { Loading } from '@/components/States';

export const metadata = { title: 'Assistant' };

export default function Page() {
  return (
    <Suspense fallback={<Loading label="Loading conversations" />}>
      <Assistant />
    </Suspense>
  );
}
