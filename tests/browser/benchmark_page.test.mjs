// The benchmark page: every weight format gives positive GFLOP/s for
// generation and for a prompt batch (small matrices keep the test short),
// and the engine's tokens/s on the built-in model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, resetLongTasks } from './chromium.mjs';
import { expectPageQuality, expectResponsive, runMatmulBenchmark } from './page_checks.mjs';

let app, page;
beforeAll(async () => {
  app = await openWebApp({ route: '#/benchmark' });
  page = app.page;
  await page.waitForSelector('section[data-page="benchmark"][data-ready="true"]');
});
afterAll(async () => app?.close());

describe('benchmark page', () => {
  it('shows the thread count the module runs with', async () => {
    expect(await page.getAttribute('#bench-threads', 'data-threads')).toBe('1');
    expect(await page.textContent('#bench-threads')).toContain('1 thread');
  });

  it('every format gives a positive GFLOP/s, matrix × vector and matrix × matrix', async () => {
    const weightTypes = await page.evaluate(() => window.loadQuantlab().then((ql) => ql.formats().filter((f) => f.hasVecDot).map((f) => f.name)));
    await resetLongTasks(page);
    const rows = await runMatmulBenchmark(page, { rows: 256, cols: 1024, columns: 32, minMs: 20 });
    expect(rows.map((r) => r.type).sort()).toEqual(weightTypes.sort());
    for (const r of rows) {
      // Bounded too: a sample the browser's coarse clock read as 0 once gave 524288 GFLOP/s.
      expect(Number(r.gen), r.type).toBeGreaterThan(0);
      expect(Number(r.gen), r.type).toBeLessThan(1000);
      expect(Number(r.pp), r.type).toBeGreaterThan(0);
      expect(Number(r.pp), r.type).toBeLessThan(5000);
    }
    expect(await page.locator('#bench-matmul canvas').count()).toBe(2);
    await expectResponsive(page);
  });

  it('measures the engine\u2019s prompt and generation tokens/s per file type', async () => {
    await resetLongTasks(page);
    const boxes = page.locator('#bench-engine input[type=checkbox]');
    for (let i = 0; i < (await boxes.count()); i++) {
      const v = await boxes.nth(i).getAttribute('value');
      await boxes.nth(i).setChecked(['F32', 'Q8_0', 'Q4_K_M'].includes(v));
    }
    await page.fill('#bench-engine input[type=number] >> nth=0', '64');
    await page.fill('#bench-engine input[type=number] >> nth=1', '16');
    await page.click('#bench-engine button[type=submit]');
    await page.waitForSelector('#engine-table[data-status="done"]', { timeout: 120_000 });
    const rows = await page.$$eval('#engine-table tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
    expect(rows.map((r) => r.type)).toEqual(['F32', 'Q8_0', 'Q4_K_M']);
    for (const r of rows) {
      expect(Number(r.pp)).toBeGreaterThan(0);
      expect(Number(r.tg)).toBeGreaterThan(0);
    }
    await expectResponsive(page);
  });

  it('passes axe, fits a phone, logged no errors', async () => {
    await expectPageQuality(app, 'benchmark');
  });
});
