import { Suspense } from 'react';
import { ConsentPage } from '@/components/ConsentPage';

export const metadata = { title: 'Connect an app' };

export default function Page() {
  return (
    <Suspense>
      <ConsentPage />
    </Suspense>
  );
}
