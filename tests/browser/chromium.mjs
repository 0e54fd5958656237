// Headless Debian Chromium through playwright-core (no browser download), with
// the flags that keep it off the network (../shared/TOOLCHAIN.md).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { sharedDir } from '../js/golden.mjs';

export async function launchChromium() {
  const profile = mkdtempSync(join(tmpdir(), 'quantlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
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
    },
  };
}

/** Serve a built Vite app (outDir under root) on a free loopback port. */
export async function servePreview(root, outDir = 'dist') {
  const server = await preview({
    root,
    configFile: false,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  const url = server.resolvedUrls.local[0];
  return { url, close: () => new Promise((resolve) => server.httpServer.close(resolve)) };
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

/**
 * Build the web app, serve it and open it in Chromium, ready for a test:
 * returns { page, errors, root, close }. With serveReference, the page can
 * fetch ../shared/reference/<name> as /__ref/<name>.
 */
export async function openWebApp({ viewport, serveReference = false } = {}) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  await build({ configFile: `${root}/web/vite.config.mjs`, logLevel: 'warn' });
  const server = await servePreview(`${root}/web`);
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors = watchErrors(page);
  if (serveReference) {
    await page.route('**/__ref/*', (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop();
      route.fulfill({ body: readFileSync(`${sharedDir}/reference/${name}`) });
    });
  }
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return {
    page,
    errors,
    root,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
