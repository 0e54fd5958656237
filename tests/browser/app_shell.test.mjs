// The static site's shell: every page has its own URL that survives a reload,
// the module loads with and without cross-origin isolation, and the header
// says what the module runs with.
import { afterAll, describe, expect, it } from 'vitest';
import { openWebApp } from './chromium.mjs';
import { runMatmulBenchmark } from './page_checks.mjs';
import { pages } from '../../web/src/pages/index.js';

const apps = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

describe('app shell', () => {
  it('every page has a nav entry and a URL that survives reload (no COOP/COEP)', async () => {
    const app = await openWebApp();
    apps.push(app);
    const { page, errors } = app;
    const nav = await page.$$eval('#nav a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    expect(nav).toEqual(pages.map((p) => [p.title, `#/${p.path}`]));
    for (const p of pages) {
      await page.click(`nav a[href="#/${p.path}"]`);
      await page.waitForSelector(`section[data-page="${p.path}"][data-ready="true"]`);
      expect(await page.getAttribute(`nav a[href="#/${p.path}"]`, 'aria-current')).toBe('page');
      await page.reload();
      await page.waitForSelector(`section[data-page="${p.path}"][data-ready="true"]`);
      expect(await page.isVisible(`section[data-page="${p.path}"]`)).toBe(true);
      expect(await page.title()).toBe(`${p.title} · quantlab`);
    }
    await page.waitForSelector('body[data-ready="true"]');
    // One thread in Chromium: the relaxed-SIMD build, and the header says so.
    expect(await page.textContent('#wasm-variant')).toBe('WebAssembly relaxed SIMD');
    expect(await page.getAttribute('#wasm-variant', 'data-variant')).toBe('relaxed-simd');
    expect(await page.getAttribute('#thread-count', 'data-threads')).toBe('1');
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    await page.evaluate(() => (location.hash = '#/no-such-page'));
    await page.waitForSelector('.not-found');
    expect(await page.textContent('.not-found h1')).toBe('Page not found');
    expect(errors).toEqual([]);
  });

  it('with COOP/COEP headers the page is cross-origin isolated and works the same', async () => {
    const app = await openWebApp({ isolation: true, route: '#/benchmark' });
    apps.push(app);
    const { page, errors } = app;
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.textContent('#runtime')).toContain('cross-origin isolated');
    await page.waitForSelector('section[data-page="benchmark"][data-ready="true"]');
    // The threaded module: the matmul benchmark runs on the threads the page names.
    const threads = Number(await page.getAttribute('#bench-threads', 'data-threads'));
    expect(threads).toBe(Math.min(16, await page.evaluate(() => navigator.hardwareConcurrency)));
    const boxes = page.locator('#bench-matmul input[type=checkbox]');
    for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).setChecked((await boxes.nth(i).getAttribute('value')) === 'q4_0');
    const rows = await runMatmulBenchmark(page, { rows: 96, cols: 512, columns: 16, minMs: 0, timeout: 60_000 });
    expect(rows.map((r) => [r.type, Number(r.threads)])).toEqual([['f32', threads], ['q4_0', threads]]);
    expect(await page.textContent('#bench-matmul pre')).toContain(`threads: ${threads}`);
    expect(errors).toEqual([]);
  });
});
