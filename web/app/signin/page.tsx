import { Suspense } from 'react';
import { SignInPage } from './SignInPage';

export const metadata = { title: 'Sign in' };

export default function Page() {
  return (
    <Suspense>
      <SignInPage />
    </Suspense>
  );
}
