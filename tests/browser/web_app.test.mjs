// The tutorial page in headless Chromium: build it with Vite, serve the build,
// run Step 1 and Step 2 and read the results from the DOM.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp } from './chromium.mjs';

let app, page, errors, root;

beforeAll(async () => {
  app = await openWebApp();
  ({ page, errors, root } = app);
});

afterAll(async () => {
  if (page) {
    mkdirSync(`${root}/test-results`, { recursive: true });
    await page.screenshot({ path: `${root}/test-results/web-app.png`, fullPage: true });
  }
  await app?.close();
});

describe('tutorial page', () => {
  it('loads the SIMD128 module', async () => {
    expect(await page.textContent('#backend')).toBe('SIMD128');
  });

  it('Step 1 generates a 256 × 1024 tensor', async () => {
    const r = page.locator('#step1-result');
    await expect.poll(() => r.getAttribute('data-status')).toBe('done');
    expect(await r.getAttribute('data-n')).toBe(String(256 * 1024));
    expect(await r.getAttribute('data-bytes')).toBe(String(256 * 1024 * 4));
  });

  it('Step 2 quantizes to Q8_0 and reports the reconstruction error', async () => {
    await page.selectOption('#format', 'q8_0');
    await page.click('#quantize');
    const r = page.locator('#step2-result');
    await expect.poll(() => r.getAttribute('data-status')).toBe('done');
    expect(await r.getAttribute('data-type')).toBe('q8_0');
    expect(Number(await r.getAttribute('data-bytes'))).toBe((256 * 1024 / 32) * 34);
    const rmse = Number(await r.getAttribute('data-rmse'));
    // std 0.02 with outliers: Q8_0's step is max|x|/127 per block, so RMSE sits near 1e-4.
    expect(rmse).toBeGreaterThan(1e-6);
    expect(rmse).toBeLessThan(1e-3);
    expect(Number(await r.getAttribute('data-cosine'))).toBeGreaterThan(0.9999);
    expect(await page.locator('#block-view tbody tr').count()).toBe(16);
  });

  it('the scalar reference kernel gives the same result as SIMD128', async () => {
    const r = page.locator('#step2-result');
    const runOnce = async (kernel) => {
      const before = Number(await r.getAttribute('data-runs'));
      await page.selectOption('#kernel', kernel);
      await page.click('#quantize');
      await expect.poll(async () => Number(await r.getAttribute('data-runs'))).toBe(before + 1);
      return { rmse: await r.getAttribute('data-rmse'), digest: await r.getAttribute('data-digest') };
    };
    const ref = await runOnce('ref');
    const simd = await runOnce('simd128');
    expect(simd).toEqual(ref);
    await page.selectOption('#kernel', 'auto');
  });

  it('bad input shows a typed error and the page keeps working', async () => {
    await page.fill('#cols', '48'); // 48 is not a multiple of Q8_0's 32-value block
    await page.click('#make-tensor');
    await page.click('#quantize');
    const r = page.locator('#step2-result');
    await expect.poll(() => r.getAttribute('data-status')).toBe('error');
    expect(await r.getAttribute('data-error')).toBe('BadLength');
    expect(await r.textContent()).toContain('not a multiple of');

    await page.fill('#cols', '1024');
    await page.click('#make-tensor');
    await page.click('#quantize');
    await expect.poll(() => r.getAttribute('data-status')).toBe('done');
  });

  it('compares every format in one table', async () => {
    await page.click('#compare-all');
    const t = page.locator('#compare-table');
    await expect.poll(() => t.getAttribute('data-status')).toBe('done');
    expect(Number(await t.getAttribute('data-rows'))).toBeGreaterThanOrEqual(1);
  });

  it('logged no errors in the console', () => {
    expect(errors).toEqual([]);
  });
});
