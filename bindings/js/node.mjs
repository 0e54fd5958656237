// Node entry: Node's fetch cannot load file: URLs, so the .wasm bytes are read
// from disk and handed to emscripten directly (../shared/TOOLCHAIN.md, pitfall 3).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { open, rename, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { registerPathOpener } from './byte_source.mjs';
import createQuantlabModule from './quantlab_wasm.mjs';
import { optionsObject } from './errors.mjs';
import { MODULE_VARIANTS, chooseModuleVariant } from './module_variant.mjs';
import { withPthreadWorkers } from './node_pthreads.mjs';
import { instantiate } from './quantlab.mjs';
import { registerQuantizeEnvironment } from './quantize_model.mjs';

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

const wasmUrl = new URL('./quantlab_wasm.wasm', import.meta.url);
let wasmBytes = null;
const wasmBinary = () => (wasmBytes ??= readFileSync(wasmUrl));
const fileUrl = (name) => new URL(`./${name}`, import.meta.url);

// quantize_worker.mjs is written against the Web Worker globals; this shim
// gives a worker_threads worker the same postMessage / onmessage.
const workerShim = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.postMessage = (msg, transfer) => parentPort.postMessage(msg, transfer);
parentPort.on('message', (data) => globalThis.onmessage?.({ data }));
import(workerData.url).catch((e) =>
  parentPort.postMessage({ type: 'error', code: 'LoadFailed', message: String(e?.message ?? e) }));
`;
const workerUrl = new URL('./quantize_worker.mjs', import.meta.url).href;

registerQuantizeEnvironment({
  wasmBinary,
  // Written to path + '.partial' and renamed when complete, so a cancelled
  // or failed run never leaves something that looks like a model.
  async openOutput(path) {
    const partial = `${path}.partial`;
    const fh = await open(partial, 'w');
    let closed = false;
    return {
      async write(chunk) {
        for (let off = 0; off < chunk.length; ) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
      },
      async close() {
        closed = true;
        await fh.close();
        await rename(partial, path);
      },
      async abort() {
        if (!closed) await fh.close().catch(() => {});
        await rm(partial, { force: true });
      },
    };
  },
  createWorker() {
    const w = new Worker(workerShim, { eval: true, workerData: { url: workerUrl } });
    return {
      post: (msg, transfer) => w.postMessage(msg, transfer),
      onMessage: (fn) => w.on('message', fn),
      onError: (fn) => {
        w.on('error', fn);
        w.on('exit', (code) => fn(new Error(`worker exited with code ${code}`)));
      },
      terminate: () => void w.terminate(),
    };
  },
});

/**
 * Node always has shared memory and workers: the threaded module with
 * options.threads threads (0 = one per logical CPU), or the single-threaded
 * one for threads: 1.
 */
export async function loadQuantlab(options) {
  options = optionsObject(options);
  const { threads: wanted, ...moduleOptions } = options;
  const choice = chooseModuleVariant({ sharedMemory: true, cores: availableParallelism() }, wanted);
  if (choice.variant === 'single') {
    const wasm = moduleOptions.wasmBinary ?? wasmBinary();
    const ql = await instantiate(createQuantlabModule, { ...moduleOptions, wasmBinary: wasm });
    ql.wasmVariant = 'simd128';  // always SIMD128 in Node (wasm_variant.mjs says why)
    return ql;
  }
  const files = MODULE_VARIANTS.threads;
  const js = fileUrl(files.js).href;
  const factory = (await import(js)).default;
  const ql = await withPthreadWorkers(() =>
    instantiate(factory, {
      ...moduleOptions,
      wasmBinary: moduleOptions.wasmBinary ?? readFileSync(fileUrl(files.wasm)),
      locateFile: (name) => fileUrl(name.endsWith('.worker.js') ? files.worker : files.wasm).href,
      // emscripten cannot tell Node's main thread from a page's, where
      // waiting for a worker blocks the page; in Node it blocks nothing.
      printErr: moduleOptions.printErr ?? ((text) => {
        if (!String(text).startsWith('Blocking on the main thread')) console.warn(text);
      }),
      mainScriptUrlOrBlob: js,  // what each pthread worker imports
      quantlabWorkers: choice.threads - 1,
    }, choice.threads));
  ql.wasmVariant = 'simd128';
  return ql;
}
