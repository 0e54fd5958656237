// Quantize a model in Chromium: stories260K picked from disk, the dry-run
// plan, then a Q8_0 file downloaded from the page whose sha256 equals the
// native CLI's output for the same options; bad files show a named error
// and the page keeps working.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../js/golden.mjs';
import { openWebApp, resetLongTasks } from './chromium.mjs';
import { expectPageQuality, expectResponsive, runCli } from './page_checks.mjs';

const input = `${sharedDir}/reference/stories260K-f32.gguf`;
const sha = (b) => createHash('sha256').update(b).digest('hex');
let app, page, tmp, want;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'quantlab-qpage-'));
  // stories260K's ffn_down rows (172 values) fit no Q8_0 block: keep them in F16, as llama-quantize would be told to.
  runCli(['quantize', '--tensor-type', 'ffn_down=f16', input, `${tmp}/cli.gguf`, 'Q8_0']);
  want = readFileSync(`${tmp}/cli.gguf`);
  app = await openWebApp({ route: '#/quantize' });
  page = app.page;
  await page.waitForSelector('#q-header[data-status="done"]'); // the built-in model's header
});
afterAll(async () => {
  await app?.close();
  rmSync(tmp, { recursive: true, force: true });
});

// Each change of the picker starts a header read that marks #q-header
// "running" at once, and only the newest read may set it after that: so the
// status a test waits for after pick() is the picked file's.
const pick = async (files) => {
  await page.selectOption('#q-input select', 'file');
  await page.setInputFiles('#q-input input[type=file]', files);
};

describe('quantize page', () => {
  it('rejects a file that is not a GGUF and a truncated GGUF with a named error, then works', async () => {
    await pick({ name: 'notes.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('hello, this is not a model at all '.repeat(8)) });
    await page.waitForSelector('#q-header[data-status="error"]', { state: 'attached' });
    expect(await page.textContent('#q-input .error-box')).toContain('not a valid GGUF model');
    expect(await page.getAttribute('#q-input .error-box', 'data-code')).toBe('Format');

    await pick({ name: 'cut.gguf', mimeType: 'application/octet-stream', buffer: readFileSync(input).subarray(0, 20_000) });
    await page.waitForSelector('#q-header[data-status="error"]', { state: 'attached' });
    expect(await page.getAttribute('#q-input .error-box', 'data-code')).toBe('Format');
    expect(await page.textContent('#q-input .error-box')).toMatch(/truncated|cut short|end of the file|beyond/i);

    await pick(input);
    await page.waitForSelector('#q-header[data-status="done"]');
    expect(await page.getAttribute('#q-header', 'data-tensors')).toBe('48');
    expect(await page.isHidden('#q-input .error-box')).toBe(true);
  });

  it('plans, quantizes to Q8_0 and downloads the CLI\u2019s exact file', async () => {
    await resetLongTasks(page);
    await page.selectOption('#q-options select >> nth=0', 'Q8_0');
    await page.fill('#q-options textarea', 'ffn_down=f16');
    await page.fill('#q-options input[type=number]', '1');
    await page.selectOption('#q-options select >> nth=4', 'blob');
    await page.click('#q-options button:has-text("Show the plan")');
    await page.waitForSelector('#q-plan[data-status="done"]');
    expect(Number(await page.getAttribute('#q-plan', 'data-output-size'))).toBe(want.length);
    expect(await page.locator('#plan-table tbody tr').count()).toBe(48);
    expect(await page.textContent('#plan-table')).toContain('override ffn_down');

    await page.click('#q-options button[type=submit]');
    await page.waitForSelector('#q-run[data-status="done"]', { timeout: 60_000 });
    expect(Number(await page.getAttribute('#q-run', 'data-bytes'))).toBe(want.length);
    expect(await page.textContent('#q-output .status')).toMatch(/Wrote .* \((\d|\.)+ (MB|GB)\/s of input\)/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#q-download-link')]);
    expect(download.suggestedFilename()).toBe('stories260K-Q8_0.gguf');
    await download.saveAs(`${tmp}/page.gguf`);
    expect(sha(readFileSync(`${tmp}/page.gguf`))).toBe(sha(want));
    await expectResponsive(page);
  });

  it('measures the result against the original in one click', async () => {
    await resetLongTasks(page);
    await page.fill('#q-check input[type=number] >> nth=0', '128');
    await page.fill('#q-check input[type=number] >> nth=1', '2');
    await page.click('#q-check button');
    await page.waitForSelector('#q-compare[data-status="done"]', { timeout: 60_000 });
    const base = Number(await page.getAttribute('#q-compare', 'data-base-ppl'));
    const q = Number(await page.getAttribute('#q-compare', 'data-ppl'));
    expect(Math.abs(q - base) / base).toBeLessThan(0.01);
    expect(Number(await page.getAttribute('#q-compare', 'data-kld'))).toBeGreaterThan(0);
    await expectResponsive(page);
  });

  it('passes axe, fits a phone, logged no errors', async () => {
    await expectPageQuality(app, 'quantize');
  });
});
