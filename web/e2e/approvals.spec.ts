import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, expectNoCSPViolations, shot, signedInPage, needs as needRoutes } from './helpers';

// The approval queue from the dashboard: the badge, the Approvals page, the
// policy form.
// One signed-in browser, as dashboard.spec.ts.
test.describe.configure({ mode: 'serial' });

let page: Page;
let routes = new Set<string>();
// Every route a test uses must be in /openapi.json: a missing one fails the test, never skips it.
const needs = (...rs: string[]) => needRoutes(routes, ...rs);
// A run-unique tag, so that a repeated run against the same server finds its own mail and events.
const tag = Date.now().toString(36);

test.beforeAll(async ({ browser }) => {
  ({ page, routes } = await signedInPage(browser));
});

test.afterAll(async () => {
  await page.context().close();
});

/** The number of pending actions, from the server. */
async function pendingNow(): Promise<number> {
  return ((await (await page.request.get('/actions?status=pending')).json()).actions || []).length;
}

test('the approvals page: a badge counts what waits, approve and reject', async () => {
  needs('GET /actions', 'POST /actions/{id}/approve', 'POST /actions/{id}/reject');
  const ask = async (text: string) => {
    await page.goto('/assistant');
    await page.getByLabel('Message to Jarvis').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.locator('.approval').first()).toBeVisible({ timeout: 45_000 });
    await expect(page.locator('.turn-text.typing')).toHaveCount(0, { timeout: 30_000 });
  };
  await ask(`Draft an email to grace@example.com about Punch cards ${tag} saying the cards are ready.`);
  await ask(`Draft an email to grace@example.com about Gears ${tag} saying the gears are late.`);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: /Approvals \d+ pending/ })).toBeVisible();
  await nav.getByRole('link', { name: /Approvals/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Approvals' })).toBeVisible();
  const card = (s: string) => page.getByRole('article').filter({ hasText: s });
  const cards = card(tag);
  await expect(cards).toHaveCount(2);
  await expect(card(`Punch cards ${tag}`)).toContainText('grace@example.com');
  await expect(card(`Punch cards ${tag}`)).toContainText('asked by The assistant');
  await expect(card(`Punch cards ${tag}`).getByLabel('Message to be sent')).toContainText(/the cards are ready/i);
  await expectAccessible(page, 'approvals');
  await shot(page, 'approvals', true);
  const count = async () => Number((await nav.getByRole('link', { name: /Approvals/ }).innerText()).match(/\d+/)?.[0] || 0);
  // The badge has caught up with both requests (it follows the event stream) before it is read.
  await expect.poll(count).toBe(await pendingNow());
  const before = await count();
  await card(`Punch cards ${tag}`).getByRole('button', { name: /^Approve/ }).click();
  await expect(card(`Punch cards ${tag}`).getByRole('status')).toContainText(/Done|Approved/);
  await card(`Gears ${tag}`).getByRole('button', { name: /^Reject/ }).click();
  await expect(card(`Gears ${tag}`).getByRole('status')).toContainText('Rejected');
  await expect.poll(count).toBe(before - 2);
  // The rejected one never runs; the approved one made its draft.
  const all = await (await page.request.get('/actions')).json();
  const byTag = (s: string) => all.actions.find((a: { summary: string; payload: { subject?: string } }) => (a.payload.subject || a.summary).includes(s));
  expect(byTag(`Gears ${tag}`).status).toBe('rejected');
  expect(byTag(`Punch cards ${tag}`).status).toBe('executed');
});

test('an agent’s send waits; approved from the Approvals page, and every tab’s badge follows live', async () => {
  needs('GET /actions', 'POST /actions/{id}/approve', 'POST /gmail/messages');
  // Two tabs: the Approvals page, and the chat where the assistant asks.
  // The Approvals tab learns of the request only from the event stream.
  const chat = await page.context().newPage();
  await page.goto('/approvals');
  await expect(page.getByRole('heading', { level: 1, name: 'Approvals' })).toBeVisible();
  const nav = (p: Page) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ });
  const count = (p: Page) => async () => Number((await nav(p).innerText()).match(/\d+/)?.[0] || 0);
  // The badge has loaded (it shows no number for none) before it is read.
  await expect.poll(count(page)).toBe(await pendingNow());
  const before = await count(page)();
  await chat.goto('/assistant');
  await chat.getByLabel('Message to Jarvis').fill(`Send an email to grace@example.com about Cogs ${tag} saying the cogs shipped`);
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.approval').first()).toBeVisible({ timeout: 45_000 });
  await expect(chat.locator('.approval').first()).toContainText('grace@example.com');
  await expect(chat.locator('.turn-text.typing')).toHaveCount(0, { timeout: 30_000 });
  const card = page.getByRole('article').filter({ hasText: `Cogs ${tag}` });
  await expect(card).toBeVisible();
  await expect(card).toContainText('Send an email');
  await expect(card.getByLabel('Message to be sent')).toContainText(/the cogs shipped/i);
  await expect.poll(count(page)).toBe(before + 1);
  await expect.poll(count(chat)).toBe(before + 1);
  // The answer to Approve arrives only after the stream has made the page read the queue again
  // (as it may under load): the card stays, with its outcome.
  let relisted = () => {};
  let approving = false;
  const listed = new Promise<void>((r) => { relisted = r; });
  page.on('requestfinished', (r) => { if (approving && /\/actions\?status=pending/.test(r.url())) relisted(); });
  await page.route('**/actions/*/approve', async (route) => {
    approving = true;
    const res = await route.fetch();
    await Promise.race([listed, new Promise((r) => setTimeout(r, 15_000))]);
    await route.fulfill({ response: res });
  });
  await card.getByRole('button', { name: /^Approve/ }).click();
  await expect(card.getByRole('status')).toContainText(/Done|Approved/);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  // The chat tab did not decide: its badge follows from the stream.
  await expect.poll(count(chat)).toBe(before);
  const all = await (await page.request.get('/actions')).json();
  const sent = all.actions.find((a: { summary: string }) => a.summary.includes(`Cogs ${tag}`));
  expect(sent.kind).toBe('gmail.message.send');
  expect(sent.status).toBe('executed');
  // What ran is what was shown: one send, to the address shown, through the outbox.
  expect(sent.result.scheduled_id).toBeTruthy();
  expect(sent.result.to).toEqual(['grace@example.com']);
  await chat.close();
  await expectNoCSPViolations(page);
});

test('the policy form saves what agents may do', async () => {
  needs('GET /settings/policy', 'PUT /settings/policy');
  await page.goto('/settings');
  const form = page.getByRole('region', { name: 'What agents may do' });
  await form.getByRole('checkbox', { name: 'Change a thread’s labels' }).check();
  await form.getByLabel('Domains agents may send to').fill('example.com, @Engines.test');
  await form.getByLabel('Agent sends a day, at most').fill('5');
  await form.getByRole('checkbox', { name: 'Sat' }).check();
  await form.getByRole('button', { name: 'Save policy' }).click();
  await expect(form.getByText('Policy saved.')).toBeVisible();
  await expectAccessible(page, 'settings with the policy');
  await page.reload();
  await expect(form.getByRole('checkbox', { name: 'Change a thread’s labels' })).toBeChecked();
  await expect(form.getByLabel('Domains agents may send to')).toHaveValue('engines.test, example.com');
  await expect(form.getByLabel('Agent sends a day, at most')).toHaveValue('5');
  await expect(form.getByRole('checkbox', { name: 'Sat' })).toBeChecked();
  // A bad domain is named beside its field.
  await form.getByLabel('Domains agents may send to').fill('not a domain!');
  await form.getByRole('button', { name: 'Save policy' }).click();
  await expect(form.locator('#policy-allowed_recipient_domains-error')).toBeVisible();
  await expectNoCSPViolations(page);
});
