'use client';

import { signInURL } from '@/lib/api';

export function SignInCard({ redirect, error }: { redirect?: string; error?: string }) {
  return (
    <section className="signin card" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Jarvis</h1>
      <p className="muted">Your assistant for Gmail and Google Calendar. Jarvis asks Google for permission to read your mail and calendar and to save drafts; it never sends mail on its own.</p>
      {error && (
        <div className="notice notice-error" role="alert">
          <p>{error}</p>
        </div>
      )}
      <a className="button primary" href={signInURL(redirect && redirect !== '/signin' ? redirect : undefined)}>
        Sign in with Google
      </a>
    </section>
  );
}
