// After `next build` has exported to out/: write the CSP hashes of every
// page's inline scripts and styles (out/_csp.json), the hash of the sources
// (out/_source_hash), and print and check the JS sizes.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scripts, styles, isExecutable } from './html-scripts.mjs';
import { sourceHash } from './source-hash.mjs';
import { report } from './size.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'out');

function walk(dir, acc = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, acc);
    else acc.push(p);
  }
  return acc;
}

const sha = (text) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
const uniq = (xs) => [...new Set(xs)].sort();

// Next writes a few files the dashboard never serves.
for (const f of ['_not-found.html', '_not-found.txt']) rmSync(join(out, f), { force: true });
rmSync(join(out, '_not-found'), { recursive: true, force: true });

const pages = {};
for (const file of walk(out).filter((f) => f.endsWith('.html')).sort()) {
  const html = readFileSync(file, 'utf8');
  const rel = relative(out, file).split(sep).join('/');
  pages[rel] = {
    script: uniq(scripts(html).filter((s) => !s.attrs.src && isExecutable(s.attrs)).map((s) => sha(s.text))),
    style: uniq(styles(html).map((s) => sha(s.text))),
  };
  if (/\sstyle="/.test(html)) console.warn(`warning: ${rel} has inline style attributes, which the CSP blocks`);
}
writeFileSync(join(out, '_csp.json'), JSON.stringify({ version: 1, pages }, null, 1) + '\n');
const hash = await sourceHash();
writeFileSync(join(out, '_source_hash'), hash + '\n');
if (!existsSync(join(out, 'index.html')) || !existsSync(join(out, '404.html'))) {
  console.error('The export lacks index.html or 404.html.');
  process.exit(1);
}
console.log(`Wrote CSP hashes for ${Object.keys(pages).length} pages; source hash ${hash.slice(0, 12)}.`);
if (!report()) process.exit(1);
