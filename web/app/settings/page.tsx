import { SettingsPage } from '@/components/SettingsPage';

export const metadata = { title: 'Settings' };

export default function Page() {
  return <SettingsPage />;
}
