// Engine tokens/s of the built wasm module under Node, without the browser
// harness: pp256 (one batch of 256 tokens from an empty cache) and tg64 (64
// single-token decodes), best of 3, 1 thread. A quick check between harness
// runs (scripts/bench-engine.sh); Node's V8 compiles the same wasm Chromium does.
//
//   node tests/bench/engine_bench_node.mjs M.gguf [M2.gguf ...]   (after scripts/build.sh dist)
import { fileURLToPath } from 'node:url';

const models = process.argv.slice(2);
if (models.length === 0) {
  console.error('usage: node tests/bench/engine_bench_node.mjs M.gguf [M2.gguf ...]');
  process.exit(2);
}
const { loadQuantlab } = await import(fileURLToPath(new URL('../../dist/node.mjs', import.meta.url)));
const ql = await loadQuantlab();
console.log(`| model | pp256 t/s | tg64 t/s |  (wasm, simd128=${ql.simd128})\n|---|---:|---:|`);
for (const path of models) {
  const model = await ql.loadModel(path, { nCtx: 512 });
  const V = model.info.nVocab;
  const ids = Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % V);
  model.evaluate(ids, { reset: true }); // warm-up
  let pp = 0;
  let tg = 0;
  for (let rep = 0; rep < 3; rep++) {
    pp = Math.max(pp, 256000 / model.evaluate(ids, { reset: true }));
    let ms = model.evaluate([ids[0]], { reset: true });
    for (let i = 1; i < 64; i++) ms += model.evaluate([ids[i]], { reset: false });
    tg = Math.max(tg, 64000 / ms);
  }
  console.log(`| ${path.split('/').pop()} | ${pp.toFixed(1)} | ${tg.toFixed(1)} |`);
  model.dispose();
}
