import { expect, test } from '@playwright/test';
import { baseURL, signIn } from './helpers';

// Login CSRF, tried as an attacker would: a sign-in started and consented
// to in the attacker's browser, whose callback link is then opened in the
// victim's. The link must sign nobody in (SECURITY.md line 39).
test('a sign-in link from another browser signs nobody in', async ({ browser }) => {
  // The attacker starts a sign-in in their browser and has the sandbox
  // consent as their own account, without following the redirect back.
  const attacker = await browser.newContext();
  const start = await attacker.request.get('/auth/google/start', { maxRedirects: 0, headers: { Accept: 'text/html' } });
  expect(start.status()).toBe(302);
  expect((await attacker.cookies(baseURL)).map((c) => c.name)).toContain('jarvis_signin');
  const consented = await attacker.request.get(`${start.headers()['location']}&login_hint=grace%40example.com&prompt=none`, { maxRedirects: 0 });
  expect(consented.status()).toBe(302);
  const link = consented.headers()['location'];
  expect(link).toContain('/auth/google/callback?');

  // A fresh browser, the victim's, opens the link: the sign-in page says
  // why, and there is no session.
  const victim = await browser.newContext();
  const page = await victim.newPage();
  await page.goto(link);
  await expect(page).toHaveURL(/\/signin\?error=signin_other_browser$/);
  await expect(page.locator('.notice-error')).toContainText('started in another browser');
  await expect(page.getByRole('link', { name: 'Sign in with Google' })).toBeVisible();
  expect((await victim.cookies(baseURL)).find((c) => c.name === 'jarvis_session')).toBeUndefined();
  expect((await page.request.get('/me')).status()).toBe(401);
  await victim.close();

  // The attempt spent the link: the attacker's own browser cannot use it now.
  const reused = await attacker.request.get(link, { maxRedirects: 0, headers: { Accept: 'text/html' } });
  expect(reused.status()).toBe(303);
  expect(reused.headers()['location']).toBe('/signin?error=invalid_request');
  expect((await attacker.cookies(baseURL)).find((c) => c.name === 'jarvis_session')).toBeUndefined();
  await attacker.close();
});

test('a sign-in started in this browser signs it in', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'grace@example.com');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Inbox/);
  const names = (await context.cookies(baseURL)).map((c) => c.name);
  expect(names).toContain('jarvis_session');
  expect(names, 'the binding cookie is spent by its callback').not.toContain('jarvis_signin');
  // The dashboard's writes still pass the CSRF check (its token now derived
  // from the session): signing out from the settings page works.
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in with Google' })).toBeVisible();
  expect((await page.request.get('/me')).status()).toBe(401);
  await context.close();
});
