// The API the web app's measuring pages build on: the matmul benchmark,
// header-only llama models for size plans, block layouts and the thread count.
import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';

let ql;
beforeAll(async () => {
  ql = await loadQuantlab();
});

const LLAMA2_7B = { nVocab: 32000, nEmbd: 4096, nLayer: 32, nHead: 32, nHeadKv: 32, nFf: 11008 };
const LLAMA2_70B = { nVocab: 32000, nEmbd: 8192, nLayer: 80, nHead: 64, nHeadKv: 8, nFf: 28672 };

describe('benchMatmul', () => {
  it('times every weight type for generation and a prompt batch', () => {
    for (const f of ql.formats().filter((x) => x.hasVecDot)) {
      for (const nTokens of [1, 16]) {
        const r = ql.benchMatmul(f.name, { rows: 64, cols: 512, nTokens, minMs: 0, maxReps: 3 });
        expect(r.reps % 3).toBe(0); // 3 samples, each of equally many multiplications
        expect(r.reps).toBeGreaterThanOrEqual(3);
        expect(r.weightBytes).toBe(64 * ql.quantizedSize(f.name, 512));
        expect(r.gflops).toBeGreaterThan(0);
        expect(r.gflops).toBeCloseTo((2 * 64 * 512 * nTokens) / r.seconds / 1e9, 6);
        expect(r.weightGBps).toBeCloseTo(r.weightBytes / r.seconds / 1e9, 6);
        expect(Number.isFinite(r.checksum)).toBe(true);
      }
    }
  });

  it('splits the rows over `threads` with the same products', () => {
    // loadQuantlab() in Node loads the threaded module whenever the machine has 2+ cores.
    for (const nTokens of [1, 64]) {
      const opts = { rows: 96, cols: 512, nTokens, minMs: 0, maxReps: 3 };
      const one = ql.benchMatmul('q4_K', { ...opts, threads: 1 });
      const two = ql.benchMatmul('q4_K', { ...opts, threads: 2 });
      expect(two.checksum).toBe(one.checksum);
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(ql.threads >= 2 ? 2 : 1);
      expect(two.gflops).toBeGreaterThan(0);
    }
  });

  it('rejects activation-only types and rows that are not whole blocks', () => {
    const code = (fn) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(QuantlabError);
        return e.code;
      }
      return 'none';
    };
    expect(code(() => ql.benchMatmul('q8_K', { rows: 4, cols: 256 }))).toBe('Unsupported');
    expect(code(() => ql.benchMatmul('q4_K', { rows: 4, cols: 128 }))).toBe('BadLength');
    expect(code(() => ql.benchMatmul('q4_0', { rows: 0, cols: 32 }))).toBe('InvalidArgument');
    expect(code(() => ql.benchMatmul('nope', {}))).toBe('UnknownType');
    expect(code(() => ql.benchMatmul('q4_0', { rows: 8, cols: 64, threads: -1 }))).toBe('InvalidArgument');
    expect(code(() => ql.benchMatmul('q4_0', { rows: 8, cols: 64, threads: 1.5 }))).toBe('InvalidArgument');
    expect(ql.benchMatmul('q8_0', { rows: 8, cols: 64, minMs: 0, maxReps: 3 }).gflops).toBeGreaterThan(0); // still usable
  });
});

describe('syntheticLlama + quantizeModel dry run', () => {
  it('plans Llama 2 7B at llama.cpp\'s published sizes', async () => {
    const src = ql.syntheticLlama(LLAMA2_7B);
    expect(src.nParams).toBe(6738415616);
    const header = await ql.readGgufHeader(src);
    expect(header.tensors.length).toBe(291);
    expect(header.metadata['llama.block_count']).toBe(32);
    const q4km = (await ql.quantizeModel(src, { type: 'Q4_K_M', dryRun: true })).plan;
    expect(q4km.bitsPerWeight).toBeGreaterThan(4.81); // llama.cpp's table: 4.84 bpw
    expect(q4km.bitsPerWeight).toBeLessThan(4.87);
    const f16 = (await ql.quantizeModel(src, { type: 'F16', dryRun: true })).plan;
    expect(f16.outputTensorBytes).toBe(2 * 6738415616 + 2 * (2 * 32 * 4096 + 4096)); // norms stay F32 (4 bytes)
    const q80 = (await ql.quantizeModel(src, { type: 'Q8_0', dryRun: true })).plan;
    expect(q80.outputSize).toBeGreaterThan(q80.outputTensorBytes);
  });

  it('70B with grouped-query attention has narrow K/V matrices', async () => {
    const src = ql.syntheticLlama(LLAMA2_70B);
    expect(src.nParams).toBe(68976648192);
    expect(src.size).toBeGreaterThan(2 ** 32); // sizes beyond 4 GB are exact doubles
    const h = await ql.readGgufHeader(src);
    expect(h.tensors.find((t) => t.name === 'blk.0.attn_k.weight').shape).toEqual([8192, 1024]);
  });

  it('bad shapes are typed errors', () => {
    expect(() => ql.syntheticLlama({ ...LLAMA2_7B, nHead: 30 })).toThrow(QuantlabError);
    expect(() => ql.syntheticLlama(LLAMA2_7B, { type: 'Q4_0' })).toThrow(/F32, F16 or BF16/);
  });
});

describe('formats() extras', () => {
  it('block layouts add up to the block size; activation types have no dot product', () => {
    for (const f of ql.formats()) {
      if (f.layout.length) expect(f.layout.reduce((s, x) => s + x.bytes, 0)).toBe(f.typeSize);
    }
    expect(ql.format('q4_K').layout.map((x) => `${x.name}:${x.bytes}`)).toEqual(['d:2', 'dmin:2', 'scales:12', 'qs:128']);
    expect(ql.format('q8_K').hasVecDot).toBe(false);
    expect(ql.format('q4_0').hasVecDot).toBe(true);
    // Node loads the threaded module: one thread per CPU.
    expect([ql.pthreads, ql.threads]).toEqual([true, Math.min(16, availableParallelism())]);
  });
});
