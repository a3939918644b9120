import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, expectNoCSPViolations, sandboxURL, shot, signedInPage, needs as needRoutes } from './helpers';

// The calendar's writes from the dashboard: an event in a chosen time zone,
// a series edited and an occurrence cancelled, an invitation answered, a time found.
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

/** A date n days from today, YYYY-MM-DD, in the browser's zone (Europe/London). */
function day(n: number): string {
  const d = new Date(Date.now() + n * 86_400_000);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

test('create an event in another time zone, edit the series, cancel one occurrence', async () => {
  needs('POST /calendar/events', 'PATCH /calendar/events/{id}', 'DELETE /calendar/events/{id}');
  await page.goto('/agenda?days=14');
  await page.getByRole('button', { name: 'New event' }).click();
  const ed = page.getByRole('region', { name: 'New event' });
  await expect(ed.getByLabel('Time zone')).toHaveValue('Europe/London');
  await ed.getByLabel('Title').fill(`Design review ${tag}`);
  await ed.getByLabel('Date').fill(day(1));
  await ed.getByLabel('Starts').fill('10:00');
  await ed.getByLabel('Ends').fill('10:30');
  await ed.getByLabel('Time zone').selectOption('America/New_York');
  await ed.getByLabel('Repeats').selectOption('daily');
  await ed.getByLabel('Guests', { exact: true }).fill('grace@example.com');
  await expectAccessible(page, 'new event');
  await shot(page, 'event-editor');
  await ed.getByRole('button', { name: 'Create event' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is in your calendar' })).toBeVisible();

  // 10:00 in New York is 15:00 in London (the page's zone).
  const items = page.locator('.event').filter({ hasText: `Design review ${tag}` });
  await expect(items.first()).toBeVisible({ timeout: 30_000 });
  await expect(items.first().locator('.event-time')).toContainText('15:00');

  // Rename the whole series.
  await items.first().getByRole('button', { name: /^Edit/ }).click();
  const edit = page.getByRole('region', { name: 'Edit event' });
  await expect(edit.getByLabel('Time zone')).toHaveValue('America/New_York');
  await expect(edit.getByLabel('Starts')).toHaveValue('10:00');
  await edit.getByLabel('Title').fill(`Design review (v2) ${tag}`);
  await edit.getByRole('button', { name: 'Save' }).click();
  const scope = edit.getByRole('group', { name: /recurring event/ });
  await expect(scope.getByRole('radio', { name: 'This event' })).toBeChecked();
  await expectAccessible(page, 'scope chooser');
  await scope.getByRole('radio', { name: 'All events' }).check();
  await scope.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is saved' })).toBeVisible();
  const renamed = page.locator('.event').filter({ hasText: `Design review (v2) ${tag}` });
  await expect(renamed.nth(1)).toBeVisible({ timeout: 30_000 });
  // Every occurrence renamed (the agenda may redraw them one refresh at a time) before counting.
  await expect.poll(async () => (await items.count()) === 0 && (await renamed.count()) > 1, { timeout: 30_000, message: 'every occurrence renamed' }).toBe(true);
  const before = await renamed.count();

  // Cancel one occurrence: the others stay.
  await renamed.first().getByRole('button', { name: /^Cancel event/ }).click();
  const cancel = page.getByRole('group', { name: /recurring event/ });
  await cancel.getByRole('radio', { name: 'This event' }).check();
  await cancel.getByRole('button', { name: 'Cancel event' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is cancelled' })).toBeVisible();
  await expect(renamed).toHaveCount(before - 1, { timeout: 30_000 });
  await expectNoCSPViolations(page);
});

test('answer an invitation with a note', async () => {
  needs('POST /calendar/events/{id}/rsvp');
  const summary = `Engine demo ${tag}`;
  const start = `${day(2)}T14:00:00`;
  const res = await page.request.post(`${sandboxURL}/sandbox/calendar/events`, {
    data: {
      organizer: { email: 'babbage@engines.test', displayName: 'Charles Babbage' }, summary,
      start: { dateTime: start, timeZone: 'Europe/London' }, end: { dateTime: `${day(2)}T15:00:00`, timeZone: 'Europe/London' },
      attendees: [{ email: 'ada@example.com' }],
    },
  });
  expect(res.ok(), await res.text()).toBe(true);
  await page.goto('/agenda?days=7');
  const ev = page.locator('.event').filter({ hasText: summary });
  await expect(ev).toBeVisible({ timeout: 30_000 });
  const going = ev.getByRole('group', { name: /Going to/ });
  await going.getByRole('button', { name: 'Add a note' }).click();
  await ev.getByLabel('Note to the organiser').fill('I will bring the punched cards.');
  await going.getByRole('button', { name: 'Maybe' }).click();
  await expect(page.getByRole('status').filter({ hasText: `You answered maybe to “${summary}”` })).toBeVisible();
  await page.reload();
  await expect(page.locator('.event').filter({ hasText: summary }).getByRole('button', { name: 'Maybe' })).toHaveAttribute('aria-pressed', 'true', { timeout: 30_000 });
  await expectAccessible(page, 'agenda with an invitation');
  await shot(page, 'calendar-actions');
});

test('find a time with a guest and book it', async () => {
  needs('POST /calendar/suggest', 'POST /calendar/events');
  await page.goto('/agenda');
  await page.getByRole('button', { name: 'Find a time' }).click();
  const find = page.getByRole('region', { name: 'Find a time' });
  await find.getByLabel('Guests', { exact: true }).fill('grace@example.com');
  await find.getByLabel('Length').selectOption('30');
  await find.getByRole('button', { name: 'Find times' }).click();
  const slots = find.getByRole('list', { name: 'Suggested times' }).getByRole('listitem');
  await expect(slots.first()).toBeVisible();
  await slots.first().getByRole('button', { name: /^Book/ }).click();
  const ed = page.getByRole('region', { name: 'New event' });
  await expect(ed.getByLabel('Guests', { exact: true })).toHaveValue('grace@example.com');
  await ed.getByLabel('Title').fill(`Catch-up ${tag}`);
  await ed.getByRole('button', { name: 'Create event' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is in your calendar' })).toBeVisible();
});
