import { Suspense } from 'react';
import { ComposePage } from '@/components/ComposePage';

export const metadata = { title: 'New message' };

export default function Page() {
  return (
    <Suspense>
      <ComposePage />
    </Suspense>
  );
}
