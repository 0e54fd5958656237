// The npm API under Node, loaded exactly as a user would (dist/node.mjs).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { goldenCase, goldenCases, hasGolden, libggmlGoldenCases } from './golden.mjs';

let ql;
beforeAll(async () => {
  ql = await loadQuantlab();
});

function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

describe('formats()', () => {
  it('describes Q8_0 as ggml does', () => {
    const q8 = ql.format('Q8_0');
    expect(q8).toMatchObject({ name: 'q8_0', id: 8, blockSize: 32, typeSize: 34, isQuantized: true, vecDotType: 'q8_0' });
    expect(q8.bitsPerWeight).toBeCloseTo(8.5, 10);
    expect(ql.formats().map((f) => f.name)).toContain('f16');
  });

  it('reports the SIMD128 build', () => {
    expect(ql.simd128).toBe(true);
    expect(ql.defaultKernel).toBe('simd128');
  });
});

describe('golden vectors through the JS API', () => {
  it('has golden data for at least Q8_0', () => {
    expect(hasGolden('q8_0')).toBe(true);
  });

  for (const kernel of ['ref', 'simd128']) {
    it(`matches ggml byte for byte for every format with golden data (${kernel})`, () => {
      const checked = [];
      for (const f of ql.formats()) {
        if (!f.isQuantized || !hasGolden(f.name)) continue;
        for (const c of goldenCases) {
          const g = goldenCase(f.name, c);
          const q = ql.quantize(g.input, f.name, { kernel });
          expect(q, `${f.name}/${c}`).toEqual(g.quantized);
          const y = ql.dequantize(g.quantized, f.name, g.input.length, { kernel });
          expect(new Uint8Array(y.buffer), `${f.name}/${c} deq`).toEqual(new Uint8Array(g.dequantized.buffer));
        }
        checked.push(f.name);
      }
      expect(checked).toContain('q8_0');
    });
  }

  for (const kernel of ['ref', 'simd128']) {
    it(`matches libggml's vectors in tests/formats/golden for every format it implements (${kernel})`, () => {
      const known = new Set(ql.formats().map((f) => f.name.toUpperCase()));
      const checked = new Set();
      for (const c of libggmlGoldenCases()) {
        if (!known.has(c.type)) continue;
        const q = ql.quantize(c.input, c.type, { kernel, rows: c.rows, imatrix: c.imatrix });
        expect(q, `${c.type}/${c.name}`).toEqual(c.quantized);
        const y = ql.dequantize(c.quantized, c.type, c.input.length, { kernel });
        expect(new Uint8Array(y.buffer), `${c.type}/${c.name} deq`).toEqual(new Uint8Array(c.dequantized.buffer));
        checked.add(c.type);
      }
      expect([...checked]).toEqual(expect.arrayContaining(['TQ1_0', 'TQ2_0', 'MXFP4']));
      expect([...checked]).toEqual(expect.arrayContaining(['IQ2_XXS', 'IQ2_XS', 'IQ2_S']));
    });
  }

  it('lists the ternary formats with their traits', () => {
    expect(ql.format('tq1_0')).toMatchObject({ name: 'tq1_0', id: 34, blockSize: 256, typeSize: 54, vecDotType: 'q8_K' });
    expect(ql.format('TQ2_0')).toMatchObject({ name: 'tq2_0', id: 35, blockSize: 256, typeSize: 66, vecDotType: 'q8_K' });
  });

  it('quantizes several rows at once', () => {
    const g = goldenCase('q8_0', 'prng');
    expect(ql.quantize(g.input, 'q8_0', { rows: 4 })).toEqual(g.quantized);
  });

  it('shares rows and blocks out over `threads` with the same bytes and values', () => {
    // 1024 rows of 256: 256K values, where the tensor functions start using
    // the pool; with an importance matrix (IQ2_XS needs one) and without.
    const rows = 1024, cols = 256;
    let seed = 7;
    const x = Float32Array.from({ length: rows * cols }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 3);
    const imatrix = Float32Array.from({ length: cols }, (_, i) => 1 + (i % 7));
    expect(ql.threads).toBeGreaterThanOrEqual(2); // Node loads the threaded module, one thread per CPU
    for (const [type, w] of [['q4_K', null], ['iq2_xs', imatrix]]) {
      const one = ql.quantize(x, type, { rows, imatrix: w, threads: 1 });
      for (const threads of [0, 2, 3]) expect(ql.quantize(x, type, { rows, imatrix: w, threads }), `${type} ${threads}`).toEqual(one);
      const back = ql.dequantize(one, type, x.length, { threads: 1 });
      expect(ql.dequantize(one, type, x.length)).toEqual(back);
    }
    for (const threads of [-1, 1.5, 257]) {
      expect(errorOf(() => ql.quantize(x, 'q8_0', { rows, threads })).code).toBe('InvalidArgument');
      expect(errorOf(() => ql.dequantize(new Uint8Array(34), 'q8_0', 32, { threads })).code).toBe('InvalidArgument');
    }
  });
});

describe('errorStats()', () => {
  it('computes hand-checked values', () => {
    const a = new Float32Array([1, -2, 3, 0]);
    const b = new Float32Array([1.5, -2, 2, 0]);
    const s = ql.errorStats(a, b, { bins: 4, range: 1 });
    expect(s.mae).toBeCloseTo(0.375, 12);
    expect(s.maxAbs).toBe(1);
    expect(s.rmse).toBeCloseTo(Math.sqrt(1.25 / 4), 12);
    expect(s.snrDb).toBeCloseTo(10 * Math.log10(14 / 1.25), 10);
    expect(s.histogram.counts).toEqual([1, 0, 2, 1]);
  });
});

describe('bad input', () => {
  const x = new Float32Array(64).map((_, i) => Math.sin(i));

  it('rejects a length that is not a multiple of the block size', () => {
    const e = errorOf(() => ql.quantize(x.subarray(0, 33), 'q8_0'));
    expect(e).toBeInstanceOf(QuantlabError);
    expect(e.code).toBe('BadLength');
    expect(e.message).toBe("length 33 is not a multiple of q8_0's block size 32");
  });

  it('rejects NaN and Inf, naming the index', () => {
    const bad = x.slice();
    bad[5] = NaN;
    let e = errorOf(() => ql.quantize(bad, 'q8_0'));
    expect(e.code).toBe('NonFinite');
    expect(e.message).toBe('input contains NaN at index 5');
    bad[5] = -Infinity;
    e = errorOf(() => ql.quantize(bad, 'q8_0'));
    expect(e.message).toBe('input contains Inf at index 5');
  });

  it('rejects empty, missing and wrongly typed buffers', () => {
    expect(errorOf(() => ql.quantize(new Float32Array(0), 'q8_0')).code).toBe('InvalidArgument');
    expect(errorOf(() => ql.quantize(null, 'q8_0')).code).toBe('InvalidArgument');
    expect(errorOf(() => ql.quantize([1, 2, 3], 'q8_0')).code).toBe('InvalidArgument');
    expect(errorOf(() => ql.dequantize(new Uint8Array(0), 'q8_0', 32)).code).toBe('InvalidArgument');
  });

  it('rejects unknown types and mismatched sizes', () => {
    const e = errorOf(() => ql.quantize(x, 'q9_9'));
    expect(e.code).toBe('UnknownType');
    expect(e.message).toMatch(/unknown tensor type 'q9_9'/);
    expect(errorOf(() => ql.dequantize(new Uint8Array(34), 'q8_0', 64)).code).toBe('BufferSize');
    expect(errorOf(() => ql.errorStats(x, x.subarray(0, 32))).code).toBe('BufferSize');
    expect(errorOf(() => ql.quantize(x, 'q8_0', { imatrix: new Float32Array(3) })).code).toBe('BufferSize');
    expect(errorOf(() => ql.quantize(x, 'q8_0', { kernel: 'avx' })).code).toBe('InvalidArgument');
  });

  it('refuses IQ2_XXS / IQ2_XS without an importance matrix, saying how to get one', () => {
    const w = new Float32Array(512).map((_, i) => Math.sin(i * 0.37));
    for (const type of ['iq2_xxs', 'iq2_xs']) {
      expect(ql.format(type).requiresImatrix).toBe(true);
      const e = errorOf(() => ql.quantize(w, type));
      expect(e).toBeInstanceOf(QuantlabError);
      expect(e.code).toBe('InvalidArgument');
      expect(e.message).toMatch(new RegExp(`^${type} needs an importance matrix`));
      expect(e.message).toMatch(/quantlab imatrix/);
      // With weights it quantizes: 2 super-blocks of 66 / 74 bytes.
      const q = ql.quantize(w, type, { imatrix: new Float32Array(512).fill(1) });
      expect(q.length).toBe(2 * ql.format(type).typeSize);
    }
    expect(ql.format('iq2_s').requiresImatrix).toBe(false);
    expect(ql.quantize(w, 'iq2_s').length).toBe(2 * 82);
  });

  it('keeps working after every error', () => {
    const q = ql.quantize(x, 'q8_0');
    expect(q.length).toBe(68);
    const y = ql.dequantize(q, 'q8_0', 64);
    expect(ql.errorStats(x, y).maxAbs).toBeLessThan(0.01);
  });

  it('frees wasm memory on failed calls', () => {
    // A 4 MiB input that fails validation: if its copy leaked, 200 failures
    // would grow the heap by 800 MiB.
    const big = new Float32Array(1 << 20);
    big[big.length - 1] = NaN;
    errorOf(() => ql.quantize(big, 'q8_0'));
    const before = ql._m.HEAPU8.length;
    for (let i = 0; i < 200; i++) expect(errorOf(() => ql.quantize(big, 'q8_0')).code).toBe('NonFinite');
    expect(ql._m.HEAPU8.length).toBe(before);
    expect(ql.quantize(x, 'q8_0').length).toBe(68);
  });
});
