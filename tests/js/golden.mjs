// Reads ../shared/golden fixtures for the JS suites.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const sharedDir = process.env.QUANTLAB_SHARED_DIR ?? fileURLToPath(new URL('../../../shared', import.meta.url));
export const goldenDir = `${sharedDir}/golden`;
export const goldenCases = ['prng', 'gauss_outliers', 'zeros', 'const', 'large'];

export function hasGolden(type) {
  return existsSync(`${goldenDir}/${type.toUpperCase()}/prng.in.f32`);
}

function bytes(path) {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

export function goldenCase(type, name) {
  const dir = `${goldenDir}/${type.toUpperCase()}`;
  return {
    input: new Float32Array(bytes(`${dir}/${name}.in.f32`).buffer),
    quantized: bytes(`${dir}/${name}.q.bin`),
    dequantized: new Float32Array(bytes(`${dir}/${name}.deq.f32`).buffer),
  };
}

// tests/formats/golden: libggml's vectors for the newer formats
// (scripts/golden-ggml.sh), one case per MANIFEST.txt line
// "TYPE CASE N N_PER_ROW yes|no BYTES MAX_ERR RMS".
export const libggmlGoldenDir = fileURLToPath(new URL('../formats/golden', import.meta.url));

export function libggmlGoldenCases() {
  return readFileSync(`${libggmlGoldenDir}/MANIFEST.txt`, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length === 8 && !f[0].startsWith('#') && (f[4] === 'yes' || f[4] === 'no'))
    .map(([type, name, n, nPerRow, imatrix]) => {
      const base = `${libggmlGoldenDir}/${type}/${name}`;
      return {
        type,
        name,
        rows: Number(n) / Number(nPerRow),
        input: new Float32Array(bytes(`${base}.in.f32`).buffer),
        imatrix: imatrix === 'yes' ? new Float32Array(bytes(`${base}.imatrix.f32`).buffer) : undefined,
        quantized: bytes(`${base}.q.bin`),
        dequantized: new Float32Array(bytes(`${base}.deq.f32`).buffer),
      };
    });
}
