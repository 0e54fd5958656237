#!/usr/bin/env node
// A second model's perplexity while a first one stays loaded, in the threaded
// module under Node: how many threads the second one gets, and its time.
// Before one pool per thread count was shared (shared_thread_pool), the first
// model held every Web Worker and the second ran on one thread.
//   usage: node scripts/bench-second-model.mjs [dist-dir]... (default: dist)
// Each dist is run in turn, three timed runs each: the built-in model, 8
// chunks of 256 tokens of models/heldout.txt.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const model = `${root}/models/quantlab-stories-4M.gguf`;
const text = readFileSync(`${root}/models/heldout.txt`, 'utf8');
const dists = process.argv.slice(2).length ? process.argv.slice(2) : [`${root}/dist`];

for (const dist of dists) {
  const { loadQuantlab } = await import(pathToFileURL(`${resolve(dist)}/node.mjs`).href);
  const ql = await loadQuantlab();
  const first = await ql.loadModel(model, { nCtx: 256 });
  await first.perplexity(text, { ctx: 256, chunks: 4 });
  const second = await ql.loadModel(model, { nCtx: 256 });
  for (let i = 0; i < 3; ++i) {
    const t0 = performance.now();
    const r = await second.perplexity(text, { ctx: 256, chunks: 8 });
    console.log(`${dist}: module threads ${ql.threads}, second model ${second.info.threads}, PPL ${r.ppl.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
  second.dispose();
  first.dispose();
  ql.terminate();
}
process.exit(0);
