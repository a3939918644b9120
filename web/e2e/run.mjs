// `npm run e2e`: build Jarvis (unless JARVIS_BIN names a binary) and the Go
// SDK's MCP client (unless JARVIS_E2E_GOCLIENT names one), start
// `jarvis serve --sandbox` on free ports with a fresh database, wait for it,
// run the Playwright suite against it, and stop it. JARVIS_E2E_URL and
// JARVIS_E2E_SANDBOX_URL point the suite at servers that are already running.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, openSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(web, '..');
const tmp = join(web, 'e2e', '.tmp');
mkdirSync(tmp, { recursive: true });

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
if (!process.env.CHROMIUM_PATH && !existsSync('/usr/bin/chromium')) {
  console.error('Chromium is missing: install Debian\'s chromium (apt-get install -y chromium) or set CHROMIUM_PATH.');
  process.exit(1);
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitFor(url, ms, child) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`jarvis exited with ${child.exitCode}; see ${join(tmp, 'jarvis.log')}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${ms / 1000}s`);
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let server;
let dataDir;
const stop = () => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (dataDir && !process.env.JARVIS_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
};
process.on('SIGINT', () => { stop(); process.exit(130); });
process.on('SIGTERM', () => { stop(); process.exit(143); });

// The Go SDK's MCP client that e2e/mcp-go-sdk.spec.ts drives, built once for the suite.
if (!process.env.JARVIS_E2E_GOCLIENT) {
  process.env.JARVIS_E2E_GOCLIENT = join(tmp, 'goclient');
  console.log('Building the Go SDK client…');
  run('go', ['build', '-o', process.env.JARVIS_E2E_GOCLIENT, './web/e2e/goclient'], { cwd: repo });
}

if (!process.env.JARVIS_E2E_URL) {
  if (!process.env.JARVIS_E2E_SKIP_FRESH) {
    // The binary embeds the committed export: testing stale files tests nothing.
    run(process.execPath, [join(web, 'scripts', 'source-hash.mjs'), '--check']);
  }
  let bin = process.env.JARVIS_BIN;
  if (!bin) {
    bin = join(tmp, 'jarvis');
    console.log('Building jarvis…');
    run('go', ['build', '-o', bin, './cmd/jarvis'], { cwd: repo });
  }
  const [port, sandboxPort] = [await freePort(), await freePort()];
  dataDir = mkdtempSync(join(tmpdir(), 'jarvis-e2e-'));
  // The log goes straight to a file: a pipe that nobody drains would block the server.
  const log = openSync(join(tmp, 'jarvis.log'), 'w');
  const url = `http://127.0.0.1:${port}`;
  // A certificate for an MCP client's metadata document served over https
  // on 127.0.0.1 (as the SDKs require of a client id), which this Jarvis
  // trusts through JARVIS_OAUTH_CLIENT_CA_FILE.
  const cert = join(dataDir, 'client-cert.pem');
  const key = join(dataDir, 'client-key.pem');
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  if (ssl.status !== 0) {
    console.error('openssl could not make the certificate that the MCP metadata-document test needs: install openssl.');
    stop();
    process.exit(1);
  }
  Object.assign(process.env, { JARVIS_E2E_CLIENT_CERT: cert, JARVIS_E2E_CLIENT_KEY: key });
  server = spawn(resolve(bin), ['serve', '--sandbox', '--migrate', '--addr', `127.0.0.1:${port}`, '--database-url', `sqlite:${join(dataDir, 'jarvis.db')}`], {
    cwd: dataDir,
    // A short undo window keeps the send tests quick (and still long enough to undo).
    env: { JARVIS_SEND_UNDO_SECONDS: '5', ...process.env, JARVIS_OAUTH_CLIENT_CA_FILE: cert, JARVIS_SANDBOX_ADDR: `127.0.0.1:${sandboxPort}`, JARVIS_PUBLIC_URL: url },
    stdio: ['ignore', log, log],
  });
  try {
    await waitFor(`${url}/health`, 60_000, server);
  } catch (err) {
    console.error(String(err));
    stop();
    process.exit(1);
  }
  process.env.JARVIS_E2E_URL = url;
  process.env.JARVIS_E2E_SANDBOX_URL = `http://127.0.0.1:${sandboxPort}`;
  console.log(`jarvis at ${url}, sandbox Google at ${process.env.JARVIS_E2E_SANDBOX_URL}`);
}

const cli = join(web, 'node_modules', '@playwright', 'test', 'cli.js');
const pw = spawn(process.execPath, [cli, 'test', ...process.argv.slice(2)], { cwd: web, stdio: 'inherit', env: process.env });
pw.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
