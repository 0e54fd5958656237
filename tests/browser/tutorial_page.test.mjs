// The tutorial's five steps in Chromium, each asserting real numbers: the
// 4096 × 4096 seed-42 tensor, Q4_K's 7.11× ratio, its MAE as the Node API
// computes it on the same tensor, the built-in model's perplexity as the
// native CLI computes it, and the 7B memory table from the planner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab } from '../../dist/node.mjs';
import { describe as stats, makeTensor } from '../../web/src/lib/tensor_gen.js';
import { openWebApp, resetLongTasks, root } from './chromium.mjs';
import { expectPageQuality, expectResponsive, nativePpl } from './page_checks.mjs';

let app, page;
beforeAll(async () => {
  app = await openWebApp({ route: '#/tutorial' });
  page = app.page;
});
afterAll(async () => app?.close());

const data = (sel, key) => page.getAttribute(sel, `data-${key}`);

describe('tutorial page', () => {
  it('Step 1 makes the default 4096 × 4096 tensor (seed 42) the same as in Node', async () => {
    await page.waitForSelector('#step1-metrics[data-status="done"]', { timeout: 60_000 });
    expect(Number(await data('#step1-metrics', 'n'))).toBe(4096 * 4096);
    expect(Number(await data('#step1-metrics', 'bytes'))).toBe(67108864);
    const want = stats(makeTensor({ rows: 4096, cols: 4096, dist: 'outliers', std: 0.02, seed: 42 }));
    expect(Number(await data('#step1-metrics', 'mean'))).toBeCloseTo(want.mean, 12);
    expect(Number(await data('#step1-metrics', 'std'))).toBeCloseTo(want.std, 10);
    // The histogram's end bars count the outliers beyond the 99.9th percentile.
    expect(await page.textContent('#step-1 figcaption')).toMatch(/values outside that range are counted/);
  });

  it('Steps 2 and 3: Q4_K is 7.11× smaller, and its MAE is what the Node API gets', async () => {
    await resetLongTasks(page);
    await page.selectOption('#step-2 select >> nth=0', 'q4_K');
    await page.click('#step-2 button[type=submit]');
    await page.waitForSelector('#step2-metrics[data-status="done"]', { timeout: 60_000 });
    expect(Number(await data('#step2-metrics', 'bytes'))).toBe((4096 * 4096 / 256) * 144);
    expect(await page.textContent('#step2-metrics [data-key="ratio"]')).toBe('7.11×');
    expect(await page.textContent('#step2-layout figcaption')).toContain('Q4_K = d, dmin, scales[12], qs[128] = 144 bytes per 256 weights');

    await page.click('#step-3 button[type=submit]');
    await page.waitForSelector('#step3-metrics[data-status="done"]', { timeout: 60_000 });
    const ql = await loadQuantlab();
    const x = makeTensor({ rows: 4096, cols: 4096, dist: 'outliers', std: 0.02, seed: 42 });
    const y = ql.dequantize(ql.quantize(x, 'q4_K', { rows: 4096 }), 'q4_K', x.length);
    const s = ql.errorStats(x, y);
    const mae = Number(await data('#step3-metrics', 'mae'));
    expect(mae / s.mae).toBeGreaterThan(1 - 1e-9);
    expect(mae / s.mae).toBeLessThan(1 + 1e-9);
    expect(Number(await data('#step3-metrics', 'cosine'))).toBeGreaterThan(0.99);
    expect(await page.locator('#step-3 tbody tr').count()).toBe(13);
    expect(await page.isHidden('#step2-importance')).toBe(true);
    // IQ2_XXS, which ggml refuses without an importance vector, is given ones for a generated tensor.
    await page.selectOption('#step-2 select >> nth=0', 'iq2_xxs');
    await page.click('#step-2 button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#step2-metrics')?.dataset.type === 'iq2_xxs', null, { timeout: 120_000 });
    expect(Number(await data('#step2-metrics', 'bytes'))).toBe((4096 * 4096 / 256) * 66);
    expect(await page.textContent('#step2-importance')).toMatch(/^IQ2_XXS cannot be quantized without an importance matrix \(ggml refuses\): it was given an importance vector of ones \(a generated tensor/);
    await expectResponsive(page);
  });

  it('Step 4: the built-in model\u2019s perplexity equals the native CLI\u2019s, and Q8_0 barely moves it', async () => {
    const want = nativePpl(`${root}/models/quantlab-stories-4M.gguf`, `${root}/models/heldout.txt`, 128, 6);
    await resetLongTasks(page);
    await page.selectOption('#step-4 select >> nth=1', 'Q8_0');
    await page.fill('#step-4 input[type=number] >> nth=0', '128');
    await page.fill('#step-4 input[type=number] >> nth=1', '6');
    await page.click('#step-4 button[type=submit]');
    await page.waitForSelector('#step4-metrics[data-status="done"]', { timeout: 120_000 });
    const base = Number(await data('#step4-metrics', 'base-ppl'));
    expect(Math.abs(base - want.ppl)).toBeLessThan(0.00006);
    const q = Number(await data('#step4-metrics', 'ppl'));
    expect(Math.abs(q - base) / base).toBeLessThan(0.01);
    expect(Number(await data('#step4-metrics', 'kld'))).toBeGreaterThan(0);
    expect(Number(await data('#step4-metrics', 'kld'))).toBeLessThan(0.001);
    expect(await page.textContent('#step4-verdict')).toMatch(/significant|measurably/);
    await expectResponsive(page);
  });

  it('Step 5: Llama 2 7B from the real planner, KV cache for 4096 tokens, every row of the table planned', async () => {
    await page.waitForSelector('#step5-metrics[data-status="done"]', { timeout: 60_000 });
    expect(Number(await data('#step5-metrics', 'params'))).toBe(6738415616);
    // f16 K and V: 2 × 32 layers × 4096 tokens × 4096 × 2 bytes
    expect(Number(await data('#step5-metrics', 'kv'))).toBe(2 * 32 * 4096 * 4096 * 2);
    const rows = await page.$$eval('#memory-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const row = (name) => rows.find((r) => r[0] === name);
    expect(Number(row('FP16')[1])).toBeCloseTo(16.0, 1);
    expect(Number(row('Q4_K_M')[1])).toBeGreaterThan(4.81); // llama.cpp's table: 4.84
    expect(Number(row('Q4_K_M')[1])).toBeLessThan(4.87);
    const info = await page.evaluate(() => window.loadQuantlab().then((ql) => ql.quantizeTypes().map((t) => t.name)));
    // Every row of the tutorial's table is in this build, the lattice and ternary types included.
    const bpw = (name) => Number(row(name)[1]);
    for (const name of ['IQ3_M', 'IQ3_S', 'IQ3_XS', 'IQ3_XXS', 'IQ2_M', 'IQ2_S', 'IQ2_XS', 'IQ2_XXS', 'TQ2_0', 'IQ1_M', 'TQ1_0', 'IQ1_S']) {
      expect(info).toContain(name);
      expect(bpw(name)).toBeGreaterThan(1.5);
      expect(bpw(name)).toBeLessThan(bpw('Q3_K_M'));
    }
    expect(rows.some((r) => r[1] === 'not in this build yet')).toBe(false);
    expect(await page.textContent('#step-5 figure figcaption')).toBe('Weights (stacked with the KV cache of the chosen context) per format.');
    // Smaller in the order llama.cpp lists them.
    const order = ['Q3_K_M', 'IQ3_M', 'IQ3_S', 'IQ3_XS', 'IQ3_XXS', 'IQ2_M', 'IQ2_S', 'IQ2_XS', 'IQ2_XXS', 'IQ1_M', 'IQ1_S'];
    for (let i = 1; i < order.length; i++) expect(bpw(order[i])).toBeLessThan(bpw(order[i - 1]));
    // 70B: grouped-query attention shrinks the KV cache 8×.
    await resetLongTasks(page);
    await page.selectOption('#step-5 select', '70B');
    await page.click('#step-5 button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#step5-metrics')?.dataset.params === '68976648192');
    expect(Number(await data('#step5-metrics', 'kv'))).toBe(2 * 80 * 4096 * 1024 * 2);
    await expectResponsive(page);
  });

  it('passes axe, fits a phone, logged no errors', async () => {
    await expectPageQuality(app, 'tutorial');
  });
});
