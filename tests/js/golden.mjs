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
