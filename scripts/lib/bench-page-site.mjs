// The throwaway site the in-page benchmarks (bench-browser-ab.mjs,
// bench-browser-pair.mjs) serve: their page, each build's dist/ linked in by
// name, ../shared/bench/models at /models and the built-in model at
// /builtin.gguf; with a static server (COOP/COEP, so threads work) and Debian's
// headless Chromium. close() takes all of it down again.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../serve-web.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

// links: { name: directory } served at /name.
export async function openBenchSite(page, links) {
  const site = mkdtempSync(join(tmpdir(), 'quantlab-bench-'));
  writeFileSync(join(site, 'index.html'), page);
  for (const [name, dir] of Object.entries(links)) symlinkSync(resolve(dir), join(site, name));
  symlinkSync(resolve(root, '../shared/bench/models'), join(site, 'models'));
  symlinkSync(resolve(root, 'models/quantlab-stories-4M.gguf'), join(site, 'builtin.gguf'));
  const server = await startStaticServer({ root: site });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu'],
  });
  const close = async () => {
    await browser.close();
    await server.close();
    rmSync(site, { recursive: true });
  };
  return { url: server.url, browser, close };
}
