// Node entry: Node's fetch cannot load file: URLs, so the .wasm bytes are read
// from disk and handed to emscripten directly (../shared/TOOLCHAIN.md, pitfall 3).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { open, rename, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { registerPathOpener } from './byte_source.mjs';
import createQuantlabModule from './quantlab_wasm.mjs';
import { optionsObject } from './errors.mjs';
import { MODULE_VARIANTS, chooseModuleVariant, loadThreadedOrSingle, warningHandler } from './module_variant.mjs';
import { commonJsExecArgv, withPthreadWorkers } from './node_pthreads.mjs';
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
    const w = new Worker(workerShim, { eval: true, execArgv: commonJsExecArgv(), workerData: { url: workerUrl } });
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
 * one for threads: 1. A threaded module that fails to load falls back to the
 * single-threaded one with a warning (options.onWarning, else console.warn).
 * options.threadedFiles ({js, wasm, worker} file: URLs) moves its files.
 */
export async function loadQuantlab(options) {
  options = optionsObject(options);
  const { threads: wanted, threadedFiles, onWarning, ...moduleOptions } = options;
  const warn = warningHandler(onWarning);
  const files = optionsObject(threadedFiles, 'threadedFiles');  // a bad option throws, it does not fall back
  const choice = chooseModuleVariant({ sharedMemory: true, cores: availableParallelism() }, wanted);
  const loadSingle = async () => {
    const wasm = moduleOptions.wasmBinary ?? wasmBinary();
    const ql = await instantiate(createQuantlabModule, { ...moduleOptions, wasmBinary: wasm });
    ql.wasmVariant = 'simd128';  // always SIMD128 in Node (wasm_variant.mjs says why)
    return ql;
  };
  if (choice.variant === 'single') return loadSingle();
  return loadThreadedOrSingle(() => loadThreaded(choice.threads, moduleOptions, files), loadSingle, warn);
}

async function loadThreaded(threads, moduleOptions, threadedFiles) {
  const names = MODULE_VARIANTS.threads;
  const files = {
    js: fileUrl(names.js).href,
    wasm: fileUrl(names.wasm).href,
    worker: fileUrl(names.worker).href,
    ...threadedFiles,  // checked by loadQuantlab
  };
  for (const k of Object.keys(files)) files[k] = String(files[k]);  // URL objects too; workers get strings
  const factory = (await import(files.js)).default;
  const ql = await withPthreadWorkers(() =>
    instantiate(factory, {
      ...moduleOptions,
      wasmBinary: moduleOptions.wasmBinary ?? readFileSync(new URL(files.wasm)),
      locateFile: (name) => String(name.endsWith('.worker.js') ? files.worker : files.wasm),
      // emscripten cannot tell Node's main thread from a page's, where
      // waiting for a worker blocks the page; in Node it blocks nothing.
      printErr: moduleOptions.printErr ?? ((text) => {
        if (!String(text).startsWith('Blocking on the main thread')) console.warn(text);
      }),
      mainScriptUrlOrBlob: files.js,  // what each pthread worker imports
      quantlabWorkers: threads - 1,
    }, threads));
  // SIMD128 here too, for the reason wasm_variant.mjs gives for one thread.
  ql.wasmVariant = 'simd128';
  return ql;
}
