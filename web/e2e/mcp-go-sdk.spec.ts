import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createTLSServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { baseURL, signedInPage, needs as needRoutes } from './helpers';

// The official Go SDK connects to /mcp from scratch, as a user's desktop
// client would: e2e/goclient (built by e2e/run.mjs) discovers Jarvis from
// the 401, registers (dynamically, and by a metadata document over https),
// sends this browser to consent with PKCE, receives the redirect on its own
// loopback listener, and then calls tools as the spec tells it. A draft reply
// it asks for waits for approval in the dashboard and lands in its thread;
// the SDK's token refreshes (rotating), a spent refresh token is refused,
// and revocation ends the grant.
test.describe.configure({ mode: 'serial' });

type Line = Record<string, unknown> & { error?: string };

let page: Page;
let routes = new Set<string>();
const clients: GoClient[] = [];
// Every route a test uses must be in /openapi.json: a missing one fails the test, never skips it.
const needs = (...rs: string[]) => needRoutes(routes, ...rs);
// A run-unique tag, so that a repeated run against the same server finds its own draft.
const tag = Date.now().toString(36);

test.beforeAll(async ({ browser }) => {
  ({ page, routes } = await signedInPage(browser));
});

test.afterAll(async () => {
  for (const c of clients) c.kill();
  await page.context().close();
});

/** The Go program, spoken to in JSON lines. */
class GoClient {
  private lines: Line[] = [];
  private waiting?: (l: Line) => void;
  private stderr = '';
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(args: string[]) {
    const bin = process.env.JARVIS_E2E_GOCLIENT || '';
    // e2e/run.mjs builds it; a suite run some other way must build it too (go build -o … ./web/e2e/goclient).
    expect(Boolean(bin) && existsSync(bin), `JARVIS_E2E_GOCLIENT names the built Go SDK client (${bin || 'unset'})`).toBe(true);
    this.child = spawn(bin, ['-url', `${baseURL}/mcp`, ...args]);
    clients.push(this);
    this.child.stderr.on('data', (d) => (this.stderr += String(d)));
    createInterface({ input: this.child.stdout }).on('line', (s) => {
      const l = JSON.parse(s) as Line;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(l);
      } else this.lines.push(l);
    });
  }

  /** The next line it prints. */
  next(): Promise<Line> {
    const l = this.lines.shift();
    if (l) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the Go client said nothing for 30 s (exit ${this.child.exitCode}); stderr: ${this.stderr}`)), 30_000);
      this.waiting = (l) => { clearTimeout(t); resolve(l); };
    });
  }

  async ask(cmd: object): Promise<Line> {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    return this.next();
  }

  /** A tool call that must succeed: its structured result. */
  async call<T = Record<string, unknown>>(name: string, args: object = {}): Promise<T> {
    const r = await this.ask({ call: name, args });
    expect(r.error, `${name}: no transport or protocol error`).toBeUndefined();
    expect(r.is_error, `${name}: ${r.text}`).toBe(false);
    return r.result as T;
  }

  kill() {
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** The SDK's authorize URL, opened in the signed-in browser: consent keeping only these scopes, Allow. */
async function consentInBrowser(c: GoClient, name: string, keep: string[]) {
  const a = await c.next();
  expect(a.error, 'the client reached authorization').toBeUndefined();
  const u = new URL(String(a.authorize));
  expect(u.searchParams.get('code_challenge_method')).toBe('S256');
  expect(u.searchParams.get('code_challenge')).toBeTruthy();
  expect(u.searchParams.get('resource')).toBe(`${baseURL}/mcp`);
  await page.goto(u.toString());
  await expect(page.getByRole('heading', { level: 1, name: `Connect ${name}?` })).toBeVisible();
  for (const box of await page.locator('input[name=scope]').all()) {
    if (keep.includes((await box.getAttribute('value')) || '')) await box.check();
    else await box.uncheck();
  }
  await page.getByRole('button', { name: 'Allow' }).click();
  // The browser lands on the client's loopback listener.
  await expect(page.getByText('Connected. You may close this tab.')).toBeVisible();
}

/** The client starts, is sent to authorize, the user consents, and it connects. */
async function connect(args: string[], name: string, keep: string[]): Promise<{ c: GoClient; clientID: string }> {
  const c = new GoClient(args);
  const first = await c.next();
  expect(String(first.redirect)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  await consentInBrowser(c, name, keep);
  const done = await c.next();
  expect(done.error, 'the SDK exchanged the code and connected').toBeUndefined();
  expect(done.connected).toBe(true);
  expect(String(done.scope).split(' ').sort()).toEqual([...keep].sort());
  return { c, clientID: String(done.client_id) };
}

/** The board-review thread, found and read through MCP. */
async function boardThread(c: GoClient) {
  const accounts = await c.call<{ accounts: { id: string; email: string }[] }>('list_accounts');
  expect(accounts.accounts.map((a) => a.email)).toContain('ada@example.com');
  const account = accounts.accounts.find((a) => a.email === 'ada@example.com')!.id;
  const found = await c.call<{ threads: { id: string; subject: string }[] }>('search_threads', { account, query: 'subject:(board review)', max_results: 5 });
  expect(found.threads.length).toBeGreaterThan(0);
  const thread = await c.call<{ id: string; subject: string; messages: { subject: string; text: string; labels: string[] }[] }>('get_thread', { account, thread_id: found.threads[0].id });
  expect(thread.id).toBe(found.threads[0].id);
  expect(thread.messages.length).toBeGreaterThan(0);
  return { account, thread };
}

/** After the grant ends, a call is refused: the SDK goes back to authorization, which the user does not give. */
async function expectRefused(c: GoClient) {
  const r = await c.ask({ call: 'list_accounts', args: {} });
  expect(r.error, 'the call was answered: the grant is still alive').toBeUndefined();
  expect(String(r.authorize), 'a refused token sends the SDK back to authorize').toContain('/oauth/authorize');
  const end = await c.ask({ deny: true });
  expect(String(end.error)).toMatch(/did not authorize/);
}

test('the Go SDK with a metadata document: consent in the browser, a draft reply approved in the dashboard lands in its thread, refresh, revocation', async () => {
  needs('POST /mcp', 'GET /oauth/authorize', 'POST /oauth/token', 'POST /oauth/revoke', 'GET /actions', 'POST /actions/{id}/approve', 'GET /gmail/thread/{id}', 'GET /settings/apps');
  const cert = process.env.JARVIS_E2E_CLIENT_CERT;
  const key = process.env.JARVIS_E2E_CLIENT_KEY;
  // e2e/run.mjs makes one (and fails without openssl); a server started elsewhere must be given one.
  expect(Boolean(cert && key), 'JARVIS_E2E_CLIENT_CERT and JARVIS_E2E_CLIENT_KEY: a certificate Jarvis trusts for a metadata document').toBe(true);
  const name = 'Go SDK (metadata document)';
  let docURL = '';
  let redirect = '';
  const docs: Server = createTLSServer({ cert: readFileSync(cert!), key: readFileSync(key!) }, (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ client_id: docURL, client_name: name, redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }));
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  docURL = `https://127.0.0.1:${(docs.address() as AddressInfo).port}/client.json`;
  try {
    const c = new GoClient(['-register', 'document', '-document', docURL, '-scopes', 'mail.read mail.compose']);
    redirect = String((await c.next()).redirect);
    expect(redirect).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    await consentInBrowser(c, name, ['mail.read', 'mail.compose']);
    const done = await c.next();
    expect(done.error, 'the SDK exchanged the code and connected').toBeUndefined();
    expect(done.client_id).toBe(docURL);
    expect(String(done.scope).split(' ').sort()).toEqual(['mail.compose', 'mail.read']);
    const apps = await (await page.request.get('/settings/apps')).json();
    expect(apps.apps.map((a: { client_id: string }) => a.client_id)).toContain(docURL);

    // A draft reply, asked for through MCP, waits for the user's approval.
    const { account, thread } = await boardThread(c);
    const body = `The notes are final (${tag}).`;
    const asked = await c.call<{ action_id: string; status: string; kind: string }>('create_draft', { account, reply_to_thread_id: thread.id, body_text: body });
    expect(asked.kind).toBe('gmail.draft.create');
    expect(asked.status).toBe('pending');
    await page.goto('/approvals');
    await expect(page.getByRole('heading', { level: 1, name: 'Approvals' })).toBeVisible();
    // The card names the reply by the subject the draft will have.
    const subject = thread.subject.startsWith('Re:') ? thread.subject : `Re: ${thread.subject}`;
    const card = page.getByRole('article').filter({ hasText: tag });
    await expect(card).toContainText(`asked by A client (${name})`);
    await expect(card).toContainText(`Create a reply draft “${subject}”`);
    await expect(card).toContainText('In reply to');
    await card.getByRole('button', { name: /^Approve/ }).click();
    await expect(card.getByRole('status')).toContainText(/Done|Approved/);
    await expect.poll(async () => (await c.call<{ status: string }>('get_action', { action_id: asked.action_id })).status).toBe('executed');

    // The draft is in the same thread, a "Re:" of its subject, through MCP and through the REST route.
    const after = await c.call<{ id: string; messages: { subject: string; text: string; labels: string[] }[] }>('get_thread', { account, thread_id: thread.id });
    expect(after.messages.length).toBe(thread.messages.length + 1);
    const draft = after.messages.find((m) => m.text.includes(body));
    expect(draft, 'the draft reply is in the thread').toBeTruthy();
    expect(draft!.labels).toContain('DRAFT');
    expect(draft!.subject).toBe(subject);
    const rest = await (await page.request.get(`/gmail/thread/${thread.id}?account=${account}`)).json();
    expect(rest.messages.filter((m: { text: string; subject: string }) => m.text.includes(body) && m.subject === subject)).toHaveLength(1);

    // The SDK's token expires; its transport refreshes it (rotating the refresh token) and the call goes through.
    const refreshed = await c.ask({ refresh: true });
    expect(refreshed.error).toBeUndefined();
    expect(refreshed.rotated).toBe(true);
    expect(String(refreshed.scope).split(' ').sort()).toEqual(['mail.compose', 'mail.read']);
    expect(JSON.stringify(refreshed.result)).toContain('ada@example.com');

    // RFC 7009: revoking the refresh token ends the grant.
    expect((await c.ask({ revoke: true })).revoked).toBe(200);
    await expectRefused(c);
  } finally {
    await new Promise((r) => docs.close(r));
  }
});

test('the Go SDK registered dynamically: a reused refresh token ends the grant, consent again, then revocation', async () => {
  needs('POST /mcp', 'POST /oauth/register', 'GET /oauth/authorize', 'POST /oauth/token', 'POST /oauth/revoke');
  const name = 'Go SDK (dynamic)';
  const { c, clientID } = await connect(['-register', 'dcr', '-name', name, '-scopes', 'mail.read'], name, ['mail.read']);
  expect(clientID).toMatch(/^jdcr_/);
  await boardThread(c);

  const refreshed = await c.ask({ refresh: true });
  expect(refreshed.error).toBeUndefined();
  expect(refreshed.rotated).toBe(true);
  expect(JSON.stringify(refreshed.result)).toContain('ada@example.com');
  // The spent refresh token presented again: refused, and the whole grant is revoked.
  const reuse = await c.ask({ reuse: true });
  expect(reuse.refused).toBe(true);
  expect(reuse.error_code).toBe('invalid_grant');
  // The next call is refused; the SDK asks to authorize again, and this time the user consents.
  const r = await c.ask({ call: 'list_accounts', args: {} });
  expect(String(r.authorize)).toContain('/oauth/authorize');
  await page.goto(String(r.authorize));
  await expect(page.getByRole('heading', { level: 1, name: `Connect ${name}?` })).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByText('Connected. You may close this tab.')).toBeVisible();
  const retried = await c.next();
  expect(retried.is_error).toBe(false);
  expect(JSON.stringify(retried.result)).toContain('ada@example.com');

  expect((await c.ask({ revoke: true })).revoked).toBe(200);
  await expectRefused(c);
});
