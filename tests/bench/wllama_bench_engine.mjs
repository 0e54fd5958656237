// quantlab as an engine of ../shared/bench's browser harness (see its
// web/harness.js for the contract). scripts/bench-engine.sh copies this file
// next to the built dist/ files as engine.js.
import { loadQuantlab } from './browser.mjs';

// wasmVariant: which kernels (browser.mjs picks relaxed SIMD when it can);
// wllama_bench_engine_simd128.mjs forces the SIMD128 ones for A/B runs. The
// harness's page is cross-origin isolated: nThreads > 1 loads the threaded
// module with those kernels (quantlab_wasm_mt_relaxed / quantlab_wasm_mt).
export default async function create({ nThreads, log, wasmVariant }) {
  const ql = await loadQuantlab({ threads: nThreads ?? 1, ...(wasmVariant ? { wasmVariant } : {}) });
  let model = null;
  return {
    name: wasmVariant === 'simd128' ? 'quantlab-simd128' : 'quantlab',
    version: '0.1.0',
    async load(blob) {
      model = await ql.loadModel(blob, { nCtx: 512 });
      log?.(`quantlab: loaded ${model.info.nParams} params, simd128=${ql.simd128}, wasm variant ${ql.wasmVariant}, ${model.info.threads} thread(s)`);
      return { info: model.info };
    },
    async pp(n, { text }) {
      let ids = Array.from(model.tokenize(text));
      while (ids.length < n) ids = ids.concat(ids.slice(1));
      return { ms: model.evaluate(ids.slice(0, n), { reset: true }) };
    },
    async tg(n, { text }) {
      const prompt = Array.from(model.tokenize(text));
      model.evaluate(prompt, { reset: true });
      let ms = 0;
      let tok = prompt[prompt.length - 1];
      for (let i = 0; i < n; i++) {
        ms += model.evaluate([tok], { reset: false });
        tok = (tok * 7 + 13) % model.info.nVocab; // any valid id: speed does not depend on it
      }
      return { ms };
    },
    async nll(tokens) {
      return model.nll(tokens);
    },
    async tokenize(text) {
      return Array.from(model.tokenize(text, { addBos: false }));
    },
    threadsUsed: () => model?.info.threads ?? ql.threads,
    async unload() {
      model?.dispose();
      model = null;
    },
  };
}
