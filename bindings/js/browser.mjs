// Browser / bundler entry: emscripten locates quantlab_wasm.wasm next to this
// file through new URL(..., import.meta.url), which Vite and other bundlers
// rewrite to the emitted asset.
import createQuantlabModule from './quantlab_wasm.mjs';
import { instantiate } from './quantlab.mjs';

export { Quantlab, QuantlabError } from './quantlab.mjs';

/** Load the wasm module. options.locateFile / options.wasmBinary override where the .wasm comes from. */
export function loadQuantlab(options = {}) {
  return instantiate(createQuantlabModule, options);
}
