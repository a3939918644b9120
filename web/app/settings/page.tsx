import { Suspense } from 'react';
import { SettingsPage } from '@/components/SettingsPage';
import { Loading } from '@/components/States';

export const metadata = { title: 'Settings' };

export default function Page() {
  return (
    <Suspense fallback={<Loading label="Loading the settings" />}>
      <SettingsPage />
    </Suspense>
  );
}
