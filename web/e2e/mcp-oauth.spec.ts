import { expect, test, type Page } from '@playwright/test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTLSServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { baseURL, sandboxURL, signedInPage, needs as needRoutes } from './helpers';

// The official TypeScript SDK connects to /mcp from scratch: discovery
// from the 401, registration (dynamic, and by a metadata document over
// https), PKCE, consent in this browser, the token, a tool call, a refresh
// and revocation; and a draft reply it asks for lands in its thread once
// the user approves it on the Approvals page.
test.describe.configure({ mode: 'serial' });

let page: Page;
let routes = new Set<string>();
let callbacks: Server;
let callbackURL = '';
let nextCode: (u: URL) => void = () => {};
// Every route a test uses must be in /openapi.json: a missing one fails the test, never skips it.
const needs = (...rs: string[]) => needRoutes(routes, ...rs);

test.beforeAll(async ({ browser }) => {
  ({ page, routes } = await signedInPage(browser));
  callbacks = createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>Client</title><p>Connected.</p>');
    nextCode(new URL(req.url || '/', callbackURL));
  });
  await new Promise<void>((r) => callbacks.listen(0, '127.0.0.1', r));
  callbackURL = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/callback`;
});

test.afterAll(async () => {
  await page.context().close();
  await new Promise((r) => callbacks.close(r));
});

/** A client's OAuth state, kept in memory as a desktop app would keep it on disk. */
class Provider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authURL?: URL;
  constructor(readonly name: string, readonly clientMetadataUrl?: string) {}
  get redirectUrl() { return callbackURL; }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: this.name, redirect_uris: [callbackURL], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.client; }
  saveClientInformation(c: OAuthClientInformationMixed) { this.client = c; }
  tokens() { return this.saved; }
  saveTokens(t: OAuthTokens) { this.saved = t; }
  redirectToAuthorization(u: URL) { this.authURL = u; }
  saveCodeVerifier(v: string) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

/**
 * connect runs the SDK's flow: a 401, the browser's consent (narrowed to
 * the scopes kept), the code, and a connected client (made by make).
 */
async function connect(p: Provider, keep: string[] = ['mail.read'], make = () => new Client({ name: p.name, version: '1.0.0' })): Promise<Client> {
  const mcpURL = new URL(`${baseURL}/mcp`);
  const first = new Client({ name: p.name, version: '1.0.0' });
  await expect(first.connect(new StreamableHTTPClientTransport(mcpURL, { authProvider: p }))).rejects.toThrow(UnauthorizedError);
  expect(p.authURL, 'the SDK was sent to authorize').toBeTruthy();
  expect(p.authURL!.searchParams.get('code_challenge_method')).toBe('S256');
  expect(p.authURL!.searchParams.get('resource')).toBe(mcpURL.toString());
  const back = new Promise<URL>((r) => (nextCode = r));
  await page.goto(p.authURL!.toString());
  await expect(page.getByRole('heading', { level: 1, name: `Connect ${p.name}?` })).toBeVisible();
  const offered = page.getByRole('group', { name: 'Permissions' }).getByRole('checkbox');
  await expect(offered.first()).toBeVisible();
  for (const box of await offered.all()) {
    const scope = (await box.getAttribute('value')) || '';
    if (keep.includes(scope)) await box.check();
    else await box.uncheck();
  }
  await page.getByRole('button', { name: 'Allow' }).click();
  const code = (await back).searchParams.get('code') || '';
  const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: p });
  await transport.finishAuth(code);
  expect((p.saved?.scope || '').split(' ').sort()).toEqual([...keep].sort());
  const client = make();
  await client.connect(transport);
  return client;
}

async function listAccounts(client: Client): Promise<string> {
  const r = await client.callTool({ name: 'list_accounts', arguments: {} });
  return JSON.stringify(r);
}

test('the TypeScript SDK registers dynamically, connects, refreshes and is revoked', async () => {
  needs('POST /mcp', 'POST /oauth/register', 'POST /oauth/token', 'POST /oauth/revoke');
  const p = new Provider('TS SDK (dynamic)');
  const client = await connect(p);
  expect(String(p.client?.client_id)).toMatch(/^jdcr_/);
  const tools = await client.listTools();
  expect(tools.tools.map((t) => t.name)).toContain('search_threads');
  expect(await listAccounts(client)).toContain('ada@example.com');
  // A refresh rotates the refresh token; the old one presented again revokes the grant.
  const before = p.saved!;
  expect(await auth(p, { serverUrl: `${baseURL}/mcp` })).toBe('AUTHORIZED');
  expect(p.saved!.refresh_token).not.toBe(before.refresh_token);
  expect(await listAccounts(client)).toContain('ada@example.com');
  // RFC 7009: revoking the refresh token ends the grant; the next call is refused.
  const revoke = await page.request.post('/oauth/revoke', { form: { token: p.saved!.refresh_token!, client_id: String(p.client!.client_id) } });
  expect(revoke.status()).toBe(200);
  await expect(client.callTool({ name: 'list_accounts', arguments: {} })).rejects.toThrow();
  await client.close();
});

test('the TypeScript SDK connects with a client metadata document', async () => {
  needs('POST /mcp', 'GET /oauth/authorize');
  const cert = process.env.JARVIS_E2E_CLIENT_CERT;
  const key = process.env.JARVIS_E2E_CLIENT_KEY;
  // e2e/run.mjs makes one (and fails without openssl); a server started elsewhere must be given one.
  expect(Boolean(cert && key), 'JARVIS_E2E_CLIENT_CERT and JARVIS_E2E_CLIENT_KEY: a certificate Jarvis trusts for a metadata document').toBe(true);
  let docURL = '';
  const docs = createTLSServer({ cert: readFileSync(cert!), key: readFileSync(key!) }, (req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ client_id: docURL, client_name: 'TS SDK (metadata document)', redirect_uris: [callbackURL],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }));
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  docURL = `https://127.0.0.1:${(docs.address() as AddressInfo).port}/client.json`;
  try {
    const p = new Provider('TS SDK (metadata document)', docURL);
    const client = await connect(p);
    expect(p.client?.client_id).toBe(docURL);
    expect(await listAccounts(client)).toContain('ada@example.com');
    const apps = await (await page.request.get('/settings/apps')).json();
    expect(apps.apps.map((a: { client_id: string }) => a.client_id)).toContain(docURL);
    await client.close();
  } finally {
    await new Promise((r) => docs.close(r));
  }
});

/** The action a tool that asks answers with (get_action's too). */
interface ActionOut { action_id: string; kind: string; status: string; summary: string; approve_url: string; result?: { draft_id?: string; thread_id?: string } }

/** call calls a tool and answers its structured result; a tool error fails the test. */
async function call<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const r = await client.callTool({ name, arguments: args });
  expect(r.isError, `${name}: ${JSON.stringify(r.content)}`).toBeFalsy();
  return r.structuredContent as T;
}

test('a draft reply asked for through MCP lands in its thread once approved on the Approvals page', async () => {
  needs('POST /mcp', 'GET /actions', 'POST /actions/{id}/approve', 'GET /gmail/drafts/{id}');
  const tag = Date.now().toString(36);
  const subject = `Orrery repairs ${tag}`;
  // Grace writes to Ada; the thread is in Ada's mailbox as any mail is.
  const delivered = await page.request.post(`${sandboxURL}/sandbox/accounts/ada@example.com/messages`, {
    headers: { 'Content-Type': 'message/rfc822' },
    data: ['From: Grace Hopper <grace@example.com>', 'To: Ada <ada@example.com>', `Subject: ${subject}`, `Message-ID: <orrery-${tag}@example.com>`,
      `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Can you look at the orrery on Thursday?', ''].join('\r\n'),
  });
  expect(delivered.ok(), await delivered.text()).toBe(true);

  // A client that can be asked (elicitation, as the SDK's 2025-11-25 sessions
  // do it) shows the question to its user, whose answer is recorded here.
  const asked: string[] = [];
  let answer: ElicitResult['action'] = 'accept';
  const p = new Provider('TS SDK (draft reply)');
  const client = await connect(p, ['mail.read', 'mail.compose'], () => {
    const c = new Client({ name: p.name, version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    c.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return answer === 'accept' ? { action: 'accept', content: {} } : { action: answer };
    });
    return c;
  });

  // The thread, found and read through MCP.
  type Thread = { id: string; subject: string; messages: { id: string; from: { email: string }; subject: string; text: string; labels: string[] }[] };
  let threadID = '';
  await expect.poll(async () => {
    const found = await call<{ threads: { id: string; subject: string }[] }>(client, 'search_threads', { query: `subject:(Orrery ${tag})` });
    threadID = found.threads.find((t) => t.subject === subject)?.id || '';
    return threadID;
  }, { message: 'search_threads finds the delivered thread' }).not.toBe('');
  const before = await call<Thread>(client, 'get_thread', { thread_id: threadID });
  expect(before.subject).toBe(subject);
  expect(before.messages).toHaveLength(1);
  expect(before.messages[0].from.email).toBe('grace@example.com');

  // Declining the client's question never approves: the action is rejected, nothing is drafted.
  answer = 'decline';
  const declined = await call<ActionOut>(client, 'create_draft', { reply_to_thread_id: threadID, body_text: `Not this one ${tag}.` });
  expect(asked).toHaveLength(1);
  expect(declined.status).toBe('rejected');

  // Accepting the question does not approve either: the reply waits for the user in Jarvis.
  answer = 'accept';
  const body = `Thursday at ten suits me; I will bring the small gears. ${tag}`;
  const pending = await call<ActionOut>(client, 'create_draft', { reply_to_thread_id: threadID, body_text: body });
  expect(asked).toHaveLength(2);
  expect(asked[1]).toContain(`${baseURL}/approvals`);
  expect(asked[1]).toContain('does not approve');
  expect(pending).toMatchObject({ kind: 'gmail.draft.create', status: 'pending', approve_url: `${baseURL}/approvals` });
  expect((await call<ActionOut>(client, 'get_action', { action_id: pending.action_id })).status).toBe('pending');
  expect((await call<Thread>(client, 'get_thread', { thread_id: threadID })).messages, 'nothing drafted before approval').toHaveLength(1);

  // The user approves it on the Approvals page, seeing whom it goes to, the subject and the whole text.
  await page.goto('/approvals');
  await expect(page.getByRole('heading', { level: 1, name: 'Approvals' })).toBeVisible();
  const card = page.getByRole('article').filter({ hasText: body });
  await expect(card).toHaveCount(1);
  await expect(card).toContainText('Save a draft');
  await expect(card).toContainText(`asked by A client (${p.name})`);
  await expect(card).toContainText('grace@example.com');
  await expect(card.locator('dt', { hasText: /^Subject$/ }).locator('xpath=following-sibling::dd[1]')).toHaveText(`Re: ${subject}`);
  await expect(card.getByRole('link', { name: 'the thread' })).toHaveAttribute('href', new RegExp(`id=${threadID}`));
  await expect(card.getByLabel('Message to be sent')).toHaveText(body);
  await card.getByRole('button', { name: /^Approve/ }).click();
  await expect(card.getByRole('status')).toContainText('Done');

  // The client learns the outcome; the draft is in the same thread, a reply to Grace.
  let done: ActionOut | undefined;
  await expect.poll(async () => (done = await call<ActionOut>(client, 'get_action', { action_id: pending.action_id })).status).toBe('executed');
  expect(done!.result?.thread_id).toBe(threadID);
  const draftID = done!.result?.draft_id || '';
  expect(draftID).not.toBe('');
  // The sandbox, as Gmail, files a draft in the thread only when its
  // In-Reply-To/References name a message of it and the subject matches.
  const after = await call<Thread>(client, 'get_thread', { thread_id: threadID });
  expect(after.id).toBe(threadID);
  expect(after.messages).toHaveLength(2);
  const reply = after.messages[1];
  expect(reply.labels).toContain('DRAFT');
  expect(reply.subject).toBe(`Re: ${subject}`);
  expect(reply.text).toContain(body);
  const draft = await (await page.request.get(`/gmail/drafts/${encodeURIComponent(draftID)}`)).json();
  expect(draft.thread_id).toBe(threadID);
  expect(draft.message.subject).toBe(`Re: ${subject}`);
  expect(draft.message.to.map((a: { email: string }) => a.email)).toEqual(['grace@example.com']);
  expect(draft.message.text).toContain(body);
  // The declined one never ran.
  expect((await call<ActionOut>(client, 'get_action', { action_id: declined.action_id })).status).toBe('rejected');
  await client.close();
});
