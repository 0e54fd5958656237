// The format atlas in Chromium: every format of the module on one tensor
// (sizes, errors in the expected order, the Pareto front, copy as
// Markdown), and the tutorial's table measured on the built-in model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, resetLongTasks } from './chromium.mjs';
import { expectPageQuality, expectResponsive } from './page_checks.mjs';

let app, page, info;
beforeAll(async () => {
  app = await openWebApp({ route: '#/atlas' });
  page = app.page;
  await app.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  info = await page.evaluate(() => window.loadQuantlab().then((ql) => ({ formats: ql.formats().map((f) => f.name), fileTypes: ql.quantizeTypes().map((t) => t.name) })));
});
afterAll(async () => app?.close());

const rowsOf = (sel) => page.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) => ({ type: tr.dataset.type, cells: [...tr.children].map((td) => td.textContent) })));

describe('format atlas', () => {
  it('measures every format of the module on one tensor', async () => {
    await page.waitForSelector('#atlas-table[data-status="done"]', { timeout: 120_000 }); // the default run on load
    await resetLongTasks(page);
    await page.fill('#atlas-formats input[type=number] >> nth=0', '256');
    await page.evaluate(() => document.querySelector('#atlas-table').removeAttribute('data-status'));
    await page.click('#atlas-formats button[type=submit]');
    await page.waitForSelector('#atlas-table[data-status="done"]', { timeout: 120_000 });
    const rows = await rowsOf('#atlas-table');
    const measured = rows.filter((r) => r.type);
    expect(measured.map((r) => r.type).sort()).toEqual(info.formats.filter((f) => f !== 'f32').sort());
    const by = Object.fromEntries(measured.map((r) => [r.type, r.cells]));
    expect(by.q4_K[2]).toBe('7.11×');
    expect(Number(by.q8_0[1])).toBeCloseTo(8.5, 4);
    const rmse = (t) => Number(by[t][4]);
    expect(rmse('q8_0')).toBeLessThan(rmse('q4_K'));
    expect(rmse('q4_K')).toBeLessThan(rmse('q2_K'));
    for (const r of measured) expect(Number(r.cells[7])).toBeGreaterThan(0); // quantize GB/s
    expect(measured.filter((r) => r.cells[9] === 'on the front').length).toBeGreaterThanOrEqual(3);
    // The lattice and ternary formats: their nominal sizes, errors in the order of their bits.
    for (const [t, bpw] of Object.entries({ iq1_s: 1.5625, iq1_m: 1.75, tq1_0: 1.6875, iq2_xxs: 2.0625, tq2_0: 2.0625, iq2_xs: 2.3125, iq2_s: 2.5625, iq3_xxs: 3.0625, iq3_s: 3.4375, mxfp4: 4.25 })) {
      expect(Number(by[t][1])).toBeCloseTo(bpw, 4);
      expect(by[t][9]).not.toMatch(/imatrix|error|refuse/i); // measured, not an error message
    }
    // RMSE on this tensor (256 × 4096, outliers, seed 42) as quantize() gives it in Node, with ones as the
    // importance of IQ1_S, IQ2_XXS, IQ2_XS: the page runs the same kernels.
    const expected = { iq3_s: 5.1965e-3, iq3_xxs: 6.3255e-3, iq2_s: 1.0105e-2, iq2_xs: 1.0284e-2, iq2_xxs: 1.3236e-2, iq1_s: 1.3748e-2, iq1_m: 1.4040e-2, tq2_0: 1.7048e-2, tq1_0: 1.7048e-2, mxfp4: 3.2810e-3 };
    for (const [t, v] of Object.entries(expected)) expect(Math.abs(rmse(t) / v - 1)).toBeLessThan(2e-3);
    expect(rmse('iq3_s')).toBeLessThan(rmse('iq3_xxs'));
    expect(rmse('iq3_xxs')).toBeLessThan(rmse('iq2_xs'));
    expect(rmse('iq2_xs')).toBeLessThan(rmse('iq2_xxs'));
    expect(rmse('iq2_xxs')).toBeLessThan(rmse('iq1_s'));
    // The formats ggml cannot quantize without an importance vector got one, and the page says which.
    for (const t of ['iq1_s', 'iq2_xxs', 'iq2_xs']) expect(by[t][0]).toBe(`${t.toUpperCase()} (imatrix)`);
    expect(by.iq3_s[0]).toBe('IQ3_S');
    expect(await page.textContent('#atlas-importance')).toMatch(/IQ1_S.*IQ2_XXS.*IQ2_XS|IQ2_XXS.*IQ2_XS.*IQ1_S|importance vector of ones \(a generated tensor/);
    expect(await page.textContent('#atlas-importance')).toMatch(/importance vector of ones \(a generated tensor/);
    // ggml's formats this build lacks are listed, not hidden: none are left.
    const missing = rows.filter((r) => !r.type);
    for (const r of missing) expect(r.cells[1]).toBe('not in this build yet');
    for (const r of missing) expect(info.formats).not.toContain(r.cells[0].toLowerCase());
    expect(missing.map((r) => r.cells[0])).toEqual([]);
    expect(await page.textContent('#atlas-title + .lede')).toMatch(/All of ggml’s weight formats are here/);
    await page.click('#atlas-table button:has-text("Copy as Markdown")');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^\| format \| bits\/weight \|/);
    await expectResponsive(page);
  });

  it('weighs a tensor of the built-in model by the model\u2019s importance matrix for IQ1_S, IQ2_XXS, IQ2_XS', async () => {
    await resetLongTasks(page);
    await page.selectOption('#atlas-formats select >> nth=0', 'gguf');
    await page.waitForFunction(() => [...document.querySelectorAll('#atlas-formats select option')].some((o) => o.value === 'blk.1.ffn_down.weight'));
    await page.selectOption('#atlas-formats select:has(option[value="blk.1.ffn_down.weight"])', 'blk.1.ffn_down.weight');
    await page.evaluate(() => document.querySelector('#atlas-table').removeAttribute('data-status'));
    await page.click('#atlas-formats button[type=submit]');
    await page.waitForSelector('#atlas-table[data-status="done"]', { timeout: 180_000 });
    expect(await page.textContent('#atlas-tensor')).toMatch(/blk\.1\.ffn_down\.weight \(F32, 768 × 256\)/);
    expect(await page.textContent('#atlas-importance')).toMatch(/entry in the built-in model\u2019s importance matrix, computed in this tab from the held-out stories/);
    const by = Object.fromEntries((await rowsOf('#atlas-table')).filter((r) => r.type).map((r) => [r.type, r.cells]));
    const rmse = (t) => Number(by[t][4]);
    for (const t of ['iq1_s', 'iq2_xxs', 'iq2_xs']) {
      expect(by[t][0]).toBe(`${t.toUpperCase()} (imatrix)`);
      expect(rmse(t)).toBeGreaterThan(rmse('q4_K'));
      expect(rmse(t)).toBeLessThan(10 * rmse('q2_K'));
    }
    expect(rmse('iq2_xs')).toBeLessThan(rmse('iq1_s'));
    await expectResponsive(page);
  });

  it('fills the quality column from measurements of the built-in model and derives the recommendations', { timeout: 600_000 }, async () => {
    await resetLongTasks(page);
    await page.fill('#atlas-quality input[type=number]', '4'); // 4 of 25 chunks keeps the test short (22 file types)
    await page.click('#atlas-quality button:has-text("Measure quality")');
    await page.waitForSelector('#quality-table[data-status="done"]', { timeout: 590_000 });
    const rows = await rowsOf('#quality-table');
    const kld = Object.fromEntries(rows.filter((r) => r.type && r.type !== 'F32' && !r.cells[7].includes('not in this build')).map((r) => [r.type, Number(r.cells[5].split(' ')[0])]));
    expect(kld.Q8_0).toBeLessThan(kld.Q4_K_M);
    expect(kld.Q4_K_M).toBeLessThan(kld.Q2_K);
    // The new rows, measured: the lattice types with the held-out imatrix, said in the row and under the table.
    const newTypes = ['IQ3_M', 'IQ3_S', 'IQ3_XS', 'IQ3_XXS', 'IQ2_M', 'IQ2_S', 'IQ2_XS', 'IQ2_XXS', 'IQ1_M', 'IQ1_S', 'TQ2_0', 'TQ1_0'];
    const cells = Object.fromEntries(rows.map((r) => [r.type, r.cells]));
    for (const t of newTypes) {
      expect(kld[t]).toBeGreaterThan(0);
      expect(Number(cells[t][1])).toBeGreaterThan(1.5); // bits/weight of the whole file
      expect(Number(cells[t][1])).toBeLessThan(Number(cells.Q4_K_M[1]));
      expect(cells[t][7].endsWith('(imatrix)')).toBe(t.startsWith('IQ'));
    }
    expect(kld.IQ3_S).toBeLessThan(kld.IQ2_XXS);
    expect(kld.IQ2_XS).toBeLessThan(kld.IQ1_S);
    expect(kld.IQ1_M).toBeLessThan(kld.IQ1_S);
    expect(Number(cells.IQ1_S[1])).toBeLessThan(Number(cells.IQ2_XXS[1]));
    expect(await page.textContent('#atlas-quality .note.warn')).toMatch(/IQ3_M, .*IQ1_S were quantized with an importance matrix computed in this page from the held-out text/);
    for (const r of rows) {
      if (!info.fileTypes.includes(r.type)) expect(r.cells[7]).toBe('not in this build yet');
      else expect(r.cells[7]).not.toMatch(/not measured|failed/);
    }
    const recs = await page.$$eval('#recommendations [data-rec]', (els) => Object.fromEntries(els.map((e) => [e.dataset.rec, e.dataset.type])));
    // Derived from the measurements, not written down: re-derive the two ends here.
    const sorted = Object.entries(kld).filter(([t]) => t !== 'F16').sort((a, b) => a[1] - b[1]);
    expect(recs.best).toBe(sorted[0][0]);
    expect(Object.keys(kld)).toContain(recs.extreme);
    expect(recs.balanced).toBeTruthy();
    await expectResponsive(page);
  });

  it('passes axe, fits a phone, logged no errors', async () => {
    await expectPageQuality(app, 'atlas');
  });
});
