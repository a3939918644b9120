import { Suspense } from 'react';
import { TeamPage } from '@/components/TeamPage';
import { Loading } from '@/components/States';

export const metadata = { title: 'Team' };

export default function Page() {
  return (
    <Suspense fallback={<Loading label="Loading the team" />}>
      <TeamPage />
    </Suspense>
  );
}
