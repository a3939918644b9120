import { Suspense } from 'react';
import { ScheduledPage } from '@/components/ScheduledPage';

export const metadata = { title: 'Scheduled' };

export default function Page() {
  return (
    <Suspense>
      <ScheduledPage />
    </Suspense>
  );
}
