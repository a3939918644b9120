import { Suspense } from 'react';
import { Agenda } from '@/components/Agenda';
import { Loading } from '@/components/States';

export const metadata = { title: 'Calendar' };

export default function Page() {
  return (
    <Suspense fallback={<Loading label="Loading the calendar" />}>
      <Agenda />
    </Suspense>
  );
}
