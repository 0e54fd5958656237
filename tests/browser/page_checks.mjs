// What every page test checks after its main flow, and the native CLI the
// expected figures come from.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { axeViolations, longestTask, root, screenshots } from './chromium.mjs';

/** The main thread never blocked for more than 100 ms since the last reset. */
export async function expectResponsive(page) {
  const longest = await longestTask(page);
  expect(longest, `longest main-thread task ${longest} ms`).toBeLessThan(100);
}

/** axe-core (serious/critical), screenshots at both widths, no sideways scroll on a phone, no console errors. */
export async function expectPageQuality(app, name) {
  const violations = await axeViolations(app.page);
  expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
  const { phoneOverflow } = await screenshots(app.page, name);
  expect(phoneOverflow, 'horizontal scrolling at 390 px').toBeLessThanOrEqual(0);
  expect(app.errors).toEqual([]);
}

export const cli = `${root}/build/native-gcc/quantlab`;

/** Run the native CLI (built by `npm test` before Vitest; tests/browser need it). */
export function runCli(args) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run scripts/build.sh native first`);
  return execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The native CLI's final perplexity estimate ("Final estimate: PPL = 1.6231 +/- 0.14043"). */
export function nativePpl(model, text, ctx, chunks) {
  const out = runCli(['perplexity', '-m', model, '-f', text, '-c', String(ctx), '--chunks', String(chunks)]);
  const m = out.match(/Final estimate: PPL = ([0-9.]+) \+\/- ([0-9.]+)/);
  if (!m) throw new Error(`no PPL in: ${out}`);
  return { ppl: Number(m[1]), error: Number(m[2]) };
}

/**
 * Runs the benchmark page's matmul benchmark with the formats already
 * chosen and returns the result table's rows (their data attributes).
 */
export async function runMatmulBenchmark(page, { rows, cols, columns, minMs, timeout = 180_000 }) {
  const num = (i) => `#bench-matmul input[type=number] >> nth=${i}`;
  await page.fill(num(0), String(rows));
  await page.fill(num(1), String(cols));
  await page.fill(num(2), String(columns));
  await page.fill(num(3), String(minMs));
  await page.click('#bench-matmul button[type=submit]');
  await page.waitForSelector('#bench-table[data-status="done"]', { timeout });
  return page.$$eval('#bench-table tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
}
