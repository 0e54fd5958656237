// Node entry: Node's fetch cannot load file: URLs, so the .wasm bytes are read
// from disk and handed to emscripten directly (../shared/TOOLCHAIN.md, pitfall 3).
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { registerPathOpener } from './byte_source.mjs';
import createQuantlabModule from './quantlab_wasm.mjs';
import { instantiate } from './quantlab.mjs';

export { Quantlab, QuantlabError } from './quantlab.mjs';

// Model paths are read by offset, tensor by tensor, never whole.
registerPathOpener(async (path) => {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buf : buf.subarray(0, done);
    },
    close: () => fh.close(),
  };
});

export function loadQuantlab(options = {}) {
  const wasmBinary = options.wasmBinary ?? readFileSync(new URL('./quantlab_wasm.wasm', import.meta.url));
  return instantiate(createQuantlabModule, { ...options, wasmBinary });
}
