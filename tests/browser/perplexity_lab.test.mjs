// Step 3 of the tutorial in Chromium on the built-in model: quantize it in the
// tab, measure perplexity and KL divergence per format, draw the table.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp } from './chromium.mjs';

let app, page, errors, root;

beforeAll(async () => {
  app = await openWebApp({ viewport: { width: 1100, height: 900 } });
  ({ page, errors, root } = app);
});

afterAll(async () => {
  await app?.close();
});

describe('perplexity lab on the built-in model', () => {
  it('loads the held-out text that ships with the model', async () => {
    await expect.poll(async () => (await page.inputValue('#ppl-text')).length).toBeGreaterThan(10_000);
  });

  it('quantizes to Q8_0, Q4_K_M and Q2_K and ranks them by perplexity', async () => {
    await page.fill('#ppl-chunks', '6');
    await page.click('#ppl-run');
    const t = page.locator('#ppl-table');
    await expect.poll(() => t.getAttribute('data-status'), { timeout: 240_000, interval: 500 }).toBe('done');
    const rows = await page.$$eval('#ppl-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows.map((r) => r[0])).toEqual(['original (F32)', 'Q8_0', 'Q4_K_M', 'Q2_K']);
    const ppl = rows.map((r) => Number(r[3].split(' ')[0]));
    const bpw = rows.map((r) => Number(r[2]));
    expect(bpw[0]).toBeCloseTo(32, 0);
    expect(bpw[1]).toBeCloseTo(8.5, 1);
    // Fewer bits, more damage: KL divergence from the original grows as bits shrink,
    // and Q8_0 is within 1 % of the original's perplexity.
    const kld = rows.slice(1).map((r) => Number(r[5].split(' ')[0]));
    expect(kld[0]).toBeLessThan(kld[1]);
    expect(kld[1]).toBeLessThan(kld[2]);
    expect(Math.abs(ppl[1] - ppl[0]) / ppl[0]).toBeLessThan(0.01);
    expect(ppl[3]).toBeGreaterThan(ppl[1]);
    for (const r of rows.slice(1)) expect(r[7]).toMatch(/^(yes|no) \(p = /);
    for (const r of rows) expect(Number(r[8].match(/^(\d+) tokens\/s$/)[1])).toBeGreaterThan(0);
    mkdirSync(`${root}/test-results`, { recursive: true });
    await page.locator('#step4').screenshot({ path: `${root}/test-results/perplexity-lab.png` });
  });

  it('generates from every loaded model', async () => {
    await page.fill('#gen-n', '20');
    await page.click('#gen-run');
    const out = page.locator('#gen-out');
    await expect.poll(() => out.getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
    expect(await page.locator('#gen-out .card').count()).toBe(4);
    expect((await page.textContent('#gen-out')).length).toBeGreaterThan(100);
    const heads = await page.$$eval('#gen-out .card h4', (hs) => hs.map((h) => h.textContent));
    for (const h of heads) expect(h).toMatch(/ · \d+ tokens, \d+ tokens\/s$/);
  });

  it('logged no errors', () => {
    expect(errors).toEqual([]);
  });
});
