import { expect, test, type Page } from '@playwright/test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTLSServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { baseURL, signedInPage, needs as needRoutes } from './helpers';

// The official TypeScript SDK connects to /mcp from scratch: discovery
// from the 401, registration (dynamic, and by a metadata document over
// https), PKCE, consent in this browser, the token, a tool call, a refresh
// and revocation.
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

/** connect runs the SDK's flow: a 401, the browser's consent (narrowed to mail.read), the code, and a connected client. */
async function connect(p: Provider): Promise<Client> {
  const mcpURL = new URL(`${baseURL}/mcp`);
  const first = new Client({ name: p.name, version: '1.0.0' });
  await expect(first.connect(new StreamableHTTPClientTransport(mcpURL, { authProvider: p }))).rejects.toThrow(UnauthorizedError);
  expect(p.authURL, 'the SDK was sent to authorize').toBeTruthy();
  expect(p.authURL!.searchParams.get('code_challenge_method')).toBe('S256');
  expect(p.authURL!.searchParams.get('resource')).toBe(mcpURL.toString());
  const back = new Promise<URL>((r) => (nextCode = r));
  await page.goto(p.authURL!.toString());
  await expect(page.getByRole('heading', { level: 1, name: `Connect ${p.name}?` })).toBeVisible();
  for (const box of await page.getByRole('checkbox', { name: /mail\.(compose|send|organize)|calendar\./ }).all()) await box.uncheck();
  await page.getByRole('button', { name: 'Allow' }).click();
  const code = (await back).searchParams.get('code') || '';
  const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: p });
  await transport.finishAuth(code);
  expect(p.saved?.scope).toBe('mail.read');
  const client = new Client({ name: p.name, version: '1.0.0' });
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
