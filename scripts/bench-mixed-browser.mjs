// The full exact sensitivity scan of the built-in model in headless Chromium,
// one thread (the page's own; no workers): how long it takes (wall time and
// the main thread's CPU time), that progress arrives throughout, and how
// quickly an AbortSignal stops it.
//   node scripts/bench-mixed-browser.mjs [--chunks N] [--ctx N] [--imatrix-chunks N] [--reps N] [--node]
// Needs `scripts/build.sh dist`. Files are served to the page through
// Playwright routes from this checkout (dist/, models/). With --node the same
// scan also runs in Node on the same wasm, reporting CPU seconds beside wall
// seconds: on a shared machine the CPU time is what an idle one would take.
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, watchErrors } from '../tests/browser/chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
// The web page's settings: one chunk of 256 tokens, every format, an imatrix from 8 chunks.
const options = { chunks: arg('--chunks', 1), nCtx: arg('--ctx', 256), imatrixChunks: arg('--imatrix-chunks', 8) };
const reps = arg('--reps', 1);
const types = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.txt': 'text/plain', '.gguf': 'application/octet-stream' };

if (process.argv.includes('--node')) {
  const { loadQuantlab } = await import('../dist/node.mjs');
  const ql = await loadQuantlab();
  const model = await ql.loadModel(join(root, 'models/quantlab-stories-4M.gguf'));
  const calibrationText = readFileSync(join(root, 'models/calibration.txt'), 'utf8');
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  const scan = await ql.scanSensitivity(model, { ...options, calibrationText });
  const cpu = process.cpuUsage(cpu0);
  console.log(`Node: full exact scan ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU ` +
    `(${scan.result.tensors.length} tensors x ${scan.result.types.length} formats, ${scan.result.nChunks} chunk(s) of ${scan.result.nCtx})`);
  scan.dispose();
  model.dispose();
}

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
  // The page's main thread CPU time (CDP ThreadTime) beside wall time: on a
  // shared machine the CPU time is what the scan takes on an idle one.
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const threadTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value;
  await page.evaluate(async () => {
    const { loadQuantlab } = await import('/dist/browser.mjs');
    window.ql = await loadQuantlab();
    window.model = await window.ql.loadModel(await (await fetch('/models/quantlab-stories-4M.gguf')).blob());
    window.calibrationText = await (await fetch('/models/calibration.txt')).text();
  });
  for (let rep = 0; rep < reps; rep++) {
    const cpu0 = await threadTime();
    const r = await page.evaluate(async (opts) => {
      for (const k of Object.keys(opts)) if (opts[k] === undefined || opts[k] === null) delete opts[k];
      // Progress: the longest gap between two reports.
      let last = performance.now(), gap = 0, events = 0;
      const t0 = performance.now();
      window.scan = await window.ql.scanSensitivity(window.model, {
        ...opts,
        calibrationText: window.calibrationText,
        onProgress: () => {
          const now = performance.now();
          gap = Math.max(gap, now - last);
          last = now;
          events++;
        },
      });
      const result = window.scan.result;
      return {
        seconds: (performance.now() - t0) / 1000, events, maxGapMs: gap, types: result.types.length, tensors: result.tensors.length,
        chunks: result.nChunks, ctx: result.nCtx, spearman: result.spearman,
        userAgent: navigator.userAgent, threads: typeof SharedArrayBuffer !== 'undefined' && crossOriginIsolated,
      };
    }, { ...options });
    r.cpuSeconds = (await threadTime()) - cpu0;
    Object.assign(r, await page.evaluate(async (opts) => {
      for (const k of Object.keys(opts)) if (opts[k] === undefined || opts[k] === null) delete opts[k];
      const { ql, model, scan, calibrationText } = window;
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
      return { planSeconds, planKld: plan.calibrationKld, cancelled: rejected, cancelMs: performance.now() - cancelAt };
    }, { ...options }));
    console.log(JSON.stringify(r, null, 1));
    console.log(`full exact scan: ${r.seconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s main-thread CPU ` +
      `(${r.tensors} tensors x ${r.types} formats, ${r.chunks} chunk(s) of ${r.ctx}), ` +
      `${r.events} progress reports, longest gap ${r.maxGapMs.toFixed(0)} ms; plan + verification ${r.planSeconds.toFixed(1)} s; ` +
      `cancelled (${r.cancelled}) ${r.cancelMs.toFixed(0)} ms after abort()`);
  }
  if (errors.length) console.log('page errors:', errors);
} finally {
  await browser.close();
}
