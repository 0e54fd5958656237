// Browser / bundler entry: emscripten locates quantlab_wasm*.wasm next to this
// file through new URL(..., import.meta.url), which Vite and other bundlers
// rewrite to the emitted asset. Which one-thread build loads: wasm_variant.mjs;
// whether the threaded build loads: module_variant.mjs.
import { optionsObject } from './errors.mjs';
import { chooseModuleVariant, loadThreadedOrSingle, warningHandler } from './module_variant.mjs';
import { instantiate } from './quantlab.mjs';
import { chooseWasmVariant, threadedWasmVariant } from './wasm_variant.mjs';
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

// The threaded module's three files, SIMD128 or relaxed SIMD. Plain new
// URL(...) (no new Worker around it) makes bundlers copy them as they are:
// emscripten's pthread worker script cannot be bundled (../shared/TOOLCHAIN.md).
const threadedFiles = (variant) => (variant === 'relaxed-simd' ? {
  js: new URL('./quantlab_wasm_mt_relaxed.mjs', import.meta.url).href,
  wasm: new URL('./quantlab_wasm_mt_relaxed.wasm', import.meta.url).href,
  worker: new URL('./quantlab_wasm_mt_relaxed.worker.js', import.meta.url).href,
} : {
  js: new URL('./quantlab_wasm_mt.mjs', import.meta.url).href,
  wasm: new URL('./quantlab_wasm_mt.wasm', import.meta.url).href,
  worker: new URL('./quantlab_wasm_mt.worker.js', import.meta.url).href,
});

// Bundlers inline a small asset such as the worker script as a data: URL
// (Vite below 4 KB); a worker started from one has an opaque origin, which
// can import nothing from a cross-origin-isolated page. A blob: URL made
// here has the page's origin.
async function sameOriginUrl(url) {
  if (!url.startsWith('data:')) return url;
  const text = await (await fetch(url)).text();
  return URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
}

/**
 * Load the wasm module: the threaded build on a cross-origin-isolated page
 * (COOP/COEP headers), otherwise a single-threaded one (relaxed SIMD when the
 * browser has it: wasm_variant.mjs; options.wasmVariant forces one of those and
 * the instance's wasmVariant says which loaded). options.threads
 * (0 = one per core) sets the thread count, in the threaded build with the
 * same kernels (relaxed SIMD where validated); options.locateFile /
 * options.wasmBinary override where the .wasm comes from; options.threadedFiles
 * ({js, wasm, worker} URLs) where the threaded build's files are served. A
 * threaded build that fails to load falls back to a single-threaded one with
 * a warning (options.onWarning, else console.warn).
 */
export async function loadQuantlab(options) {
  options = optionsObject(options);
  const { threads: wanted, threadedFiles: filesOption, onWarning, ...moduleOptions } = options;
  const warn = warningHandler(onWarning);
  const files = optionsObject(filesOption, 'threadedFiles');  // a bad option throws, it does not fall back
  const choice = chooseModuleVariant(
    { sharedMemory: globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function',
      cores: globalThis.navigator?.hardwareConcurrency ?? 1 },
    wanted,
  );
  // One thread: relaxed SIMD when the browser has it (options.wasmVariant forces one).
  const loadSingle = async () => {
    const { variant, factory } = await chooseWasmVariant(moduleOptions);
    const ql = await instantiate(factory, { ...moduleOptions });
    ql.wasmVariant = variant;
    return ql;
  };
  if (choice.variant === 'single') return loadSingle();
  // More threads: the threaded build with the same kernels the one-thread
  // choice would have (relaxed SIMD when the browser validates it).
  const variant = threadedWasmVariant(options);
  return loadThreadedOrSingle(async () => {
    const urls = { ...threadedFiles(variant), ...files };
    urls.worker = await sameOriginUrl(String(urls.worker));
    const factory = (await import(/* @vite-ignore */ String(urls.js))).default;
    const ql = await instantiate(factory, {
      locateFile: (name) => String(name.endsWith('.worker.js') ? urls.worker : urls.wasm),
      ...moduleOptions,
      mainScriptUrlOrBlob: String(urls.js),  // what each pthread worker imports
      quantlabWorkers: choice.threads - 1,
    }, choice.threads);
    ql.wasmVariant = variant;
    return ql;
  }, loadSingle, warn);
}
