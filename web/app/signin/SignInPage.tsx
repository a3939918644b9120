'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect } from 'react';
import { SignInCard } from '@/components/SignInCard';
import { useSession } from '@/components/Session';
import { describeSignInError } from '@/lib/errors';

export function SignInPage() {
  const params = useSearchParams();
  const error = params.get('error');
  const { session } = useSession();
  const router = useRouter();
  // Someone already signed in who lands here without an error goes to the inbox.
  useEffect(() => {
    if (session.status === 'signed-in' && !error) router.replace('/');
  }, [session.status, error, router]);
  return <SignInCard redirect={params.get('redirect') || undefined} error={error ? describeSignInError(error) : undefined} />;
}
