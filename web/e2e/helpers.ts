import { expect, type Browser, type Page } from '@playwright/test';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const baseURL = process.env.JARVIS_E2E_URL || 'http://127.0.0.1:8080';
export const sandboxURL = process.env.JARVIS_E2E_SANDBOX_URL || 'http://127.0.0.1:8090';
// Screenshots go to an ignored folder, so that a test run leaves the tree as
// it was; `make screenshots` copies the README's pictures to e2e/screenshots.
export const screenshots = process.env.JARVIS_E2E_SCREENSHOTS || join(dirname(fileURLToPath(import.meta.url)), '.tmp', 'screenshots');
mkdirSync(screenshots, { recursive: true });

/** Record CSP violations in every document of the page, from before its first script. */
export async function watchCSP(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
    });
  });
}

export async function expectNoCSPViolations(page: Page) {
  const v = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp || []);
  expect(v, 'CSP violations').toEqual([]);
}

/** Run axe-core on the page; fail on any serious or critical violation. */
export async function expectAccessible(page: Page, name: string) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${name}: serious or critical accessibility violations`).toEqual([]);
}

/** Check a page in both colour schemes. */
export async function expectAccessibleBothSchemes(page: Page, name: string) {
  await expectAccessible(page, `${name} (light)`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, `${name} (dark)`);
  await page.emulateMedia({ colorScheme: 'light' });
}

export async function shot(page: Page, name: string, fullPage = false) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage });
}

/** Go through the sandbox's consent page as the given account. */
export async function consent(page: Page, email: string) {
  await page.waitForURL((u) => u.origin === new URL(sandboxURL).origin, { timeout: 20_000 });
  await page.getByLabel(email).check();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.origin === new URL(baseURL).origin, { timeout: 20_000 });
}

/** Sign in from the dashboard's sign-in card. */
export async function signIn(page: Page, email = 'ada@example.com') {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in with Google' }).click();
  await consent(page, email);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

/**
 * Every control on the page (header and main) is inside the viewport, big
 * enough to use, and not covered or clipped: its centre, with the page
 * scrolled to it vertically and no box scrolled sideways, hits it.
 */
export async function expectControlsUsable(page: Page, where: string) {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    const sel = 'header a, header button, main a[href], main button, main input:not([type=hidden]), main select, main textarea, main summary';
    for (const el of document.querySelectorAll<HTMLElement>(sel)) {
      if (el.classList.contains('skip-link') || el.closest('.visually-hidden, [hidden]')) continue;
      const details = el.closest('details');
      if (details && !details.open && el.tagName !== 'SUMMARY') continue;
      const first = el.getClientRects()[0];
      if (!first) continue; // not rendered
      window.scrollTo(0, window.scrollY + first.top - window.innerHeight / 2);
      const r = el.getClientRects()[0];
      const name = (el.getAttribute('aria-label') || el.textContent || el.id || el.tagName).trim().replace(/\s+/g, ' ').slice(0, 40);
      if (r.left < -1 || r.right > window.innerWidth + 1) out.push(`${name}: outside the viewport (${Math.round(r.left)}–${Math.round(r.right)} px)`);
      const min = el.matches('input:not([type=checkbox]):not([type=radio]), textarea') ? 120 : 20;
      if (r.width < min || r.height < 16) out.push(`${name}: too small (${Math.round(r.width)}×${Math.round(r.height)} px)`);
      const x = Math.min(Math.max(r.left + Math.min(r.width / 2, 10), 0), window.innerWidth - 1);
      const hit = document.elementFromPoint(x, r.top + r.height / 2);
      if (!hit || !(el === hit || el.contains(hit))) out.push(`${name}: covered or clipped (by ${hit?.tagName.toLowerCase()}.${hit?.className})`);
    }
    window.scrollTo(0, 0);
    return out;
  });
  expect(problems, `${where}: every control visible and usable`).toEqual([]);
}

/** The routes the server offers, as "METHOD /path" (from its OpenAPI description). */
export async function serverRoutes(page: Page): Promise<Set<string>> {
  const spec = await (await page.request.get('/openapi.json')).json();
  return new Set(Object.entries(spec.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
}

/**
 * needs fails the test when the server's /openapi.json lacks any of these
 * routes: a test whose feature is missing must fail, never skip.
 */
export function needs(routes: Set<string>, ...rs: string[]) {
  expect(rs.filter((r) => !routes.has(r)), 'routes missing from /openapi.json').toEqual([]);
}

/** A signed-in page of its own for a spec file, watching CSP, with the server's routes. */
export async function signedInPage(browser: Browser, email = 'ada@example.com'): Promise<{ page: Page; routes: Set<string> }> {
  const page = await (await browser.newContext()).newPage();
  await watchCSP(page);
  if (process.env.E2E_DEBUG) {
    page.on('console', (m) => console.log(`[console ${m.type()}] ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && console.log(`[http ${r.status()}] ${r.request().method()} ${r.url()}`));
  }
  const routes = await serverRoutes(page);
  await signIn(page, email);
  return { page, routes };
}
