// The full exact sensitivity scan of the built-in model in headless Chromium,
// one thread (the page's own; no workers): how long it takes, that progress
// arrives throughout, and how quickly an AbortSignal stops it.
//   node scripts/bench-mixed-browser.mjs [--chunks N] [--ctx N] [--reps N]
// Needs `scripts/build.sh dist`. Files are served to the page through
// Playwright routes from this checkout (dist/, models/).
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, watchErrors } from '../tests/browser/chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const options = { chunks: arg('--chunks', undefined), nCtx: arg('--ctx', undefined) };
const reps = arg('--reps', 1);
const types = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.txt': 'text/plain', '.gguf': 'application/octet-stream' };

const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.route('http://quantlab.bench/**', (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' });
    if (!/^\/(dist|models)\//.test(path)) return route.fulfill({ status: 404, body: '' });
    route.fulfill({ contentType: types[extname(path)] ?? 'application/octet-stream', body: readFileSync(join(root, path)) });
  });
  await page.goto('http://quantlab.bench/');
  for (let rep = 0; rep < reps; rep++) {
    const r = await page.evaluate(async (opts) => {
      for (const k of Object.keys(opts)) if (opts[k] === undefined || opts[k] === null) delete opts[k];
      const { loadQuantlab } = await import('/dist/browser.mjs');
      const ql = await loadQuantlab();
      const model = await ql.loadModel(await (await fetch('/models/quantlab-stories-4M.gguf')).blob());
      const calibrationText = await (await fetch('/models/calibration.txt')).text();
      // Progress: the longest gap between two reports.
      let last = performance.now(), gap = 0, events = 0;
      const t0 = performance.now();
      const scan = await ql.scanSensitivity(model, {
        ...opts,
        calibrationText,
        onProgress: () => {
          const now = performance.now();
          gap = Math.max(gap, now - last);
          last = now;
          events++;
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const result = scan.result;
      const t1 = performance.now();
      const plan = scan.plan({ targetBytes: scan.measureFileType('Q4_K_M').fileBytes });
      const planSeconds = (performance.now() - t1) / 1000;
      scan.dispose();
      // Cancel after 3 s: how long until the promise rejects.
      const ac = new AbortController();
      let cancelAt = 0, rejected = null;
      setTimeout(() => {
        cancelAt = performance.now();
        ac.abort();
      }, 3000);
      try {
        await ql.scanSensitivity(model, { ...opts, calibrationText, signal: ac.signal });
      } catch (e) {
        rejected = e.code;
      }
      const cancelMs = performance.now() - cancelAt;
      model.dispose();
      return {
        seconds, events, maxGapMs: gap, types: result.types.length, tensors: result.tensors.length,
        chunks: result.nChunks, ctx: result.nCtx, spearman: result.spearman, planSeconds,
        planKld: plan.calibrationKld, cancelled: rejected, cancelMs,
        userAgent: navigator.userAgent, threads: typeof SharedArrayBuffer !== 'undefined' && crossOriginIsolated,
      };
    }, { ...options });
    console.log(JSON.stringify(r, null, 1));
    console.log(`full exact scan: ${r.seconds.toFixed(1)} s (${r.tensors} tensors x ${r.types} formats, ${r.chunks} chunk(s) of ${r.ctx}), ` +
      `${r.events} progress reports, longest gap ${r.maxGapMs.toFixed(0)} ms; plan + verification ${r.planSeconds.toFixed(1)} s; ` +
      `cancelled (${r.cancelled}) ${r.cancelMs.toFixed(0)} ms after abort()`);
  }
  if (errors.length) console.log('page errors:', errors);
} finally {
  await browser.close();
}
