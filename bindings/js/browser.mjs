// Browser / bundler entry: emscripten locates quantlab_wasm*.wasm next to this
// file through new URL(..., import.meta.url), which Vite and other bundlers
// rewrite to the emitted asset. Which build loads: wasm_variant.mjs.
import { instantiate } from './quantlab.mjs';
import { chooseWasmVariant } from './wasm_variant.mjs';
import { registerQuantizeEnvironment } from './quantize_model.mjs';

export { Quantlab, QuantlabError } from './quantlab.mjs';

registerQuantizeEnvironment({
  // Written literally so bundlers (Vite, webpack) find and emit the worker.
  createWorker() {
    const w = new Worker(new URL('./quantize_worker.mjs', import.meta.url), { type: 'module' });
    return {
      post: (msg, transfer) => w.postMessage(msg, transfer),
      onMessage: (fn) => w.addEventListener('message', (e) => fn(e.data)),
      onError: (fn) => {
        w.addEventListener('error', (e) => fn(new Error(e.message || 'the worker script failed to load')));
        w.addEventListener('messageerror', () => fn(new Error('a message could not be deserialized')));
      },
      terminate: () => w.terminate(),
    };
  },
});

/**
 * Load the wasm module: the relaxed-SIMD build when the browser has relaxed
 * SIMD, else the SIMD128 one (options.wasmVariant forces one; the instance's
 * wasmVariant says which loaded). options.locateFile / options.wasmBinary
 * override where the .wasm comes from.
 */
export async function loadQuantlab(options) {
  const { variant, factory } = await chooseWasmVariant(options);
  const ql = await instantiate(factory, options);
  ql.wasmVariant = variant;
  return ql;
}
