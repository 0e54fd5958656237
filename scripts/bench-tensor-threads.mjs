#!/usr/bin/env node
// ql.quantize / ql.dequantize of one large tensor in the threaded module under
// Node: milliseconds per call at the module's threads (the default) against
// threads: 1. Tensors of 256K values and more share their rows (blocks) out
// over the module's pool.
//   usage: node scripts/bench-tensor-threads.mjs [dist-dir] [rows] [cols] [types]
// (defaults: dist, 4096, 4096, "q4_K,iq2_xs,iq4_xs"); three alternating rounds.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const [dist = `${root}/dist`, rows = '4096', cols = '4096', types = 'q4_K,iq2_xs,iq4_xs'] = process.argv.slice(2);
const { loadQuantlab } = await import(pathToFileURL(`${resolve(dist)}/node.mjs`).href);
const ql = await loadQuantlab();
const R = Number(rows), C = Number(cols);
let seed = 1;
const x = Float32Array.from({ length: R * C }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 2);
const imatrix = Float32Array.from({ length: C }, (_, i) => 1 + (i % 13));
const ms = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
for (const type of types.split(',')) {
  for (let round = 0; round < 3; ++round) {
    const cell = {};
    for (const threads of round % 2 ? [0, 1] : [1, 0]) {
      let q;
      cell[`quantize@${threads || ql.threads}`] = ms(() => (q = ql.quantize(x, type, { rows: R, imatrix, threads }))).toFixed(0);
      cell[`dequantize@${threads || ql.threads}`] = ms(() => ql.dequantize(q, type, x.length, { threads })).toFixed(1);
    }
    console.log(`${type} ${R}x${C} round ${round + 1}: ${JSON.stringify(cell)} ms`);
  }
}
ql.terminate();
process.exit(0);
