// First-load JavaScript of each exported page, gzipped. Fails when the inbox
// ships more than the budget: JARVIS_INBOX_JS_BUDGET_KB or 250 KB.
import { gzipSync } from 'node:zlib';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scripts, links, isExecutable } from './html-scripts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'out');

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** firstLoad measures one page: the scripts its HTML loads, plus its inline scripts. */
export function firstLoad(htmlFile) {
  const html = readFileSync(htmlFile, 'utf8');
  const urls = new Set();
  let inline = 0;
  for (const s of scripts(html)) {
    if (s.attrs.src) {
      if (!('nomodule' in s.attrs)) urls.add(s.attrs.src);
    } else if (isExecutable(s.attrs)) {
      inline += gz(Buffer.from(s.text));
    }
  }
  for (const l of links(html)) {
    if ((l.rel === 'preload' || l.rel === 'modulepreload') && (l.as === 'script' || l.rel === 'modulepreload') && l.href) urls.add(l.href);
  }
  const files = [];
  for (const u of urls) {
    const path = new URL(u, 'http://x/').pathname;
    const file = join(out, decodeURIComponent(path));
    files.push({ url: path, gzip: existsSync(file) ? gz(readFileSync(file)) : 0 });
  }
  const total = files.reduce((a, f) => a + f.gzip, 0) + inline;
  return { files, inline, total };
}

export function report({ quiet = false } = {}) {
  const budgetKB = Number(process.env.JARVIS_INBOX_JS_BUDGET_KB || 250);
  const pages = readdirSync(out).filter((f) => f.endsWith('.html') && !f.startsWith('_')).sort();
  const rows = pages.map((p) => ({ page: p === 'index.html' ? '/ (inbox)' : `/${p.replace(/\.html$/, '')}`, ...firstLoad(join(out, p)) }));
  if (!quiet) {
    console.log('First-load JS per page (gzip -9):');
    for (const r of rows) console.log(`  ${r.page.padEnd(16)} ${kb(r.total).padStart(10)}  (${r.files.length} files + ${kb(r.inline)} inline)`);
    const inbox = rows.find((r) => r.page.startsWith('/ '));
    if (inbox) {
      console.log('Inbox files:');
      for (const f of inbox.files.sort((a, b) => b.gzip - a.gzip)) console.log(`  ${kb(f.gzip).padStart(10)}  ${f.url}`);
    }
  }
  const inbox = rows.find((r) => r.page.startsWith('/ '));
  if (!inbox) throw new Error('out/index.html is missing: run the export first');
  if (inbox.total > budgetKB * 1024) {
    console.error(`Inbox first-load JS is ${kb(inbox.total)}, over the ${budgetKB} KB budget.`);
    process.exitCode = 1;
    return false;
  }
  console.log(`Inbox first-load JS: ${kb(inbox.total)} of ${budgetKB} KB budget.`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) report();
