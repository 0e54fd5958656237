// The perplexity lab: a GGUF picked from disk (and a file type it cannot
// make), cancelling a run, then the built-in model against three file types
// (its PPL equal to the native CLI's; the screenshots show this run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../js/golden.mjs';
import { openWebApp, resetLongTasks, root } from './chromium.mjs';
import { expectPageQuality, expectResponsive, nativePpl } from './page_checks.mjs';

let app, page;
beforeAll(async () => {
  app = await openWebApp({ route: '#/perplexity' });
  page = app.page;
  await page.waitForSelector('section[data-page="perplexity"][data-ready="true"]');
  await page.waitForFunction(() => document.querySelector('#ppl-run textarea')?.value.length > 10_000);
});
afterAll(async () => app?.close());

const rows = () => page.$$eval('#ppl-table tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset, cells: [...tr.children].map((td) => td.textContent) })));
const setNumbers = async (ctx, chunks) => {
  await page.fill('#ppl-run input[type=number] >> nth=0', String(ctx));
  await page.fill('#ppl-run input[type=number] >> nth=1', String(chunks));
};

describe('perplexity lab', () => {
  it('measures a GGUF picked from disk, and names a file type it cannot make', async () => {
    await page.selectOption('#ppl-run select', 'file');
    await page.setInputFiles('#ppl-run input[type=file] >> nth=0', `${sharedDir}/reference/stories260K-f32.gguf`);
    await page.setChecked('#ppl-run input[value="Q2_K"]', false);
    await setNumbers(128, 2);
    await page.click('#ppl-run button[type=submit]');
    await page.waitForSelector('#ppl-table[data-status="done"]', { timeout: 120_000 });
    const r = await rows();
    expect(r.map((x) => x.type)).toEqual(['original', 'Q4_K_M']);
    expect(Number(r[1].kld)).toBeGreaterThan(0);
    // stories260K's ffn_down rows have 172 values: no Q8_0 block fits, as llama-quantize says too.
    expect(await page.textContent('#ppl-failures [data-type="Q8_0"]')).toContain('rows of 172 values');
  });

  it('Cancel stops a run and the page keeps working', async () => {
    await setNumbers(64, 0);
    await page.click('#ppl-run button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#ppl-run .progress-panel progress').value > 0.05);
    await page.click('#ppl-run .progress-panel button:has-text("Cancel")');
    await page.waitForSelector('#ppl-run .progress-panel[data-state="cancelled"]', { timeout: 60_000 });
    expect(await page.textContent('#ppl-run .progress-panel .status')).toContain('Cancelled');
  });

  it('ranks Q8_0, Q4_K_M and Q2_K by KL divergence; the original\u2019s PPL is the native CLI\u2019s', async () => {
    const want = nativePpl(`${root}/models/quantlab-stories-4M.gguf`, `${root}/models/heldout.txt`, 128, 6);
    await resetLongTasks(page);
    await page.selectOption('#ppl-run select', 'builtin');
    for (const t of ['Q8_0', 'Q4_K_M', 'Q2_K']) await page.setChecked(`#ppl-run input[value="${t}"]`, true);
    await setNumbers(128, 6);
    await page.click('#ppl-run button[type=submit]');
    await page.waitForSelector('#ppl-table[data-status="done"]', { timeout: 240_000 });
    const r = await rows();
    expect(r.map((x) => x.type)).toEqual(['original', 'Q2_K', 'Q4_K_M', 'Q8_0']);
    expect(Math.abs(Number(r[0].ppl) - want.ppl)).toBeLessThan(0.00006);
    const kld = Object.fromEntries(r.slice(1).map((x) => [x.type, Number(x.kld)]));
    expect(kld.Q8_0).toBeLessThan(kld.Q4_K_M);
    expect(kld.Q4_K_M).toBeLessThan(kld.Q2_K);
    for (const x of r.slice(1)) expect(x.cells[8]).toMatch(/^(yes|no) \(p = /);
    expect(await page.locator('#ppl-results canvas').count()).toBe(4);
    expect(await page.locator('.format-progress li').count()).toBe(4);
    await expectResponsive(page);
  });

  it('passes axe, fits a phone, logged no errors', async () => {
    await expectPageQuality(app, 'perplexity');
  });
});
