// The engine inside Chromium gives the same numbers as natively and in Node:
// llama.cpp's greedy text and perplexity for stories260K, with the
// single-threaded module (no COOP/COEP) and with the threaded one (a
// cross-origin-isolated page), both with the relaxed-SIMD kernels Chromium has. The page is the built web app; the reference
// files are served through Playwright routes. On the isolated page, a
// threaded build that cannot start its workers falls back to one thread.
import { afterAll, describe, expect, it } from 'vitest';
import { openWebApp } from './chromium.mjs';

const apps = [];
// Perplexity and its running values, unrounded, from each page: the one-thread
// relaxed module and the threaded relaxed module must agree to the bit.
const measured = [];

afterAll(async () => {
  for (const app of apps) await app.close();
});

// A host that serves the threaded build's worker script wrongly (here: not
// at all): loadQuantlab falls back to one thread and says so, at the
// worker's error event instead of hanging; terminate() then makes every call
// throw 'Terminated'.
async function expectThreadedFallback(page) {
  const r = await page.evaluate(async () => {
    const warnings = [];
    const t0 = performance.now();
    const ql = await window.loadQuantlab({
      threads: 2,
      threadedFiles: { worker: new URL('missing/quantlab_wasm_mt_relaxed.worker.js', location.href).href },
      onWarning: (m) => warnings.push(m),
    });
    const seconds = (performance.now() - t0) / 1000;
    const x = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i));
    const state = [ql.pthreads, ql.threads, ql.wasmVariant, ql.dequantize(ql.quantize(x, 'q4_K'), 'q4_K', 256).length];
    ql.terminate();
    let code = null;
    try {
      ql.quantize(x, 'q4_K');
    } catch (e) {
      code = e.code;
    }
    return { state, warnings, seconds, code, loadWarning: ql.loadWarning };
  });
  expect(r.warnings).toHaveLength(1);
  expect(r.warnings[0]).toMatch(/pthread worker failed to start.*single-threaded build/);
  expect(r.loadWarning).toBe(r.warnings[0]);
  expect(r.state).toEqual([false, 1, 'relaxed-simd', 256]);
  expect(r.seconds).toBeLessThan(20);  // the worker's error event, not the 30 s timeout
  expect(r.code).toBe('Terminated');
}

// Browsers without relaxed SIMD get the threaded SIMD128 build
// (wasmVariant forces it here): same perplexity to the bit.
async function expectThreadedSimd128(page, ppl) {
  const r = await page.evaluate(async () => {
    const ql = await window.loadQuantlab({ wasmVariant: 'simd128' });
    const f32 = await ql.loadModel(await (await fetch('__ref/stories260K-f32.gguf')).blob(), { nCtx: 128 });
    const p = await f32.perplexity(await (await fetch('__ref/eval.txt')).text(), { ctx: 128 });
    const out = { pthreads: ql.pthreads, threads: f32.info.threads, variant: ql.wasmVariant, ppl: p.ppl };
    ql.terminate();
    return out;
  });
  expect(r).toEqual({ pthreads: true, threads: r.threads, variant: 'simd128', ppl });
  expect(r.threads).toBeGreaterThan(1);
}

describe.each([
  { isolation: false, pthreads: false },
  { isolation: true, pthreads: true },
])('engine in Chromium, COOP/COEP $isolation', ({ isolation, pthreads }) => {
  it('greedy text and perplexity equal llama.cpp\'s; the header shows the thread count', async () => {
    const app = await openWebApp({ serveReference: true, isolation });
    apps.push(app);
    const { page, errors } = app;
    const r = await page.evaluate(async () => {
      const ql = await window.loadQuantlab();
      const blob = async (n) => (await fetch(`__ref/${n}`)).blob();
      const f32 = await ql.loadModel(await blob('stories260K-f32.gguf'), { nCtx: 128 });
      const gen = await f32.generateText('Once upon a time', { nPredict: 40, temperature: 0 });
      const text = await (await blob('eval.txt')).text();
      const ppl = await f32.perplexity(text, { ctx: 128, keepLogprobs: true });
      const q = await ql.loadModel(await blob('stories260K-q4_k_m.gguf'), { nCtx: 128 });
      const kld = (await q.perplexity(text, { ctx: 128, base: f32 })).kld;
      const threads = [ql.threads, f32.info.threads];
      f32.dispose();
      q.dispose();
      return {
        variant: ql.wasmVariant, text: gen.promptText + gen.text, ppl: ppl.ppl, running: ppl.runningPpl, kld: kld.kldMean, sameTop: kld.sameTop,
        pthreads: ql.pthreads, threads, cores: navigator.hardwareConcurrency,
        badge: Number(document.getElementById('thread-count').dataset.threads),
        variantBadge: document.getElementById('wasm-variant').textContent,
      };
    });
    // Chromium has relaxed SIMD: one thread runs the relaxed build, more
    // threads the threaded relaxed build. The numbers are every build's.
    expect(r.variant).toBe('relaxed-simd');
    expect(r.text).toBe(
      ' Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.',
    );
    expect(r.ppl.toPrecision(4)).toBe('5.492');
    measured.push([r.ppl, r.running]);
    if (measured.length === 2) expect(measured[1]).toEqual(measured[0]);
    expect(r.running[0]).toBeCloseTo(2.8841, 3);
    expect(r.kld / 0.02089).toBeGreaterThan(0.98);
    expect(r.kld / 0.02089).toBeLessThan(1.02);
    expect(r.sameTop / 0.92044).toBeGreaterThan(0.98);
    // One thread per core on an isolated page (this machine has 2 or more),
    // and the app's worker (which shows its count in the header) alike.
    const threads = pthreads ? Math.min(16, r.cores) : 1;
    expect(r.pthreads).toBe(pthreads);
    expect(r.threads).toEqual([threads, threads]);
    expect(r.badge).toBe(threads);
    // The app's worker loads the same build and says which.
    expect(r.variantBadge).toBe('WebAssembly relaxed SIMD');
    expect(errors).toEqual([]);
    if (isolation) {
      await expectThreadedSimd128(page, r.ppl);
      await expectThreadedFallback(page);
    }
  });
});
