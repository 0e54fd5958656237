// The wasm heap after many calls: bytes in use return exactly to their
// baseline and the heap's high-water mark does not move (memory is reused,
// not accumulated) after 1,000 quantize/dequantize calls, 100 loadModel /
// dispose cycles and 100 cancelled perplexity runs; every embind object
// (Engine, QuantizeSession) created is deleted again.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab } from '../../dist/node.mjs';
import { ref, rejection } from './helpers.mjs';

let ql, modelBytes, evalText;

beforeAll(async () => {
  ql = await loadQuantlab(); // its own instance: the figures are this file's alone
  modelBytes = new Uint8Array(readFileSync(ref('stories260K-q8_0.gguf')));
  evalText = readFileSync(ref('eval.txt'), 'utf8');
});


// Runs `round` once to warm up (first-use allocations, heap growth), takes
// the baseline, runs it `times` more, and compares.
async function expectNoGrowth(times, round) {
  await round(-1);
  const before = ql.memoryUsage();
  for (let i = 0; i < times; ++i) await round(i);
  const after = ql.memoryUsage();
  expect(after.heapInUse).toBe(before.heapInUse);
  expect(after.heapPeak).toBe(before.heapPeak);
  expect(after.wasmMemory).toBe(before.wasmMemory);
  expect(after.liveEngines).toBe(before.liveEngines);
  expect(after.liveQuantizeSessions).toBe(0);
}

describe('the wasm heap returns to its baseline', () => {
  it('after 1,000 quantize/dequantize calls over every format, failures included', async () => {
    const formats = ql.formats();
    const x = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i * 0.1) * (1 + (i % 7)));
    const w = Float32Array.from({ length: 1024 }, (_, i) => 1 + (i % 5));
    await expectNoGrowth(1000, (i) => {
      // Every round runs every format once while warming up; then one call each.
      for (const [k, f] of formats.entries()) {
        if (i >= 0 && k !== i % formats.length) continue;
        const n = f.blockSize === 1 ? 1024 : 4096;
        const input = x.subarray(0, n);
        const q = ql.quantize(input, f.name, { rows: 4, imatrix: f.requiresImatrix || (f.usesImatrix && i % 2) ? w : undefined });
        ql.dequantize(q, f.name, n);
        if (i % 10 === 3) {
          const bad = input.slice();
          bad[i % n] = NaN;
          expect(() => ql.quantize(bad, f.name, { rows: 4, imatrix: f.requiresImatrix ? w : undefined })).toThrow(/NaN/);
          expect(() => ql.dequantize(q.subarray(1), f.name, n)).toThrow();
        }
      }
    });
  });

  it('after 100 loadModel / dispose cycles (and 100 failed loads)', async () => {
    const cut = modelBytes.subarray(0, modelBytes.length - 1000);
    await expectNoGrowth(100, async (i) => {
      const m = await ql.loadModel(modelBytes, { nCtx: 64 });
      expect(m.tokenize('Once upon a time').length).toBeGreaterThan(2);
      if (i % 2) m.dispose();
      else m[Symbol.dispose](); // what `using m = await ql.loadModel(...)` calls
      expect(ql.memoryUsage().liveEngines).toBe(0);
      expect((await rejection(ql.loadModel(cut))).code).toBe('Format');
    });
  });

  it('after 100 cancelled perplexity runs (at the start, after the first chunk, mid-way)', async () => {
    const m = await ql.loadModel(modelBytes, { nCtx: 64 });
    try {
      await expectNoGrowth(100, async (i) => {
        // The warm-up (i = -1) is the largest run: kept log-probs, 5 chunks.
        const ac = new AbortController();
        if (i % 3 === 0) ac.abort();
        const stopAt = i % 3 === 1 ? 1 : 5;
        const keepLogprobs = i < 0 || i % 2 === 0;
        const e = await rejection(
          m.perplexity(evalText, { ctx: 64, keepLogprobs, signal: ac.signal, onProgress: (p) => p.chunk === stopAt && ac.abort() }),
        );
        expect(e.code).toBe('Cancelled');
      });
      // The model is still whole: a full short run gives the same result twice.
      const a = await m.perplexity(evalText, { ctx: 64, chunks: 3 });
      const b = await m.perplexity(evalText, { ctx: 64, chunks: 3 });
      expect(a.ppl).toBe(b.ppl);
    } finally {
      m.dispose();
    }
  });
});

describe('embind handles', () => {
  it('dispose and Symbol.dispose delete the engine; quantizeModel deletes its sessions whatever happens', async () => {
    const m = await ql.loadModel(modelBytes, { nCtx: 32 });
    expect(ql.memoryUsage().liveEngines).toBe(1);
    const engine = m._engine;
    expect(typeof m[Symbol.dispose]).toBe('function');
    m[Symbol.dispose]();
    expect(engine.isDeleted()).toBe(true);
    expect(ql.memoryUsage().liveEngines).toBe(0);
    m.dispose(); // twice is fine

    const f32 = ref('stories260K-f32.gguf');
    await ql.quantizeModel(f32, { type: 'Q4_K_M' });
    await ql.quantizeModel(f32, { type: 'Q4_K_M', dryRun: true });
    expect((await rejection(ql.quantizeModel(f32, { type: 'Q8_0' }))).code).toBe('Unsupported'); // no fallback for ffn_down
    const ac = new AbortController();
    await rejection(ql.quantizeModel(f32, { type: 'Q4_K_M', signal: ac.signal, onProgress: () => ac.abort() }));
    expect(ql.memoryUsage().liveQuantizeSessions).toBe(0);
  });
});
