// Reading the <script> and <style> elements of the exported HTML. The export
// is machine-written by Next.js: script bodies never contain "</script"
// (it is escaped as \u003c), so a tag-level scan is exact here. The Go tests
// of package web check the result against a real HTML parser.

/** Attributes of a start tag, lower-cased names. */
export function parseAttrs(s) {
  const attrs = {};
  const re = /([^\s"'>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  let m;
  while ((m = re.exec(s))) attrs[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? '';
  return attrs;
}

/** scripts lists the script elements of an HTML document: {attrs, text}. */
export function scripts(html) {
  const out = [];
  const re = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
  let m;
  while ((m = re.exec(html))) out.push({ attrs: parseAttrs(m[1]), text: m[2] });
  return out;
}

/** styles lists the inline style elements of an HTML document. */
export function styles(html) {
  const out = [];
  const re = /<style\b([^>]*)>([\s\S]*?)<\/style\s*>/gi;
  let m;
  while ((m = re.exec(html))) out.push({ attrs: parseAttrs(m[1]), text: m[2] });
  return out;
}

/** Script types a browser executes (and so CSP governs). */
export function isExecutable(attrs) {
  const t = (attrs.type || '').trim().toLowerCase();
  return t === '' || t === 'module' || t === 'text/javascript' || t === 'application/javascript';
}

/** links lists <link> elements' attributes. */
export function links(html) {
  const out = [];
  const re = /<link\b([^>]*)>/gi;
  let m;
  while ((m = re.exec(html))) out.push(parseAttrs(m[1]));
  return out;
}
