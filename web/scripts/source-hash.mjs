// The hash of everything the export is built from. The export writes it to
// out/_source_hash; `npm run check-fresh` (and a Go test of package web)
// fails when the committed export no longer matches the sources.
//
// Algorithm (mirrored in web/fresh_test.go): list the files below, as
// slash-separated paths relative to web/, sort them bytewise, and take
// sha256 over "<path>\0<sha256 hex of content>\n" for each.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const sourceDirs = ['app', 'components', 'lib', 'public', 'scripts'];
export const sourceFiles = ['package.json', 'package-lock.json', 'next.config.mjs', 'tsconfig.json'];

/** Test files do not reach the export. */
export function isSource(rel) {
  return !/\.test\.(ts|tsx|js|mjs)$/.test(rel);
}

function walk(rel, out) {
  const abs = join(root, rel);
  if (!existsSync(abs)) return;
  const st = statSync(abs);
  if (st.isDirectory()) {
    for (const name of readdirSync(abs)) walk(`${rel}/${name}`, out);
  } else if (st.isFile() && isSource(rel)) {
    out.push(rel);
  }
}

export function listSources() {
  const out = [];
  for (const d of sourceDirs) walk(d, out);
  for (const f of sourceFiles) if (existsSync(join(root, f))) out.push(f);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export async function sourceHash() {
  const h = createHash('sha256');
  for (const rel of listSources()) {
    const fileHash = createHash('sha256').update(readFileSync(join(root, rel))).digest('hex');
    h.update(`${rel}\0${fileHash}\n`);
  }
  return h.digest('hex');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const hash = await sourceHash();
  if (process.argv.includes('--check')) {
    const file = join(root, 'out', '_source_hash');
    const committed = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (committed !== hash) {
      console.error(`web/out is stale: sources hash to ${hash}, the export was built from ${committed || 'nothing'}.`);
      console.error('Run `npm --prefix web run export` (or `make web`) and commit web/out.');
      process.exit(1);
    }
    console.log(`web/out is fresh (${hash.slice(0, 12)}).`);
  } else {
    console.log(hash);
  }
}
