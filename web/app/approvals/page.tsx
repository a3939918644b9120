import { Suspense } from 'react';
import { ApprovalsPage } from '@/components/ApprovalsPage';

export const metadata = { title: 'Approvals' };

export default function Page() {
  return (
    <Suspense>
      <ApprovalsPage />
    </Suspense>
  );
}
