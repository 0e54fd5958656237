// Steady-state engine and kernel timings in headless Chromium, every run of a
// page printed (not only a median), for questions the harness of
// scripts/bench-engine.sh cannot answer: does a page stay at one speed, does
// a V8 flag change it, how does one product scale with threads.
//   node scripts/bench-browser-steady.mjs pp <model> <threads> [reps]
//       pp256 of ../shared/bench/models/synth512-<model>.gguf, one warm-up run
//       then `reps` (10) runs; threads 1 loads the single-thread module, more
//       the threaded one (as loadQuantlab picks them).
//   node scripts/bench-browser-steady.mjs matmul <type> <rows> <cols> <nTokens> <threads>
//       ql.benchMatmul in the threaded module.
// CHROME_FLAGS adds Chromium flags (e.g. --js-flags=--no-liftoff); DIST picks
// another build's dist/ (default: this checkout's, scripts/build.sh dist).
// A benchmark, not a test (docs/benchmarks.md, "Issue 14, eighth session").
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStaticServer } from './serve-web.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(process.env.DIST ?? join(root, 'dist'));
const models = resolve(root, '../shared/bench/models');
const [mode, ...args] = process.argv.slice(2);
if (mode !== 'pp' && mode !== 'matmul') {
  console.error('usage: bench-browser-steady.mjs pp <model> <threads> [reps] | matmul <type> <rows> <cols> <nTokens> <threads>');
  process.exit(2);
}

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { loadQuantlab } from '/dist/browser.mjs';
window.pp = async (file, threads, reps) => {
  const ql = await loadQuantlab({ threads });
  const model = await ql.loadModel(await (await fetch('/models/' + file)).blob(), { nCtx: 512, threads });
  let ids = Array.from(model.tokenize('Once upon a time there was a little girl who lived in a village near the forest.'));
  while (ids.length < 256) ids = ids.concat(ids.slice(1));
  ids = ids.slice(0, 256);
  model.evaluate(ids, { reset: true });
  const ms = [];
  for (let i = 0; i < reps; i++) ms.push(model.evaluate(ids, { reset: true }));
  return { module: ql.wasmVariant + (threads > 1 ? ' threaded' : ''), threads: model.info.threads, ms };
};
window.matmul = async (type, rows, cols, nTokens, threads) => {
  const ql = await loadQuantlab({ threads: Math.max(2, threads) });
  return ql.benchMatmul(type, { rows, cols, nTokens, threads, minMs: 400 });
};
window.ready = true;
</script>`;
// The page, with dist/ and the models beside it, served cross-origin isolated.
const site = mkdtempSync(join(tmpdir(), 'quantlab-steady-'));
writeFileSync(join(site, 'index.html'), PAGE);
symlinkSync(dist, join(site, 'dist'));
symlinkSync(models, join(site, 'models'));
const server = await startStaticServer({ root: site });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', ...(process.env.CHROME_FLAGS?.split(' ').filter(Boolean) ?? [])],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const flags = process.env.CHROME_FLAGS ?? '';
  if (mode === 'pp') {
    const [model, threads, reps = '10'] = args;
    const r = await page.evaluate(([f, t, n]) => window.pp(f, t, n), [`synth512-${model}.gguf`, Number(threads), Number(reps)]);
    console.log(`${model} pp256 ${r.module}, ${r.threads} thread(s) ${flags}: ${r.ms.map((x) => x.toFixed(1)).join(' ')} ms`);
  } else {
    const [type, rows, cols, nTokens, threads] = args;
    const r = await page.evaluate(([...a]) => window.matmul(...a), [type, +rows, +cols, +nTokens, +threads]);
    console.log(`${type} ${rows}x${cols}x${nTokens}, ${r.threads} thread(s) ${flags}: ${(r.seconds * 1e3).toFixed(3)} ms, ${r.gflops.toFixed(1)} GFLOP/s`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(site, { recursive: true });
}
