// Requests larger than the WebAssembly heap, and models of architectures
// quantlab does not run: a QuantlabError naming the size or the
// architecture, and an instance that keeps working afterwards. Each test has
// its own instance, so a heap that grew cannot affect other suites.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { hugeModelSource, T, tinyModel } from './gguf_builder.mjs';
import { errorOf, ref, rejection } from './helpers.mjs';




async function expectUsable(ql) {
  const x = Float32Array.from({ length: 256 }, (_, i) => Math.cos(i));
  expect(ql.dequantize(ql.quantize(x, 'q8_0'), 'q8_0', 256).length).toBe(256);
  const m = await ql.loadModel(ref('stories260K-q8_0.gguf'), { nCtx: 32 });
  expect(m.tokenize('Once upon a time').length).toBeGreaterThan(1);
  m.dispose();
  expect(ql.memoryUsage().liveEngines).toBe(0);
}

describe('requests larger than the wasm heap are OutOfMemory, naming the size', () => {
  it('a tensor: quantize, dequantize', async () => {
    const ql = await loadQuantlab();
    const big = new Float32Array(600_000_000); // 2.4 GB: more than one wasm allocation holds
    let e = errorOf(() => ql.quantize(big, 'q8_0'));
    expect(e).toBeInstanceOf(QuantlabError);
    expect(e.code).toBe('OutOfMemory');
    expect(e.message).toContain('2400000000 bytes');
    // 2^29 q2_K values decode to 2 GiB of floats (their 176 MB of blocks never reach the heap).
    const n = 2 ** 29;
    const q = new Uint8Array(ql.quantizedSize('q2_K', n));
    e = errorOf(() => ql.dequantize(q, 'q2_K', n));
    expect(e.code).toBe('OutOfMemory');
    expect(e.message).toContain(`${n * 4} bytes`);
    expect(ql.memoryUsage().wasmMemory).toBeLessThan(64 << 20); // nothing grew for them
    await expectUsable(ql);
  });

  it('a model: tensor data beyond 4 GB and beyond one allocation, a KV cache beyond the heap', async () => {
    const ql = await loadQuantlab();
    for (const bytes of [5e9, 2.5e9]) {
      const src = hugeModelSource(bytes);
      const e = await rejection(ql.loadModel(src));
      expect(e).toBeInstanceOf(QuantlabError);
      expect(e.code).toBe('OutOfMemory');
      expect(e.message).toMatch(/cannot allocate \d+ bytes \([\d.]+ GiB\) for the model's tensor data/);
      expect(Number(e.message.match(/allocate (\d+) bytes/)[1])).toBeGreaterThanOrEqual(bytes);
    }
    // stories260K: 5 layers x 32 KV dims x 2 (k, v) x 4 bytes per position.
    const e = await rejection(ql.loadModel(ref('stories260K-q8_0.gguf'), { nCtx: 2 ** 31 - 1 }));
    expect(e.code).toBe('OutOfMemory');
    expect(e.message).toContain(`cannot allocate ${5 * 32 * 2 * 4 * (2 ** 31 - 1)} bytes`);
    expect(e.message).toContain('for the KV cache (2147483647 positions)');
    // A context length in the file, used when nCtx is 0.
    const longCtx = tinyModel('llama', {}, [['llama.context_length', T.U64, 2 ** 40]]);
    const e2 = await rejection(ql.loadModel(longCtx, { nCtx: 0 }));
    expect(e2.code).toBe('OutOfMemory');
    expect(e2.message).toContain(`for the KV cache (${2 ** 40} positions)`);
    expect(ql.memoryUsage().liveEngines).toBe(0);
    await expectUsable(ql);
  });

  it('quantizeModel: a tensor larger than one allocation streams through in row chunks', async () => {
    const ql = await loadQuantlab();
    const src = hugeModelSource(5e9);  // token_embd and output: 2.5 GB each, more than one allocation holds
    let maxRead = 0;
    let dataRead = 0;
    const ac = new AbortController();
    const counting = {
      size: src.size,
      read: (o, n) => {
        maxRead = Math.max(maxRead, n);
        if (o >= 1 << 20 && (dataRead += n) > 2 ** 26) ac.abort();  // 64 MiB into the first tensor is enough
        return src.read(o, n);
      },
    };
    const e = await rejection(ql.quantizeModel(counting, { type: 'Q8_0', signal: ac.signal }));
    expect(e.code).toBe('Cancelled');
    expect(dataRead).toBeGreaterThan(2 ** 26);
    expect(maxRead).toBeLessThanOrEqual(2 ** 24);  // one chunk: 4 Mi values of F32
    await expectUsable(ql);
  });
});

describe('models of other architectures', () => {
  it('are UnsupportedArchitecture, naming the architecture, when loaded or quantized', async () => {
    const ql = await loadQuantlab();
    for (const arch of ['qwen2', 'phi3', 'gemma', 'falcon', 'mamba']) {
      const file = tinyModel(arch);
      expect((await ql.readGgufHeader(file)).metadata['general.architecture']).toBe(arch);
      const load = await rejection(ql.loadModel(file));
      expect(load).toBeInstanceOf(QuantlabError);
      expect(load.code).toBe('UnsupportedArchitecture');
      expect(load.message).toContain(`'${arch}'`);
      const quant = await rejection(ql.quantizeModel(file, { type: 'Q8_0' }));
      expect(quant.code).toBe('UnsupportedArchitecture');
      expect(quant.message).toContain(`'${arch}'`);
    }
    // The same tiny file as a llama loads and generates.
    const m = await ql.loadModel(tinyModel('llama'), { nCtx: 16 });
    expect(m.info.arch).toBe('llama');
    m.dispose();
    await expectUsable(ql);
  });
});

describe('error codes', () => {
  it('every code quantlab.d.ts documents is one the README lists', () => {
    const dts = readFileSync(new URL('../../dist/quantlab.d.ts', import.meta.url), 'utf8');
    const codes = [...dts.slice(dts.indexOf('export type QuantlabErrorCode')).split(';')[0].matchAll(/'(\w+)'/g)].map((m) => m[1]);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(codes).toContain('UnsupportedArchitecture');
    expect(codes).toContain('OutOfMemory');
    for (const c of codes) expect(readme).toContain(`\`${c}\``);
  });
});
