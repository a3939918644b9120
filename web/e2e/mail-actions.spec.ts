import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, expectNoCSPViolations, sandboxURL, shot, signedInPage, needs as needRoutes } from './helpers';

// Acting on mail from the dashboard: sending now (with an undo window) or later,
// attachments, reply all and forward.
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

interface OutboxItem { to: string[]; subject: string; raw: string; threadId: string }

/** outbox is the mail the sandbox sent to addresses outside it. */
async function outbox(): Promise<OutboxItem[]> {
  const r = await page.request.get(`${sandboxURL}/sandbox/outbox`);
  expect(r.ok()).toBe(true);
  return ((await r.json()).messages || []) as OutboxItem[];
}

/** sentWith waits until the sandbox has sent mail with this subject, and returns it. */
async function sentWith(subject: string, timeout = 30_000): Promise<OutboxItem[]> {
  let found: OutboxItem[] = [];
  await expect.poll(async () => {
    found = (await outbox()).filter((m) => m.subject === subject);
    return found.length;
  }, { timeout, message: `mail "${subject}" sent` }).toBeGreaterThan(0);
  return found;
}

/** deliver puts a raw RFC 5322 message into a sandbox inbox. */
async function deliver(to: string, raw: string): Promise<{ id: string; threadId: string }> {
  const r = await page.request.post(`${sandboxURL}/sandbox/accounts/${to}/messages`, { headers: { 'Content-Type': 'message/rfc822' }, data: raw });
  expect(r.ok(), await r.text()).toBe(true);
  const j = await r.json();
  return { id: j.id, threadId: j.threadId };
}

// Whether the server takes files with a draft (multipart/form-data).
let uploads = false;
test.beforeAll(async () => {
  const spec = await (await page.request.get('/openapi.json')).json();
  uploads = Boolean(spec.paths?.['/gmail/draft']?.post?.requestBody?.content?.['multipart/form-data'] || spec.paths?.['/gmail/drafts']?.post?.requestBody?.content?.['multipart/form-data']);
});

const toast = () => page.getByRole('status').filter({ has: page.getByRole('button', { name: 'Dismiss' }) });

test('send a new message, and undo another within its window', async () => {
  needs('POST /gmail/messages', 'DELETE /gmail/scheduled/{id}');
  await page.goto('/compose');
  const c = page.getByRole('region', { name: 'New message' });
  await c.getByLabel('To', { exact: true }).fill('lovelace@elsewhere.test');
  await c.getByLabel('Subject').fill(`Notes ${tag}`);
  await c.getByLabel('Message').fill('The notes, as promised.');
  await expectAccessible(page, 'compose');
  await shot(page, 'compose');
  await c.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(c.getByText('Message sent.')).toBeVisible();
  await expect(toast()).toContainText('Message sent.');

  // Another, undone at once: it comes back to the composer, and sending it
  // again sends it once — the undone send never went. (The first goes out
  // when its undo window closes, meanwhile.)
  await c.getByRole('button', { name: 'New message' }).click();
  await c.getByLabel('To', { exact: true }).fill('lovelace@elsewhere.test');
  await c.getByLabel('Subject').fill(`Second thoughts ${tag}`);
  await c.getByLabel('Message').fill('On second thoughts…');
  await c.getByRole('button', { name: 'Send', exact: true }).click();
  await toast().getByRole('button', { name: 'Undo' }).click();
  await expect(toast()).toContainText('Sending undone');
  await expect(c.getByLabel('Subject')).toHaveValue(`Second thoughts ${tag}`);
  await expect(c.getByLabel('Message')).toHaveValue('On second thoughts…');
  await shot(page, 'undo');
  await c.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(c.getByText('Message sent.')).toBeVisible();
  const [sent] = await sentWith(`Notes ${tag}`);
  expect(sent.to).toEqual(['lovelace@elsewhere.test']);
  expect(sent.raw).toContain('The notes, as promised.');
  await sentWith(`Second thoughts ${tag}`);
  // Nothing of that subject is held any more (an undo that failed would still be waiting, or
  // sent): one went.
  await expect.poll(async () => (((await (await page.request.get('/gmail/scheduled')).json()).sends || []) as { subject: string }[])
    .filter((s) => s.subject === `Second thoughts ${tag}`).length, { message: 'no send of it held' }).toBe(0);
  const again = (await outbox()).filter((m) => m.subject === `Second thoughts ${tag}`);
  expect(again).toHaveLength(1);
  await expectNoCSPViolations(page);
});

test('attach files to a message', async () => {
  needs('POST /gmail/messages', 'POST /gmail/drafts/{id}/send');
  expect(uploads, 'POST /gmail/drafts takes multipart/form-data in /openapi.json').toBe(true);
  await page.goto('/compose');
  const c = page.getByRole('region', { name: 'New message' });
  await c.getByLabel('To', { exact: true }).fill('lovelace@elsewhere.test');
  await c.getByLabel('Subject').fill(`Attached ${tag}`);
  await c.getByLabel('Message').fill('The notes, attached.');
  await c.getByLabel('Attach files').setInputFiles([
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Note G\n') },
    { name: 'table.csv', mimeType: 'text/csv', buffer: Buffer.from('n,B\n1,1/6\n') },
  ]);
  const files = c.getByRole('list', { name: 'Attached files' });
  await expect(files).toContainText('notes.txt');
  await files.getByRole('button', { name: 'Remove table.csv' }).click();
  await expect(files).not.toContainText('table.csv');
  await expectAccessible(page, 'compose with an attachment');
  await c.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(c.getByText('Message sent.')).toBeVisible();
  const [sent] = await sentWith(`Attached ${tag}`);
  expect(sent.raw).toContain('notes.txt');
  expect(sent.raw).not.toContain('table.csv');
});

test('schedule a send, see it in Scheduled, cancel it', async () => {
  needs('POST /gmail/messages', 'GET /gmail/scheduled', 'DELETE /gmail/scheduled/{id}');
  await page.goto('/compose');
  const c = page.getByRole('region', { name: 'New message' });
  await c.getByLabel('To', { exact: true }).fill('lovelace@elsewhere.test');
  await c.getByLabel('Subject').fill(`Tomorrow ${tag}`);
  await c.getByLabel('Message').fill('For tomorrow morning.');
  await c.getByRole('button', { name: 'Schedule…' }).click();
  const at = new Date(Date.now() + 86_400_000);
  at.setHours(9, 0, 0, 0);
  const p = (n: number) => String(n).padStart(2, '0');
  await c.getByLabel('Send at').fill(`${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}T09:00`);
  await c.getByRole('button', { name: 'Schedule send' }).click();
  await expect(c.getByText('Scheduled.')).toBeVisible();
  await c.getByRole('link', { name: 'See scheduled mail' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Scheduled' })).toBeVisible();
  const item = page.getByRole('list', { name: 'Scheduled mail' }).getByRole('listitem').filter({ hasText: `Tomorrow ${tag}` });
  await expect(item).toContainText('lovelace@elsewhere.test');
  await expectAccessible(page, 'scheduled');
  await shot(page, 'scheduled');
  page.once('dialog', (d) => d.accept());
  await item.getByRole('button', { name: /Cancel send/ }).click();
  await expect(item).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'will not be sent' })).toBeVisible();
  const r = await page.request.get('/gmail/scheduled');
  expect(((await r.json()).sends || []).filter((s: { subject: string; status: string }) => s.subject === `Tomorrow ${tag}` && s.status === 'scheduled')).toHaveLength(0);
});

test('reply all and forward from the thread view', async () => {
  needs('POST /gmail/messages');
  const boundary = `b-${tag}`;
  const subject = `Exhibit plans ${tag}`;
  await deliver('ada@example.com', [
    'From: Grace Hopper <grace@example.com>',
    'Reply-To: exhibit-team@elsewhere.test',
    'To: ada@example.com, babbage@engines.test',
    'Cc: Ada <ada@example.com>, lovelace@elsewhere.test',
    `Subject: ${subject}`,
    `Message-ID: <plans-${tag}@example.com>`,
    'Date: ' + new Date().toUTCString(),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The floor plan is attached. Thoughts?',
    `--${boundary}`,
    'Content-Type: application/pdf; name="floor-plan.pdf"',
    'Content-Disposition: attachment; filename="floor-plan.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 floor plan').toString('base64'),
    `--${boundary}--`,
    '',
  ].join('\r\n'));
  await page.goto('/');
  const row = page.getByRole('list', { name: 'Threads' }).getByRole('listitem').filter({ hasText: subject });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(subject);

  // Reply all: everyone on the message but Ada, Reply-To honoured.
  await page.getByRole('button', { name: 'Reply all' }).click();
  const r = page.getByRole('region', { name: 'Reply all' });
  // The composer proposes the thread's people without Ada; left as proposed, the server
  // fills them by its rule (Reply-To, which the thread's JSON does not carry, honoured).
  await expect(r.getByLabel('To', { exact: true })).toHaveValue(/babbage@engines\.test/);
  await expect(r.getByLabel('To', { exact: true })).not.toHaveValue(/ada@example\.com/);
  await expect(r.getByLabel('Cc', { exact: true })).toHaveValue('lovelace@elsewhere.test');
  await r.getByLabel('Message').fill('Looks right to me.');
  await expectAccessible(page, 'reply all');
  await shot(page, 'reply-all');
  await r.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(r.getByText('Message sent.')).toBeVisible();

  // Forward (while the reply waits out its undo window): the attachment goes along.
  await page.reload();
  await page.getByRole('button', { name: 'Forward' }).click();
  const f = page.getByRole('region', { name: 'Forward' });
  await expect(f.getByLabel('Subject')).toHaveValue(`Fwd: ${subject}`);
  await f.getByLabel('To', { exact: true }).fill('curator@elsewhere.test');
  await f.getByLabel('Message').fill('For the exhibit.');
  await f.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(f.getByText('Message sent.')).toBeVisible();
  const replies = await sentWith(`Re: ${subject}`);
  expect(replies).toHaveLength(1);
  expect(replies[0].to.sort()).toEqual(['babbage@engines.test', 'exhibit-team@elsewhere.test', 'lovelace@elsewhere.test']);
  expect(replies[0].raw).toMatch(new RegExp(`In-Reply-To: <plans-${tag}@example.com>`));
  const [fwd] = await sentWith(`Fwd: ${subject}`);
  expect(fwd.to).toEqual(['curator@elsewhere.test']);
  expect(fwd.raw).toContain('floor-plan.pdf');
  expect(fwd.raw).toContain('For the exhibit.');
});
