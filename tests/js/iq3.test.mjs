// IQ3_XXS and IQ3_S through the npm API (dist/node.mjs): their traits, libggml's
// golden vectors (tests/formats/golden: with and without an importance matrix,
// several rows at once and row by row) with both kernels, and a model whose
// weights are IQ3 quantized and run in the browser engine's code path.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab } from '../../dist/node.mjs';
import { libggmlGoldenCases } from './golden.mjs';

const modelsDir = fileURLToPath(new URL('../../models', import.meta.url));

let ql;
beforeAll(async () => {
  ql = await loadQuantlab();
});

describe('IQ3 formats', () => {
  it('lists IQ3_XXS and IQ3_S with their traits', () => {
    expect(ql.format('iq3_xxs')).toMatchObject({ name: 'iq3_xxs', id: 18, blockSize: 256, typeSize: 98, vecDotType: 'q8_K', usesImatrix: true });
    expect(ql.format('IQ3_S')).toMatchObject({ name: 'iq3_s', id: 21, blockSize: 256, typeSize: 110, vecDotType: 'q8_K', usesImatrix: true });
    expect(ql.format('iq3_xxs').bitsPerWeight).toBeCloseTo(3.0625, 10);
    expect(ql.format('iq3_s').bitsPerWeight).toBeCloseTo(3.4375, 10);
  });

  for (const type of ['IQ3_XXS', 'IQ3_S']) {
    for (const kernel of ['ref', 'simd128']) {
      it(`matches libggml byte for byte on all ${type} golden cases (${kernel})`, () => {
        const all = libggmlGoldenCases().filter((c) => c.type === type);
        expect(all.length).toBe(20);
        for (const c of all) {
          let q;
          if (c.name.startsWith('rowwise')) {
            // one call per row, as a threaded quantizer splits a tensor
            const parts = [];
            const nPerRow = c.input.length / c.rows;
            for (let r = 0; r < c.rows; r++) {
              parts.push(ql.quantize(c.input.subarray(r * nPerRow, (r + 1) * nPerRow), type, { kernel, imatrix: c.imatrix }));
            }
            q = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
            parts.reduce((off, p) => (q.set(p, off), off + p.length), 0);
          } else {
            q = ql.quantize(c.input, type, { kernel, rows: c.rows, imatrix: c.imatrix });
          }
          expect(q, `${type}/${c.name}`).toEqual(c.quantized);
          const y = ql.dequantize(c.quantized, type, c.input.length, { kernel });
          expect(new Uint8Array(y.buffer), `${type}/${c.name} deq`).toEqual(new Uint8Array(c.dequantized.buffer));
        }
      });
    }
  }

  it('quantizes without an importance matrix (ggml does not require one for IQ3)', () => {
    const x = new Float32Array(512).map((_, i) => Math.sin(i * 0.37) * 0.1);
    for (const type of ['iq3_xxs', 'iq3_s']) {
      const y = ql.dequantize(ql.quantize(x, type), type, x.length);
      const s = ql.errorStats(x, y);
      expect(s.rmse).toBeGreaterThan(0);
      expect(s.cosine).toBeGreaterThan(0.95);
    }
  });
});

describe('a model with IQ3 weights', () => {
  it('quantizes the built-in model tensor by tensor and generates and scores text', async () => {
    const file = `${modelsDir}/quantlab-stories-4M.gguf`;
    const text = readFileSync(`${modelsDir}/heldout.txt`, 'utf8').slice(0, 6000);
    const base = await ql.loadModel(file, { nCtx: 256 });
    await base.perplexity(text, { ctx: 256, keepLogprobs: true });
    // llama-quantize writes IQ3_XXS only with an importance matrix: one from
    // models/calibration.txt (disjoint from the scored text).
    const imatrix = await base.computeImatrix(readFileSync(`${modelsDir}/calibration.txt`, 'utf8').slice(0, 6000), { ctx: 256 });
    for (const type of ['iq3_xxs', 'iq3_s']) {
      const out = await ql.quantizeModel(file, { type: 'Q4_K_M', pure: true, tensorTypes: [`.*=${type}`], ...(type === 'iq3_xxs' ? { imatrix } : {}) });
      const model = await ql.loadModel(out.blob, { nCtx: 256 });
      const g = await model.generateText('Once upon a time', { nPredict: 16, temperature: 0 });
      expect(g.tokens.length).toBe(16);
      expect(g.text.length).toBeGreaterThan(16);
      const r = await model.perplexity(text, { ctx: 256, base });
      expect(Number.isFinite(r.ppl)).toBe(true);
      expect(r.ppl).toBeLessThan(2.5); // F32: about 1.8 on this text
      expect(r.kld.kldMean).toBeGreaterThan(0);
      expect(r.kld.kldMean).toBeLessThan(0.1);
      model.dispose();
    }
    base.dispose();
  });
});
