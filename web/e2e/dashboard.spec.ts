import { expect, test, type Page } from '@playwright/test';
import {
  baseURL, consent, expectAccessible, expectAccessibleBothSchemes, expectControlsUsable, expectNoCSPViolations, sandboxURL, shot, signIn, watchCSP,
} from './helpers';

// One signed-in browser goes through the dashboard the way a person would.
test.describe.configure({ mode: 'serial' });

let page: Page;
let htmlThreadId = '';
let replyThreadId = '';
// Set once the chat test has approved a draft, so the audit log must show it.
let chatApproved = false;

test.beforeAll(async ({ browser }) => {
  const context = await browser.newContext();
  page = await context.newPage();
  await watchCSP(page);
  if (process.env.E2E_DEBUG) {
    page.on('console', (m) => console.log(`[console ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
    page.on('framenavigated', (f) => f === page.mainFrame() && console.log(`[nav] ${f.url()}`));
    page.on('response', (r) => r.status() >= 400 && console.log(`[http ${r.status()}] ${r.url()}`));
    page.on('request', (r) => pending.set(r, Date.now()));
    page.on('requestfinished', (r) => pending.delete(r));
    page.on('requestfailed', (r) => pending.delete(r));
  }
});

const pending = new Map<import('@playwright/test').Request, number>();
test.afterEach(async ({}, info) => {
  if (process.env.E2E_DEBUG && info.status !== info.expectedStatus) {
    for (const [r, t] of pending) console.log(`[pending ${Date.now() - t}ms] ${r.method()} ${r.url()}`);
  }
});

test.afterAll(async () => {
  await page.context().close();
});

const external = (url: string) => !url.startsWith(baseURL) && !url.startsWith(sandboxURL) && !url.startsWith('data:') && !url.startsWith('blob:') && !url.startsWith('about:');

test('serves the dashboard with strict headers', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const h = res.headers();
  expect(h['content-security-policy']).toContain("default-src 'self'");
  expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(h['content-security-policy']).not.toContain('unsafe-inline');
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBe('no-referrer');
  expect(h['cache-control']).toBe('no-cache');
  const missing = await request.get('/no/such/page');
  expect(missing.status()).toBe(404);
});

test('signed out, the dashboard offers Google sign-in', async () => {
  const consoleErrors: string[] = [];
  const onConsole = (m: import('@playwright/test').ConsoleMessage) => { if (m.type() === 'error') consoleErrors.push(m.text()); };
  page.on('console', onConsole);
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Sign in with Google' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  page.off('console', onConsole);
  expect(consoleErrors, 'a signed-out page logs no error (no 401 for /me)').toEqual([]);
  // The sandbox's pages have an icon.
  const icon = await page.request.get(`${sandboxURL}/favicon.ico`);
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toBe('image/svg+xml');
  await expectAccessibleBothSchemes(page, 'sign-in');
  await shot(page, 'signin');
  await page.goto('/signin?error=access_denied');
  await expect(page.getByRole('alert').filter({ hasText: 'Sign-in' }).or(page.locator('.notice-error'))).toContainText('cancelled');
  await expectAccessible(page, 'sign-in with error');
  await expectNoCSPViolations(page);
});

test('sign in on the consent page lands on the inbox', async () => {
  await signIn(page, 'ada@example.com');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Inbox/);
  await expect(page.getByRole('list', { name: 'Threads' }).getByRole('listitem').first()).toBeVisible();
  const cookies = await page.context().cookies(baseURL);
  const session = cookies.find((c) => c.name === 'jarvis_session');
  expect(session?.httpOnly, 'session cookie is HttpOnly').toBe(true);
  expect(await page.evaluate(() => document.cookie)).not.toContain('jarvis_session');
  expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toMatch(/ey[A-Za-z0-9_-]{10,}\./);
  // Each row names the thread's senders, as Gmail does: the user is "me".
  await expect(page.locator('.thread-from').first()).not.toHaveText('');
  await expect(page.locator('.thread-from').filter({ hasText: /(^|, )me(,|$| \()/ }).first()).toBeVisible();
  await expect(page.locator('.thread-from').filter({ hasText: 'Ada Lovelace' })).toHaveCount(0);
  await expectAccessibleBothSchemes(page, 'inbox');
  await shot(page, 'inbox');
  await expectNoCSPViolations(page);
});

test('inbox keyboard shortcuts and search', async () => {
  const items = page.getByRole('list', { name: 'Threads' }).getByRole('listitem');
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('j');
  await expect(items.nth(1)).toHaveClass(/selected/);
  await page.keyboard.press('k');
  await expect(items.nth(0)).toHaveClass(/selected/);
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Search mail' })).toBeFocused();
  await page.keyboard.type('Urgent');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\?q=Urgent/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Search results');
  await expect(items.first()).toContainText('Urgent: instructions for your assistant');
  await page.getByRole('searchbox', { name: 'Search mail' }).fill('zzzz-no-such-mail-zzzz');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('heading', { name: 'No threads match' })).toBeVisible();
  await expectAccessible(page, 'inbox empty search');
});

test('an HTML-only thread renders sandboxed, without scripts or remote images', async () => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/');
  const items = page.getByRole('list', { name: 'Threads' }).getByRole('listitem');
  await expect(items.first()).toBeVisible();
  // The newsletter is the demo's HTML-only mail.
  // Type into the focused search box, then wait for the results themselves:
  // the inbox's own list is on screen until they replace it.
  const search = page.getByRole('searchbox', { name: 'Search mail' });
  await search.fill('Engine Weekly');
  await expect(search).toBeFocused();
  await search.press('Enter');
  await expect(page).toHaveURL(/\?q=Engine\+Weekly/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Search results');
  await expect(items.first()).toContainText('Engine Weekly');
  await expect(items.first()).toHaveClass(/selected/);
  // Enter opens the selected thread once the focus has left the search box.
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await expect(search).not.toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/thread\?id=/);
  htmlThreadId = new URL(page.url()).searchParams.get('id')!;

  const frame = page.locator('iframe.mail-frame').first();
  await expect(frame).toBeVisible();
  const sandbox = (await frame.getAttribute('sandbox')) || '';
  expect(sandbox).not.toContain('allow-scripts');
  expect(sandbox).toContain('allow-same-origin');
  const src = (await frame.getAttribute('src'))!;
  expect(src).not.toContain('images=1');

  // The route sends its own CSP, which forbids scripts.
  const res = await page.request.get(src);
  expect(res.status()).toBe(200);
  const csp = res.headers()['content-security-policy'] || '';
  expect(csp).toMatch(/script-src 'none'|default-src 'none'/);
  expect(csp).not.toContain('unsafe-inline\' \'unsafe-eval');

  // The document in the frame has no scripts or handlers, and nothing ran.
  await expect.poll(() => frame.evaluate((f: HTMLIFrameElement) => f.contentDocument?.readyState)).toBe('complete');
  const inside = await frame.evaluate((f: HTMLIFrameElement) => {
    const doc = f.contentDocument!;
    const handlers = [...doc.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length;
    const jsLinks = [...doc.querySelectorAll('a[href], [src]')].filter((el) => /^\s*javascript:/i.test(el.getAttribute('href') || el.getAttribute('src') || '')).length;
    const remote = [...doc.images].filter((img) => /^https?:/i.test(img.currentSrc || img.src) && !(img.currentSrc || img.src).startsWith(location.origin));
    return {
      scripts: doc.querySelectorAll('script').length,
      handlers,
      jsLinks,
      text: doc.body?.innerText.length || 0,
      remoteLoaded: remote.filter((img) => img.complete && img.naturalWidth > 0).length,
      pwned: (f.contentWindow as unknown as { __pwned?: boolean }).__pwned || (window as unknown as { __pwned?: boolean }).__pwned || false,
    };
  });
  expect(inside.scripts).toBe(0);
  expect(inside.handlers).toBe(0);
  expect(inside.jsLinks).toBe(0);
  expect(inside.text).toBeGreaterThan(20);
  expect(inside.remoteLoaded).toBe(0);
  expect(inside.pwned).toBe(false);
  expect(requests.filter(external), 'no request left the machine before the user asked').toEqual([]);
  await expectAccessibleBothSchemes(page, 'thread');
  await shot(page, 'thread');
  await expectNoCSPViolations(page);

  // Asking for remote images reloads the frame with images=1.
  await page.getByRole('button', { name: 'Show remote images' }).click();
  await expect(frame).toHaveAttribute('src', /images=1/);
  await expect(page.getByText('Remote images are shown.')).toBeVisible();
});

test('inline cid: images come from the attachment route; attachments download', async () => {
  await page.goto('/?q=' + encodeURIComponent('Weekly metrics with chart'));
  await page.getByRole('link', { name: /Weekly metrics with chart/ }).first().click();
  const frame = page.locator('iframe.mail-frame').first();
  await expect(frame).toBeVisible();
  await expect.poll(() => frame.evaluate((f: HTMLIFrameElement) => {
    const img = f.contentDocument?.images[0];
    return img && img.complete && img.naturalWidth > 0 ? new URL(img.currentSrc || img.src).pathname : '';
  })).toMatch(/\/attachment\//);

  await page.goto('/?q=' + encodeURIComponent('Invoice 1042'));
  await page.getByRole('link', { name: /Invoice 1042/ }).first().click();
  const link = page.getByRole('link', { name: /invoice-1042\.pdf/ });
  await expect(link).toContainText('application/pdf');
  const href = (await link.getAttribute('href'))!;
  const res = await page.request.get(href);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-disposition']).toMatch(/^attachment/);
  // Plain text keeps its line breaks.
  await expect(page.locator('.mail-text').first()).toContainText('Amount due');
  expect(await page.locator('.mail-text').first().evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
});

test('a forged sender is marked in the thread, a verified one is not', async () => {
  await page.goto('/?q=' + encodeURIComponent('confirm your account details'));
  await page.getByRole('link', { name: /confirm your account details/ }).first().click();
  const warning = page.locator('.sender-warning');
  await expect(warning).toHaveText('Gmail could not verify this sender');
  await expect(warning).toHaveAttribute('title', /northwind-bank\.example/);

  await page.goto('/?q=' + encodeURIComponent('Security alert: new sign-in'));
  await page.getByRole('link', { name: /Security alert: new sign-in/ }).first().click();
  await expect(page.getByRole('heading', { name: /Northwind Bank/ })).toBeVisible();
  await expect(page.locator('.sender-warning')).toHaveCount(0);
});

test('reply makes exactly one draft in the thread, even on a double click', async () => {
  await page.goto('/');
  const items = page.getByRole('list', { name: 'Threads' }).getByRole('listitem');
  await expect(items.first()).toBeVisible();
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  if (process.env.E2E_DEBUG) {
    await page.evaluate(() => document.addEventListener('keydown', (e) => console.log('keydown', e.key, (e.target as HTMLElement).tagName, e.defaultPrevented, document.querySelectorAll('.thread-item').length, location.href), true));
    await page.evaluate(() => window.addEventListener('keydown', (e) => console.log('keydown-bubble', e.key, e.defaultPrevented)));
  }
  // The list's key handler is in place once its threads are on screen.
  await expect(items.first()).toHaveClass(/selected/);
  await expect(page.getByRole('searchbox', { name: 'Search mail' })).not.toBeFocused();
  await page.keyboard.press('r');
  await expect(page).toHaveURL(/\/thread\?id=.*reply=1/);
  replyThreadId = new URL(page.url()).searchParams.get('id')!;
  const before = await page.request.get(`/gmail/thread/${replyThreadId}`);
  expect(before.status()).toBe(200);
  const draftsBefore = (await before.json()).messages.filter((m: { labels: string[] }) => (m.labels || []).includes('DRAFT')).length;

  const composer = page.getByRole('region', { name: 'Reply' });
  await expect(composer.getByLabel('To', { exact: true })).not.toHaveValue('');
  await expect(composer.getByLabel('Subject')).toHaveValue(/^Re: /);
  // An invalid address comes back from the API next to its field.
  await composer.getByRole('button', { name: 'Add Cc or Bcc' }).click();
  await composer.getByLabel('Cc', { exact: true }).fill('not-an-address');
  await composer.getByLabel('Message').fill('Thank you — I will look at this today.\n\nAda');
  await composer.getByRole('button', { name: 'Save draft' }).click();
  await expect(composer.locator('#compose-cc-error')).toBeVisible();
  await expect(composer.getByLabel('Cc', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'reply with a field error');
  await composer.getByLabel('Cc', { exact: true }).fill('');
  await composer.getByRole('button', { name: 'Save draft' }).dblclick();
  await expect(page.getByText('Draft saved in Gmail.')).toBeVisible();

  const after = await page.request.get(`/gmail/thread/${replyThreadId}`);
  const drafts = (await after.json()).messages.filter((m: { labels: string[] }) => (m.labels || []).includes('DRAFT'));
  expect(drafts.length - draftsBefore, 'exactly one new draft, in the thread').toBe(1);
});

test('a draft in a thread is marked as a draft and opens in the composer', async () => {
  await page.goto(`/thread?id=${encodeURIComponent(replyThreadId)}`);
  // The newest draft with this text (a repeated run leaves earlier ones).
  const draft = page.getByRole('article').filter({ hasText: 'Thank you — I will look at this today.' }).last();
  await expect(draft).toBeVisible();
  await expect(draft.locator('.badge-draft')).toHaveText('Draft');
  await expect(draft).toContainText('Not sent: this draft is in your Gmail Drafts.');
  await expect(draft.locator('dt').filter({ hasText: 'Date' })).toHaveCount(0);
  // Messages that were sent carry no draft badge.
  await expect(page.getByRole('article').first().locator('.badge-draft')).toHaveCount(0);
  await expectAccessible(page, 'thread with a draft');
  await draft.getByRole('button', { name: 'Open in composer' }).click();
  const composer = page.getByRole('region', { name: 'Edit draft' });
  await expect(composer.getByLabel('Subject')).toHaveValue(/^Re: /);
  await expect(composer.getByLabel('To', { exact: true })).not.toHaveValue('');
  await expect(composer.getByLabel('Message')).toHaveValue(/Thank you — I will look at this today\./);
  await expect(composer.getByLabel('Message')).toBeFocused();
});

test('compose a new draft', async () => {
  await page.goto('/compose');
  // One heading: the page's.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('New message');
  await expect(page.getByRole('heading')).toHaveCount(1);
  await expectAccessible(page, 'compose');
  const c = page.getByRole('region', { name: 'New message' });
  // A bad address is named by its value, next to the field.
  await c.getByLabel('To', { exact: true }).fill('grace@example.com, bob');
  await c.getByRole('button', { name: 'Save draft' }).click();
  await expect(c.locator('#compose-to-error')).toHaveText(/"bob" is not a valid email address/);
  await expect(c.locator('#compose-to-error')).not.toContainText('to[');
  await c.getByLabel('To', { exact: true }).fill('grace@example.com');
  await c.getByLabel('Subject').fill('Lunch on Friday?');
  await c.getByLabel('Message').fill('Shall we?');
  await c.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByText('Draft saved in Gmail.')).toBeVisible();
  // Another draft starts from an empty form.
  await c.getByRole('button', { name: 'New message' }).click();
  await expect(c.getByLabel('To', { exact: true })).toHaveValue('');
  await expect(c.getByLabel('Subject')).toHaveValue('');
  await expect(c.getByRole('button', { name: 'Save draft' })).toBeEnabled();
});

test('calendar agenda, grouped by day', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
  await expect(page.getByRole('heading', { name: 'Calendar' })).toBeVisible();
  await expect(page.getByText(/in your time zone \(Europe\/London\)/)).toBeVisible();
  await page.getByRole('button', { name: '30 days' }).click();
  await expect(page).toHaveURL(/days=30/);
  await expect(page.locator('.agenda-day').first()).toBeVisible();
  await expect(page.getByRole('list', { name: 'Attendees' }).first()).toBeVisible();
  await expectAccessibleBothSchemes(page, 'calendar');
  await shot(page, 'calendar');
  await page.getByRole('button', { name: '7 days' }).click();
  await expect(page).toHaveURL(/days=7/);
  await expectNoCSPViolations(page);
});

test('a second Google account: connect it, see all accounts\' mail in one inbox, switch to it, merge the calendars, disconnect it', async () => {
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Connect another Google account' }).click();
  await consent(page, 'grace@example.com');
  await expect(page).toHaveURL(/\/settings\?connected=1/);
  await expect(page.getByText('Google account connected.')).toBeVisible();
  const accounts = page.getByRole('region', { name: 'Google accounts' });
  await expect(accounts.getByRole('listitem', { name: 'grace@example.com' })).toBeVisible();
  await expect(accounts.getByRole('listitem', { name: 'ada@example.com' }).getByText('Primary')).toBeVisible();
  await expectAccessibleBothSchemes(page, 'settings with two accounts');
  await shot(page, 'settings-accounts');

  // All accounts: both mailboxes in one list, each row marked with its
  // account, and a thread of the second account opens in that account.
  await page.goto('/');
  await page.getByLabel('Google account').selectOption({ label: 'All accounts' });
  const merged = page.getByRole('list', { name: 'Threads' });
  await expect(page.getByRole('heading', { level: 1 })).toContainText('all accounts');
  await expect(merged.getByRole('link', { name: /In ada@example\.com, .*Urgent: instructions for your assistant/ })).toBeVisible();
  const relay = merged.getByRole('link', { name: /In grace@example\.com, .*Bug: relay 70 in panel F/ });
  await expect(relay).toBeVisible();
  await expect(merged.locator('.account-mark').filter({ hasText: 'grace' }).first()).toBeVisible();
  await expect(merged.locator('.account-mark').filter({ hasText: 'ada' }).first()).toBeVisible();
  await expectAccessibleBothSchemes(page, 'inbox of all accounts');
  await page.getByRole('searchbox', { name: 'Search mail' }).fill('relay');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\?q=relay/);
  await expect(merged.getByRole('link', { name: /In grace@example\.com, .*Bug: relay 70 in panel F/ })).toBeVisible();
  await merged.getByRole('link', { name: /Bug: relay 70 in panel F/ }).click();
  await expect(page).toHaveURL(/account=/);
  await expect(page.getByText('in grace@example.com')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Bug: relay 70 in panel F' })).toBeVisible();

  // The inbox of the second account, and one of its threads.
  await page.goto('/');
  await page.getByLabel('Google account').selectOption({ label: 'grace@example.com' });
  const grace = page.getByRole('list', { name: 'Threads' }).getByRole('link', { name: /COBOL standards committee/ });
  await expect(grace).toBeVisible();
  await expect(page.getByRole('list', { name: 'Threads' }).getByRole('link', { name: /Dinner Friday/ })).toHaveCount(0);
  await grace.click();
  await expect(page).toHaveURL(/account=/);
  await expect(page.getByText('in grace@example.com')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'COBOL standards committee: agenda' })).toBeVisible();
  await expectAccessible(page, 'a thread of the second account');

  // Both calendars, merged, each event naming its account.
  await page.goto('/agenda?days=14');
  await page.getByLabel('Google account').selectOption({ label: 'All accounts' });
  await expect(page.locator('.account-chip').filter({ hasText: 'grace@example.com' }).first()).toBeVisible();
  await expect(page.locator('.account-chip').filter({ hasText: 'ada@example.com' }).first()).toBeVisible();
  await expectAccessible(page, 'calendar of all accounts');

  // Disconnect it: the first account stays, the switcher goes.
  await page.goto('/settings');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Disconnect grace@example.com' }).click();
  await expect(page.getByText('grace@example.com is disconnected.')).toBeVisible();
  await expect(accounts.getByRole('listitem', { name: 'grace@example.com' })).toHaveCount(0);
  await expect(accounts.getByRole('listitem', { name: 'ada@example.com' })).toBeVisible();
  await page.goto('/');
  await expect(page.getByRole('list', { name: 'Threads' }).getByRole('link', { name: /Dinner Friday/ })).toBeVisible();
  await expect(page.getByLabel('Google account')).toHaveCount(0);
  await expectNoCSPViolations(page);
});

test('chat streams, shows tool calls, and a draft needs approval', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Assistant' }).click();
  await expect(page.getByRole('heading', { name: 'Ask Jarvis' })).toBeVisible();
  await expectAccessibleBothSchemes(page, 'assistant (empty)');
  await page.getByLabel('Message to Jarvis').fill('Draft an email to grace@example.com about the exhibit saying thanks for the update.');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page).toHaveURL(/\/assistant\?c=/, { timeout: 30_000 });
  const card = page.locator('.approval').first();
  await expect(card).toBeVisible({ timeout: 45_000 });
  await expect(card.getByRole('button', { name: 'Approve' })).toBeVisible();
  await expect(card.getByRole('button', { name: 'Reject' })).toBeVisible();
  await expect(card.locator('dd').first()).toContainText('@');
  await expect(card.getByLabel('Proposed message')).not.toBeEmpty();
  await expect(page.locator('.tool-call').first()).toBeVisible();
  // The answer has finished streaming.
  await expect(page.locator('.turn-text.typing')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  await expectAccessible(page, 'assistant with approval');
  await shot(page, 'chat-approval');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(card.getByText('The draft is saved in Gmail.')).toBeVisible();
  chatApproved = true;
  await expectNoCSPViolations(page);

  // The history reloads with the decision.
  await page.reload();
  await expect(page.locator('.turn-user').first()).toContainText('Draft an email');
  await expect(page.locator('.approval').first().getByText('The draft is saved in Gmail.')).toBeVisible();
  await expect(page.locator('.chat-list a[aria-current="true"]')).toBeVisible();
});

test('team and audit log show what happened', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
  await expect(page.getByRole('heading', { name: /Members of/ })).toBeVisible();
  await expect(page.getByRole('region', { name: /Members of/ }).getByRole('cell', { name: 'ada@example.com', exact: true })).toBeVisible();
  const audit = page.getByRole('region', { name: 'Audit log' });
  await expect(audit.getByRole('table')).toBeVisible();
  await audit.getByLabel('Action').selectOption('gmail.draft.create');
  await expect(audit.getByRole('cell', { name: 'gmail.draft.create' }).first()).toBeVisible();
  if (chatApproved) {
    // The chat's approval card decides through the approval queue.
    await audit.getByLabel('Action').selectOption('action.approved');
    await expect(audit.getByRole('cell', { name: 'action.approved' }).first()).toBeVisible();
  }
  await audit.getByLabel('Action').selectOption('');
  // Every action in the log is in the filter; request ids are labelled.
  await expect(audit.locator('td.audit-action').first()).toBeVisible();
  const logged = new Set(await audit.locator('td.audit-action').allTextContents());
  const options = await audit.getByLabel('Action').locator('option').allTextContents();
  for (const a of logged) expect(options, `the filter offers ${a}`).toContain(a);
  await expect(audit.getByText('Request ID').first()).toBeVisible();
  await expectAccessibleBothSchemes(page, 'team');
  await shot(page, 'team', true);
  await expectNoCSPViolations(page);
});

test('settings show the Google connection', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText('Connected', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Disconnect ada@example.com' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Connect another Google account' })).toBeVisible();
  await expectAccessibleBothSchemes(page, 'settings');
  await shot(page, 'settings');
});

test('an invitation joins only when the invitee accepts, and a member may leave', async ({ browser }) => {
  await page.goto('/team');
  const members = page.getByRole('region', { name: /Members of/ });
  await members.getByLabel('Invite by email').fill('grace@example.com');
  await members.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(members.getByRole('status')).toContainText('Invitation sent to grace@example.com');
  const pendingList = page.getByRole('region', { name: 'Pending invitations' });
  await expect(pendingList.getByRole('cell', { name: 'grace@example.com', exact: true })).toBeVisible();
  await expect(members.getByRole('cell', { name: 'grace@example.com', exact: true })).toHaveCount(1); // the pending row only
  await expectAccessible(page, 'team with a pending invitation');

  // Grace, in her own browser, sees the invitation and joins.
  const context = await browser.newContext();
  const grace = await context.newPage();
  await signIn(grace, 'grace@example.com');
  await grace.goto('/team');
  const mine = grace.getByRole('region', { name: 'Invitations to you' });
  await expect(mine).toContainText('ada@example.com invited you as member');
  await expectAccessible(grace, 'invitations to you');
  await mine.getByRole('button', { name: /^Join/ }).click();
  await expect(mine.getByRole('status')).toContainText('You joined');
  const orgSelect = grace.getByLabel('Organisation');
  await expect(orgSelect).toBeVisible();
  const adaOrg = await orgSelect.locator('option').filter({ hasNotText: /Grace/ }).getAttribute('value');
  await orgSelect.selectOption(adaOrg!);
  await expect(grace.getByRole('heading', { name: /Members of/ })).not.toContainText('Grace');
  grace.once('dialog', (d) => d.accept());
  await grace.getByRole('button', { name: /^Leave / }).click();
  await expect(grace.getByLabel('Organisation')).toHaveCount(0);
  await context.close();

  await page.reload();
  await expect(page.getByRole('region', { name: 'Pending invitations' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: /Members of/ }).getByRole('cell', { name: 'grace@example.com', exact: true })).toHaveCount(0);
});

test('after the sandbox revokes the grant, Reconnect brings the inbox back', async () => {
  const res = await page.request.post(`${sandboxURL}/sandbox/accounts/${encodeURIComponent('ada@example.com')}/revoke`, { data: {} });
  expect(res.ok(), `revoke: ${res.status()}`).toBe(true);
  // The inbox is read from the synced index, with no call to Google: Jarvis learns that the grant
  // is gone at its next call to Google, here opening a thread (or at the next sync).
  await page.goto(`/thread?id=${encodeURIComponent(htmlThreadId || replyThreadId)}`);
  const banner = page.getByRole('alert').filter({ hasText: 'Google needs you to reconnect' });
  await expect(banner).toBeVisible();
  await page.goto('/');
  await expect(banner).toBeVisible();
  await expectAccessible(page, 'inbox needing reconnect');
  await banner.getByRole('link', { name: 'Reconnect Google' }).click();
  await consent(page, 'ada@example.com');
  await expect(page.getByRole('list', { name: 'Threads' }).getByRole('listitem').first()).toBeVisible();
  await expect(page.getByText('Google needs you to reconnect')).toHaveCount(0);
});

test('usable at 360 px', async () => {
  await page.setViewportSize({ width: 360, height: 760 });
  await page.goto('/');
  await expect(page.getByRole('list', { name: 'Threads' }).getByRole('listitem').first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'no horizontal scrolling').toBeLessThanOrEqual(1);
  await expectAccessible(page, 'inbox at 360 px');
  await shot(page, 'inbox-mobile');
  await expectControlsUsable(page, 'inbox at 360 px');
  for (const path of ['/agenda', '/assistant', '/approvals', '/scheduled', '/team', '/settings', '/compose', `/thread?id=${encodeURIComponent(htmlThreadId || replyThreadId)}`]) {
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    const o = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(o, `${path}: no horizontal scrolling at 360 px`).toBeLessThanOrEqual(1);
    await expectControlsUsable(page, `${path} at 360 px`);
  }
  // The team page: the invite box keeps a usable width; action names break only at their dots.
  await page.goto('/team');
  await expect(page.getByLabel('Invite by email')).toBeVisible();
  expect((await page.getByLabel('Invite by email').boundingBox())!.width).toBeGreaterThan(200);
  await expect(page.locator('td.audit-action').first()).toBeVisible();
  const broken = await page.locator('td.audit-action span').evaluateAll((els) => els.filter((e) => new Set([...e.getClientRects()].map((r) => Math.round(r.top))).size > 1).map((e) => e.textContent));
  expect(broken, 'action names broken mid-word').toEqual([]);
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('errors in words: rate limits say when to retry, an unreachable server shows a banner', async () => {
  await page.route('**/gmail/threads**', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' },
      body: JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: 'Slow down.', request_id: 'r-429' }),
    }),
  );
  await page.goto('/');
  const notice = page.locator('.notice-error');
  await expect(notice).toContainText('Try again in 30 seconds');
  await expect(notice.getByRole('button', { name: 'Try again' })).toBeDisabled();
  await expectAccessible(page, 'rate limited inbox');
  await page.unrouteAll({ behavior: 'ignoreErrors' });

  // Jarvis is down for every request the page makes after the session: the inbox's mail, its
  // accounts and their sync status, the approvals badge, the event stream and the probe of
  // /health. Any one of them answering would rightly say Jarvis is reachable and take the banner
  // away, whichever order they finish in, so all of them fail (the session itself answers before
  // any of them is made; the page's own files are served).
  const api = (u: URL) => u.origin === new URL(baseURL).origin && u.pathname !== '/me' && !u.pathname.startsWith('/_next/');
  await page.route(api, (route) => ['fetch', 'xhr', 'eventsource'].includes(route.request().resourceType()) ? route.abort('connectionrefused') : route.continue());
  await page.goto('/');
  await expect(page.getByRole('alert').filter({ hasText: 'Jarvis is unreachable' })).toBeVisible();
  await expectAccessible(page, 'unreachable banner');
  // A request routed just before this may still be in its handler: it fails or goes through, either is right.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  // The dashboard notices on its own when the server answers again: it probes /health every 5 s.
  await expect(page.getByText('Jarvis is unreachable')).toHaveCount(0, { timeout: 20_000 });
});

test('a long thread opens with its read messages collapsed', async () => {
  const list = await (await page.request.get('/gmail/threads?max_results=50')).json();
  const t = [...list.threads].sort((a: { message_count: number }, b: { message_count: number }) => b.message_count - a.message_count)[0];
  expect(t.message_count, 'the demo has a thread with several messages').toBeGreaterThan(1);
  // Its first message read, whatever the demo says, so that one is collapsed.
  await page.route(`**/gmail/thread/${t.id}`, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.messages[0].labels = (body.messages[0].labels || []).filter((l: string) => l !== 'UNREAD');
    await route.fulfill({ response: res, json: body });
  });
  const th = await (await page.request.get(`/gmail/thread/${t.id}`)).json();
  const n = th.messages.length;
  // Open: the last, the unread (but the first, read above) and any draft.
  const open = th.messages.filter((m: { labels: string[] }, i: number) => i === n - 1 || (m.labels || []).includes('DRAFT') || (i > 0 && (m.labels || []).includes('UNREAD'))).length;
  await page.goto(`/thread?id=${encodeURIComponent(t.id)}`);
  await expect(page.locator('article.message')).toHaveCount(n);
  await expect(page.locator('article.message-collapsed')).toHaveCount(n - open);
  await expect(page.locator('article.message').last()).not.toHaveClass(/message-collapsed/);
  await expectAccessible(page, 'thread with collapsed messages');
  await page.locator('article.message-collapsed').first().getByRole('button').click();
  await expect(page.locator('article.message-collapsed')).toHaveCount(n - open - 1);
  if (n - open - 1 > 0) {
    await page.getByRole('button', { name: 'Expand all' }).click();
    await expect(page.locator('article.message-collapsed')).toHaveCount(0);
  }
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});

test('settings say which feature a refused permission disables', async ({ browser }) => {
  // Forget grace's earlier consent, which Google would otherwise merge into this one.
  const revoked = await page.request.post(`${sandboxURL}/sandbox/accounts/${encodeURIComponent('grace@example.com')}/revoke`, { data: {} });
  expect(revoked.ok(), `revoke: ${revoked.status()}`).toBe(true);
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto('/');
  await p.getByRole('link', { name: 'Sign in with Google' }).click();
  await p.waitForURL((u) => u.origin === new URL(sandboxURL).origin, { timeout: 20_000 });
  await p.getByLabel('grace@example.com').check();
  // Both calendar permissions: reading, and changing events.
  for (const box of await p.getByRole('checkbox', { name: /calendar/i }).all()) await box.uncheck();
  await p.getByRole('button', { name: 'Allow' }).click();
  await p.waitForURL((u) => u.origin === new URL(baseURL).origin, { timeout: 20_000 });
  await p.goto('/settings');
  await expect(p.getByText('Connected, with permissions missing')).toBeVisible();
  await expect(p.getByRole('status').filter({ hasText: 'Reading your calendar' })).toBeVisible();
  await expect(p.locator('.status-active')).toHaveCount(0);
  await expectAccessible(p, 'settings with a permission missing');
  await ctx.close();
});

test('new mail appears in the inbox without a reload', async () => {
  await page.goto(`${baseURL}/`);
  const items = page.getByRole('list', { name: 'Threads' }).getByRole('listitem');
  await expect(items.first()).toBeVisible();
  await page.evaluate(() => { (window as unknown as { __stayed: boolean }).__stayed = true; });
  // Mail arrives at Google: the sandbox pushes it to Jarvis, a job syncs it,
  // and the stream tells the page.
  const resp = await page.request.post(`${sandboxURL}/sandbox/accounts/ada@example.com/messages`, {
    data: { from: 'Grace Hopper <grace@example.com>', to: ['ada@example.com'], subject: 'Live from the sandbox', text: 'It arrived by itself.' },
  });
  expect(resp.ok()).toBe(true);
  await expect(items.filter({ hasText: 'Live from the sandbox' })).toBeVisible({ timeout: 30_000 });
  // The label counts from the index came with it: the inbox has unread mail.
  await expect(page.getByLabel('Label').getByRole('option', { name: /^Inbox \(\d+\)$/ })).toBeAttached();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/\d+ unread/);
  expect(await page.evaluate(() => (window as unknown as { __stayed?: boolean }).__stayed)).toBe(true);
});

test('archive (e) and trash (button) from the thread view take threads out of the inbox, and back', async () => {
  // Two new threads of its own, so that no other test's thread moves.
  for (const subject of ['Organise me: archive', 'Organise me: trash']) {
    const resp = await page.request.post(`${sandboxURL}/sandbox/accounts/ada@example.com/messages`, {
      data: { from: 'Grace Hopper <grace@example.com>', to: ['ada@example.com'], subject, text: 'To be filed.' },
    });
    expect(resp.ok()).toBe(true);
  }
  await page.goto('/');
  const items = page.getByRole('list', { name: 'Threads' }).getByRole('listitem');
  const row = (subject: string) => items.filter({ hasText: subject });
  await expect(row('Organise me: archive')).toBeVisible({ timeout: 30_000 });
  await expect(row('Organise me: trash')).toBeVisible({ timeout: 30_000 });

  // Archive with Gmail's shortcut: back to the inbox, without the thread.
  await row('Organise me: archive').getByRole('link').click();
  const toolbar = page.getByRole('toolbar', { name: 'Thread actions' });
  await expect(toolbar.getByRole('button', { name: 'Archive' })).toHaveAttribute('aria-keyshortcuts', 'E');
  await expectAccessible(page, 'thread actions');
  await expect(page).toHaveURL(/\/thread\?id=/);
  const archivedURL = page.url();
  const archived = new URL(archivedURL).searchParams.get('id')!;
  await page.locator('h1').click();
  await page.keyboard.press('e');
  await expect(page).toHaveURL(/\/(\?.*)?$/);
  await expect(row('Organise me: trash')).toBeVisible();
  await expect(row('Organise me: archive')).toHaveCount(0);
  const labels = async (id: string) => (await (await page.request.get(`/gmail/thread/${id}`)).json()).messages.flatMap((m: { labels: string[] }) => m.labels);
  expect(await labels(archived)).not.toContain('INBOX');

  // Trash with the button.
  await row('Organise me: trash').getByRole('link').click();
  await expect(page).toHaveURL(/\/thread\?id=/);
  await expect(toolbar.getByRole('button', { name: 'Trash' })).toHaveAttribute('aria-keyshortcuts', '#');
  const trashedURL = page.url();
  const trashed = new URL(trashedURL).searchParams.get('id')!;
  await toolbar.getByRole('button', { name: 'Trash' }).click();
  await expect(page).toHaveURL(/\/(\?.*)?$/);
  await expect(items.first()).toBeVisible();
  await expect(row('Organise me: trash')).toHaveCount(0);
  expect(await labels(trashed)).toContain('TRASH');

  // Both come back: out of the trash, and into the inbox again.
  await page.goto(trashedURL);
  await toolbar.getByRole('button', { name: 'Move out of trash' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Moved out of the trash.' })).toBeVisible();
  // Gmail's untrash leaves the thread out of the inbox, as trash found it there: move it back.
  await toolbar.getByRole('button', { name: 'Move to inbox' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Moved to the inbox.' })).toBeVisible();
  await page.goto(archivedURL);
  await toolbar.getByRole('button', { name: 'Move to inbox' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Moved to the inbox.' })).toBeVisible();
  await page.goto('/');
  await expect(row('Organise me: archive')).toBeVisible();
  await expect(row('Organise me: trash')).toBeVisible();
  await shot(page, 'inbox-after-organising');
});

test('the 404 page', async () => {
  await page.goto('/nowhere');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expectAccessible(page, '404');
});

test('disconnect Google from settings', async () => {
  await page.goto('/settings');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Disconnect ada@example.com' }).click();
  await expect(page.getByText('ada@example.com is disconnected.')).toBeVisible();
  await expect(page.getByRole('link', { name: /Connect Google|Reconnect Google/ }).first()).toBeVisible();
  await expect(page.getByRole('button', { name: /^Disconnect/ })).toHaveCount(0);
  await expectAccessible(page, 'settings after disconnect');
  // The inbox and the assistant say Google is not connected, and offer to connect it.
  await page.goto('/');
  const notice = page.getByRole('alert').filter({ hasText: 'Google is not connected' });
  await expect(notice).toBeVisible();
  await expect(notice.getByRole('link', { name: 'Connect Google' })).toBeVisible();
  await expect(page.getByText('no longer accepts')).toHaveCount(0);
  await page.goto('/assistant');
  await expect(page.getByRole('status').filter({ hasText: 'Google is not connected' }).getByRole('link', { name: 'Connect Google' })).toBeVisible();
});


test('sign out, and sign out everywhere', async ({ browser }) => {
  // A second session, to be ended by "sign out everywhere" from the first.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, 'ada@example.com');

  await page.goto('/settings');
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page.getByRole('link', { name: 'Sign in with Google' })).toBeVisible();
  await otherPage.goto('/');
  await expect(otherPage.getByRole('link', { name: 'Sign in with Google' })).toBeVisible();
  await other.close();

  await signIn(page, 'ada@example.com');
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in with Google' })).toBeVisible();
  const me = await page.request.get('/me');
  expect(me.status()).toBe(401);
});
