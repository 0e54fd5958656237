// IQ1_S and IQ1_M through the npm API: libggml's bytes (tests/formats/golden,
// scripts/golden-ggml.sh) with both kernels, and IQ1_S's refusal to quantize
// without an importance matrix.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';

const golden = fileURLToPath(new URL('../formats/golden', import.meta.url));

function bytes(path) {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}
const f32 = (path) => new Float32Array(bytes(path).buffer);

let ql;
beforeAll(async () => {
  ql = await loadQuantlab();
});

describe('IQ1_S / IQ1_M', () => {
  it('are listed with their traits', () => {
    expect(ql.format('IQ1_S')).toMatchObject({ name: 'iq1_s', id: 19, blockSize: 256, typeSize: 50, vecDotType: 'q8_K' });
    expect(ql.format('iq1_m')).toMatchObject({ name: 'iq1_m', id: 29, blockSize: 256, typeSize: 56, vecDotType: 'q8_K' });
  });

  // gauss_outliers: 4096 values in one row; multirow: 4 rows of 512.
  for (const kernel of ['ref', 'simd128']) {
    for (const [type, name, rows] of [
      ['IQ1_S', 'gauss_outliers_imatrix', 1],
      ['IQ1_S', 'multirow_imatrix', 4],
      ['IQ1_M', 'gauss_outliers', 1],
      ['IQ1_M', 'multirow_imatrix', 4],
    ]) {
      it(`${type} ${name} gives libggml's bytes and floats (${kernel})`, () => {
        const base = `${golden}/${type}/${name}`;
        const x = f32(`${base}.in.f32`);
        const opts = { rows, kernel };
        if (name.endsWith('_imatrix')) opts.imatrix = f32(`${base}.imatrix.f32`);
        const q = ql.quantize(x, type, opts);
        expect(q).toEqual(bytes(`${base}.q.bin`));
        expect(ql.dequantize(q, type, x.length, { kernel })).toEqual(f32(`${base}.deq.f32`));
      });
    }
  }

  it('IQ1_S without an importance matrix throws a QuantlabError saying how to get one', () => {
    const x = new Float32Array(512).map((_, i) => Math.sin(i));
    let e;
    try {
      ql.quantize(x, 'iq1_s');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(QuantlabError);
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toMatch(/^iq1_s needs an importance matrix/);
    expect(e.message).toContain('quantlab imatrix');
    // The module stays usable; IQ1_M needs no importance matrix.
    expect(ql.quantize(x, 'iq1_s', { imatrix: new Float32Array(512).fill(1) }).length).toBe(100);
    expect(ql.quantize(x, 'iq1_m').length).toBe(112);
  });
});
