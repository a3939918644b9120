// A stand-in Jarvis for working on the dashboard without Google: it serves
// the export in out/ with the same CSP as the Go handler and answers the API
// with fixed demo data. `node e2e/mock/server.mjs [port]`; sign in by
// following "Sign in with Google" (no consent page).
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'out');
const csp = JSON.parse(readFileSync(join(out, '_csp.json'), 'utf8'));
const port = Number(process.argv[2] || 8080);
let signedIn = false;
let reauth = false;
const drafts = [];
const now = Date.now();
const iso = (h) => new Date(now + h * 3600e3).toISOString();
const day = (d) => new Date(now + d * 86400e3).toISOString().slice(0, 10);

const threads = Array.from({ length: 60 }, (_, i) => ({
  id: `t${i}`,
  subject: i === 0 ? 'Weekly newsletter: what is new' : i === 1 ? 'Urgent: instructions for your assistant' : `Project update #${i}`,
  from: { name: i % 2 ? 'Grace Hopper' : 'Charles Babbage', email: i % 2 ? 'grace@example.com' : 'charles@example.com' },
  date: iso(-i * 5),
  snippet: 'Here is the latest on the analytical engine and the schedule for the next weeks…',
  message_count: (i % 3) + 1,
  unread: i % 4 === 0,
  labels: ['INBOX', ...(i % 5 === 0 ? ['Label_1'] : [])],
}));

const ctypes = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.json': 'application/json' };

function policy(page) {
  const p = csp.pages[page] || { script: [], style: [] };
  const q = (xs) => xs.map((x) => ` '${x}'`).join('');
  return `default-src 'self'; script-src 'self'${q(p.script)}; style-src 'self'${q(p.style)}; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'`;
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const problem = (res, status, code, detail, extra = {}, headers = {}) =>
  json(res, status, { type: 'about:blank', title: code, status, detail, code, request_id: 'req-mock', ...extra }, headers);

function readBody(req) {
  return new Promise((r) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => r(b ? JSON.parse(b) : {}));
  });
}

function serveStatic(req, res, path) {
  let name = path === '/' ? 'index.html' : path.slice(1);
  const candidates = [name, `${name}.html`, `${name}/index.html`];
  const found = candidates.find((c) => !c.startsWith('_c') && !c.startsWith('_s') && existsSync(join(out, c)) && statSync(join(out, c)).isFile());
  const file = found || '404.html';
  const headers = { 'Content-Type': ctypes[extname(file)] || 'application/octet-stream', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
  if (file.endsWith('.html')) headers['Content-Security-Policy'] = policy(file);
  res.writeHead(found ? 200 : 404, headers);
  res.end(readFileSync(join(out, file)));
}

const sse = (res, events) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let i = 0;
  const t = setInterval(() => {
    if (i >= events.length) {
      clearInterval(t);
      res.end();
      return;
    }
    const [type, data] = events[i++];
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }, 120);
};

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  const api = /^\/(me|health|auth|gmail|calendar\/upcoming|chat|conversations|orgs)/.test(p);
  if (!api) return serveStatic(req, res, p);
  if (p === '/health') return json(res, 200, { status: 'ok' });
  if (p === '/auth/google/start') {
    signedIn = true;
    reauth = false;
    res.writeHead(302, { Location: url.searchParams.get('redirect') || '/', 'Set-Cookie': 'jarvis_csrf=mock; Path=/; SameSite=Lax' });
    return res.end();
  }
  if (!signedIn) return problem(res, 401, 'unauthorized', 'Sign in.');
  if (p === '/auth/logout' || p === '/auth/logout-all') {
    signedIn = false;
    return json(res, 200, {});
  }
  if (p === '/me') {
    return json(res, 200, {
      user: { id: 'u1', email: 'ada@example.com', name: 'Ada Lovelace', picture_url: '' },
      orgs: [{ id: 'o1', name: 'Ada’s workspace', slug: 'ada', role: 'owner' }],
      google: { status: reauth ? 'reauth_required' : 'active', email: 'ada@example.com', scopes: ['openid', 'email', 'https://www.googleapis.com/auth/gmail.modify'] },
    });
  }
  if (p === '/mock/revoke') { reauth = true; return json(res, 200, {}); }
  if (reauth && (p.startsWith('/gmail') || p.startsWith('/calendar'))) return problem(res, 409, 'google_reauth_required', 'Reconnect.');
  if (p === '/gmail/labels') return json(res, 200, { labels: [{ id: 'INBOX', name: 'INBOX', type: 'system' }, { id: 'SENT', name: 'SENT', type: 'system' }, { id: 'Label_1', name: 'Receipts', type: 'user' }] });
  if (p === '/gmail/threads') {
    const q = (url.searchParams.get('q') || '').toLowerCase();
    const list = threads.filter((t) => !q || t.subject.toLowerCase().includes(q));
    const start = Number(url.searchParams.get('page_token') || 0);
    const n = Number(url.searchParams.get('max_results') || 25);
    return json(res, 200, { threads: list.slice(start, start + n), ...(start + n < list.length ? { next_page_token: String(start + n) } : {}) });
  }
  let m;
  if ((m = p.match(/^\/gmail\/thread\/(.+)$/))) {
    const t = threads.find((x) => x.id === m[1]);
    if (!t) return problem(res, 404, 'not_found', 'No such thread.');
    const msg = (i) => ({
      id: `${t.id}-m${i}`, from: t.from, to: [{ name: 'Ada Lovelace', email: 'ada@example.com' }], cc: [], subject: t.subject, date: t.date,
      snippet: t.snippet, text: t.id === 't0' ? '' : `Hello Ada,\n\nThe numbers are in.\n\n> On Monday you wrote:\n> Any news?\n\nCharles`,
      html: t.id === 't0' ? '<p>newsletter</p>' : '', attachments: i === 0 ? [{ id: 'a1', filename: 'report.pdf', mime_type: 'application/pdf', size: 48213 }] : [],
      labels: ['INBOX'], message_id_header: '<x@y>',
    });
    const messages = Array.from({ length: t.message_count }, (_, i) => msg(i));
    for (const d of drafts.filter((d) => d.thread_id === t.id)) messages.push({ ...msg(9), id: d.message_id, labels: ['DRAFT'] });
    return json(res, 200, { id: t.id, subject: t.subject, messages });
  }
  if ((m = p.match(/^\/gmail\/message\/(.+)\/html$/))) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:" });
    return res.end('<!doctype html><html><body style="font-family:sans-serif"><h1>The Weekly</h1><p>All the news about engines, looms and numbers.</p><img src="https://images.example.net/banner.png" alt="banner"><p>Read more online.</p></body></html>');
  }
  if (p === '/gmail/draft') {
    const b = await readBody(req);
    if (b.cc && b.cc.some((x) => !x.includes('@'))) return problem(res, 400, 'invalid_request', `cc: "${b.cc[0]}" is not an email address`, { field: 'cc' });
    const d = { draft_id: `d${drafts.length}`, message_id: `dm${drafts.length}`, thread_id: b.reply_to_thread_id || 'tnew', key: req.headers['idempotency-key'] };
    const prev = drafts.find((x) => x.key === d.key);
    if (prev) return json(res, 201, prev);
    drafts.push(d);
    return json(res, 201, d);
  }
  if (p === '/calendar/upcoming') {
    return json(res, 200, {
      events: [
        { id: 'e1', summary: 'Design review', start: iso(2), end: iso(3), all_day: false, time_zone: 'UTC', location: 'Room 101', attendees: [{ email: 'grace@example.com', name: 'Grace Hopper', response_status: 'accepted' }, { email: 'charles@example.com', name: 'Charles Babbage', response_status: 'tentative' }], organizer: { email: 'ada@example.com', name: 'Ada Lovelace' }, meet_link: 'https://meet.google.com/abc-defg-hij', html_link: 'https://calendar.google.com/event?eid=1', status: 'confirmed' },
        { id: 'e2', summary: 'Conference', start: day(1), end: day(3), all_day: true, time_zone: '', location: 'London', attendees: [], organizer: null, meet_link: '', html_link: '', status: 'confirmed' },
        { id: 'e3', summary: '1:1 with Grace', start: iso(26), end: iso(26.5), all_day: false, time_zone: 'UTC', location: '', attendees: [{ email: 'grace@example.com', name: '', response_status: 'needsAction' }], organizer: null, meet_link: '', html_link: '', status: 'confirmed' },
      ],
    });
  }
  if (p === '/chat') {
    await readBody(req);
    return sse(res, [
      ['conversation', { conversation_id: 'c1' }],
      ['message.delta', { text: 'Let me look at ' }],
      ['tool.call', { id: 'tc1', name: 'search_threads', arguments: { q: 'from:grace' } }],
      ['tool.result', { id: 'tc1', name: 'search_threads', ok: true, summary: 'Found 3 threads' }],
      ['message.delta', { text: 'the thread. Here is a draft for your approval.' }],
      ['approval.required', { approval_id: 'ap1', tool: 'create_draft', proposal: { to: ['grace@example.com'], cc: [], bcc: [], subject: 'Re: Project update #1', body_text: 'Hi Grace,\n\nThanks for the update.\n\nAda', reply_to_thread_id: 't1' } }],
      ['message.done', { message_id: 'm2' }],
    ]);
  }
  if ((m = p.match(/^\/chat\/approvals\/(.+)$/))) return json(res, 200, { approval_id: m[1], status: 'approved', result: { draft_id: 'd9', message_id: 'm9', thread_id: 't1' } });
  if (p === '/conversations') return json(res, 200, { conversations: [{ id: 'c1', title: 'Reply to Grace', created_at: iso(-1), updated_at: iso(-1) }] });
  if ((m = p.match(/^\/conversations\/(.+)$/))) {
    return json(res, 200, { id: m[1], title: 'Reply to Grace', messages: [
      { id: 'm1', role: 'user', text: 'Draft a reply to Grace', created_at: iso(-1), tool_calls: [], approvals: [] },
      { id: 'm2', role: 'assistant', text: 'Here is a draft for your approval.', created_at: iso(-1), tool_calls: [{ id: 'tc1', name: 'search_threads', arguments: {}, ok: true, summary: 'Found 3 threads' }], approvals: [{ id: 'ap1', tool: 'create_draft', status: 'approved', proposal: { to: ['grace@example.com'], subject: 'Re: Project update #1', body_text: 'Hi Grace,\n\nThanks.' }, result: { draft_id: 'd9', thread_id: 't1' } }] },
    ] });
  }
  if (p === '/orgs/o1/members') return json(res, 200, { members: [{ user_id: 'u1', email: 'ada@example.com', name: 'Ada Lovelace', role: 'owner', created_at: iso(-100) }, { user_id: 'u2', email: 'grace@example.com', name: 'Grace Hopper', role: 'member', created_at: iso(-50) }] });
  if (p === '/orgs/o1/audit-logs') {
    const actions = ['gmail.draft.create', 'chat.approval_approved', 'gmail.thread.get', 'auth.google_sign_in'];
    const a = url.searchParams.get('action');
    return json(res, 200, { entries: actions.filter((x) => !a || x === a).map((x, i) => ({ id: `l${i}`, occurred_at: iso(-i), org_id: 'o1', actor_user_id: 'u1', action: x, target_type: 'thread', target_id: 't1', outcome: 'success', ip: '127.0.0.1', user_agent: 'Chromium', request_id: `req-${i}`, metadata: {} })) });
  }
  return problem(res, 404, 'not_found', 'No route.');
}).listen(port, '127.0.0.1', () => console.log(`mock jarvis on http://127.0.0.1:${port}`));
