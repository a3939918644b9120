import { expect, test, type Page } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { baseURL, expectAccessible, expectNoCSPViolations, shot, signedInPage, needs as needRoutes } from './helpers';

// An MCP client asks to connect: the consent page names it (unverified),
// its redirect host, the scopes and the accounts; the user allows with
// fewer scopes, or denies. The client is a metadata document served here,
// on loopback, which `jarvis serve --sandbox` allows.
test.describe.configure({ mode: 'serial' });

let page: Page;
let routes = new Set<string>();
let client: Server;
let clientURL = '';
// Every route a test uses must be in /openapi.json: a missing one fails the test, never skips it.
const needs = (...rs: string[]) => needRoutes(routes, ...rs);

test.beforeAll(async ({ browser }) => {
  ({ page, routes } = await signedInPage(browser));
  client = createServer((req, res) => {
    if (req.url === '/client.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ client_id: `${clientURL}/client.json`, client_name: 'Playwright Desktop', redirect_uris: [`${clientURL}/callback`],
        token_endpoint_auth_method: 'none' }));
      return;
    }
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>Client</title><p>Back at the client.</p>');
  });
  await new Promise<void>((r) => client.listen(0, '127.0.0.1', r));
  clientURL = `http://127.0.0.1:${(client.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await page.context().close();
  await new Promise((r) => client.close(r));
});

function authorizeURL(state: string, verifier: string) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: `${clientURL}/client.json`, redirect_uri: `${clientURL}/callback`, state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    resource: `${baseURL}/mcp`, scope: 'mail.read mail.compose calendar.read',
  });
  return `/oauth/authorize?${q}`;
}

test('allow with fewer scopes: the client gets a code for what was granted', async () => {
  needs('GET /oauth/authorize', 'POST /oauth/consent/{id}', 'POST /oauth/token');
  const verifier = randomBytes(32).toString('base64url');
  await page.goto(authorizeURL('st-allow', verifier));
  await expect(page.getByRole('heading', { level: 1, name: 'Connect Playwright Desktop?' })).toBeVisible();
  const main = page.getByRole('main');
  await expect(main.getByText('Unverified')).toBeVisible();
  await expect(main).toContainText(new URL(clientURL).host);
  await expect(page.getByRole('checkbox', { name: /Write drafts/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'ada@example.com' })).toBeChecked();
  await expectAccessible(page, 'consent');
  await shot(page, 'consent', true);
  await page.getByRole('checkbox', { name: /Write drafts/ }).uncheck();
  await page.getByRole('checkbox', { name: /Read your calendar/ }).uncheck();
  await expectNoCSPViolations(page);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.origin === clientURL);
  const back = new URL(page.url());
  expect(back.searchParams.get('state')).toBe('st-allow');
  expect(back.searchParams.get('iss')).toBe(baseURL);
  const code = back.searchParams.get('code') || '';
  expect(code).toMatch(/^jmcp_ac_/);
  const token = await page.request.post('/oauth/token', {
    form: { grant_type: 'authorization_code', code, redirect_uri: `${clientURL}/callback`, client_id: `${clientURL}/client.json`,
      code_verifier: verifier, resource: `${baseURL}/mcp` },
  });
  expect(token.status()).toBe(200);
  expect((await token.json()).scope).toBe('mail.read');
  // Settings lists it, revocable.
  await page.goto('/settings');
  const app = page.getByRole('listitem', { name: 'Playwright Desktop' });
  await expect(app).toContainText('Read your mail');
  await expect(app).not.toContainText('Write drafts');
  await expect(app).toContainText('Access ends');
  page.once('dialog', (d) => d.accept());
  await app.getByRole('button', { name: /Revoke/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Playwright Desktop is revoked' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: 'Playwright Desktop' })).toHaveCount(0);
});

test('deny: the client hears access_denied, and nothing is connected', async () => {
  needs('GET /oauth/authorize', 'POST /oauth/consent/{id}');
  await page.goto(authorizeURL('st-deny', randomBytes(32).toString('base64url')));
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL((u) => u.origin === clientURL);
  const back = new URL(page.url());
  expect(back.searchParams.get('error')).toBe('access_denied');
  expect(back.searchParams.get('state')).toBe('st-deny');
  expect(back.searchParams.get('code')).toBeNull();
  const apps = await (await page.request.get('/settings/apps')).json();
  expect(apps.apps.filter((a: { client_name: string }) => a.client_name === 'Playwright Desktop')).toEqual([]);
});

test('a redirect URI the client did not register is shown, never followed', async () => {
  needs('GET /oauth/authorize');
  const url = authorizeURL('st-bad', randomBytes(32).toString('base64url')).replace(encodeURIComponent(`${clientURL}/callback`), encodeURIComponent('https://evil.example/cb'));
  await page.goto(url);
  await expect(page.getByRole('main').getByRole('alert')).toContainText('did not register');
  expect(new URL(page.url()).origin).toBe(baseURL);
});
