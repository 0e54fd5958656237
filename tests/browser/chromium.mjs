// Headless Debian Chromium through playwright-core (no browser download), with
// the flags that keep it off the network (../shared/TOOLCHAIN.md), against
// the built static site (web/dist) served by scripts/serve-web.mjs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../../scripts/serve-web.mjs';
import { sharedDir } from '../js/golden.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const resultsDir = `${root}/test-results`;

export async function launchChromium() {
  const profile = mkdtempSync(join(tmpdir(), 'quantlab-chromium-'));
  const downloads = mkdtempSync(join(tmpdir(), 'quantlab-downloads-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(downloads, { recursive: true, force: true });
    },
  };
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * web/dist, rebuilt when anything it is made of (web/, dist/, models/) is
 * newer than it: `npm test` builds it once before Vitest, a single test
 * file run by hand rebuilds only when needed.
 */
export function ensureWebBuilt() {
  const index = `${root}/web/dist/index.html`;
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const inputs = Math.max(newest(`${root}/web/src`), statSync(`${root}/web/index.html`).mtimeMs, statSync(`${root}/web/vite.config.mjs`).mtimeMs, newest(`${root}/dist`));
  if (built < inputs) {
    execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.mjs', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  }
}

/** Collects console errors and page errors so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

// Records every long task (> 50 ms) of the page's main thread from the start.
const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

/**
 * Serve web/dist (with or without COOP/COEP), open it in Chromium at
 * `route` (e.g. '#/atlas'): { page, errors, url, close }. With
 * serveReference the page can fetch ../shared/reference/<name> as
 * __ref/<name> (for API tests).
 */
export async function openWebApp({ route = '', viewport = { width: 1280, height: 800 }, isolation = false, serveReference = false } = {}) {
  ensureWebBuilt();
  const server = await startStaticServer({ root: `${root}/web/dist`, isolation });
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  await page.addInitScript(LONG_TASKS);
  const errors = watchErrors(page);
  if (serveReference) {
    await page.route('**/__ref/*', (r) => {
      const name = new URL(r.request().url()).pathname.split('/').pop();
      r.fulfill({ body: readFileSync(`${sharedDir}/reference/${name}`) });
    });
  }
  await page.goto(server.url + route);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return {
    page,
    errors,
    url: server.url,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Wait until the page at `route` is mounted. */
export async function gotoPage(page, path) {
  await page.evaluate((p) => (location.hash = `#/${p}`), path);
  await page.waitForSelector(`section[data-page="${path}"][data-ready="true"]`, { timeout: 60_000 });
}

/** Forget long tasks so far (page load may legitimately have some). */
export async function resetLongTasks(page) {
  await page.evaluate(() => (window.__longTasks.length = 0));
}

/** The longest main-thread task since the last reset, in ms (0 when none). */
export async function longestTask(page) {
  return page.evaluate(() => Math.max(0, ...window.__longTasks.map((t) => t.duration)));
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations of the page as it is now. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath });
  const r = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const res = await axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Full-page screenshots at 1280×800 and 390×844 into test-results/<name>-{desktop,phone}.png; asserts no horizontal scroll on the phone. */
export async function screenshots(page, name) {
  mkdirSync(resultsDir, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${resultsDir}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(250);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: `${resultsDir}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(before);
  return { phoneOverflow: overflow };
}
