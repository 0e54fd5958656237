// Node entry: Node's fetch cannot load file: URLs, so the .wasm bytes are read
// from disk and handed to emscripten directly (../shared/TOOLCHAIN.md, pitfall 3).
import { readFileSync } from 'node:fs';
import createQuantlabModule from './quantlab_wasm.mjs';
import { instantiate } from './quantlab.mjs';

export { Quantlab, QuantlabError } from './quantlab.mjs';

export function loadQuantlab(options = {}) {
  const wasmBinary = options.wasmBinary ?? readFileSync(new URL('./quantlab_wasm.wasm', import.meta.url));
  return instantiate(createQuantlabModule, { ...options, wasmBinary });
}
