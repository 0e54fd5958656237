// Which build of the wasm module to load, decided in one place for the
// browser and Node entries. Every variant has the same API and computes the
// same bytes; they differ in what the host must offer.
//   single   quantlab_wasm.mjs: SIMD128, one thread, runs anywhere.
//   threads  quantlab_wasm_mt.mjs: SIMD128 with -pthread: its thread pool runs
//            on Web Workers (Node: worker_threads) sharing one
//            SharedArrayBuffer heap, so it needs cross-origin isolation
//            (COOP/COEP headers) in a browser.
//   threadsRelaxed  quantlab_wasm_mt_relaxed.mjs: the same with the relaxed-SIMD
//            kernels (wasm_variant.mjs), for engines that validate them.
import { fail, show } from './errors.mjs';

export const MODULE_VARIANTS = {
  single: { js: 'quantlab_wasm.mjs', wasm: 'quantlab_wasm.wasm', worker: null },
  threads: { js: 'quantlab_wasm_mt.mjs', wasm: 'quantlab_wasm_mt.wasm', worker: 'quantlab_wasm_mt.worker.js' },
  threadsRelaxed: {
    js: 'quantlab_wasm_mt_relaxed.mjs', wasm: 'quantlab_wasm_mt_relaxed.wasm', worker: 'quantlab_wasm_mt_relaxed.worker.js',
  },
};

// More threads than this are never started: the pool's work items are rows
// of one matrix, and a phone reporting 16 cores gains little past 8.
export const MAX_THREADS = 16;

/**
 * host: { sharedMemory: can this context share a SharedArrayBuffer with
 * workers (browser: crossOriginIsolated; Node: true), cores: logical CPUs }.
 * threads: the caller's option (undefined/0 = one per core).
 * Returns { variant, threads }: the threaded module whenever the host
 * allows it and more than one thread is wanted, else the single one.
 */
export function chooseModuleVariant(host, threads) {
  if (threads !== undefined && threads !== null && (!Number.isSafeInteger(threads) || threads < 0 || threads > 256)) {
    fail('InvalidArgument', `threads must be an integer from 0 (one per core) to 256, got ${show(threads)}`);
  }
  const cores = Math.max(1, Math.min(MAX_THREADS, Math.floor(host.cores) || 1));
  const wanted = threads ? threads : cores;
  if (!host.sharedMemory || wanted <= 1) return { variant: 'single', threads: 1 };
  return { variant: 'threads', threads: wanted };
}

// How long the threaded build's pthread workers may take to start before the
// load is given up (a worker that fails outright is seen at once, below).
export const PTHREAD_START_TIMEOUT_MS = 30_000;

/**
 * The threaded module's factory promise, watched: emscripten 3.1.6 resolves
 * it only once every pool worker has loaded and merely logs a worker that
 * cannot (its script missing or refused, as on a host without COOP/COEP
 * serving the .worker.js wrongly), so it would never settle. This rejects
 * on a worker's 'error' event or after timeoutMs, and then terminates the
 * workers that did start. module: the object passed to the factory, which
 * emscripten uses as its Module (PThread.unusedWorkers holds the pool).
 */
export function watchPthreadStart(module, pending, timeoutMs = PTHREAD_START_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const giveUp = (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        module.PThread?.terminateAllThreads?.();
      } catch {
        // The load failed already; stopping what started is best effort.
      }
      reject(e);
    };
    const timer = setTimeout(
      () => giveUp(new Error(`its pthread workers did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    for (const w of module.PThread?.unusedWorkers ?? []) {
      w.addEventListener?.('error', (e) => giveUp(new Error(`a pthread worker failed to start: ${e?.message || 'its script did not load'}`)));
    }
    Promise.resolve(pending).then(
      (m) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(m);
      },
      giveUp,
    );
  });
}

/** options.onWarning, or console.warn; checked like every option. */
export function warningHandler(onWarning) {
  if (onWarning !== undefined && onWarning !== null && typeof onWarning !== 'function') {
    fail('InvalidArgument', 'onWarning must be a function');
  }
  return onWarning ?? ((message) => console.warn(message));
}

/**
 * The threaded build from loadThreaded(), or, when it cannot load (its
 * files missing or served wrongly, a pthread worker that does not start,
 * shared memory refused), the single-threaded build from loadSingle() after
 * a warning. The instance then reports what really loaded (threads 1,
 * pthreads false, its wasmVariant) and keeps the reason in loadWarning.
 */
export async function loadThreadedOrSingle(loadThreaded, loadSingle, warn) {
  let reason;
  try {
    return await loadThreaded();
  } catch (e) {
    reason = e?.message ?? show(e);
  }
  // A load the single build fails too (a bad wasmBinary) throws its own
  // error, with no warning about a fallback that did not happen.
  const ql = await loadSingle();
  const message = `quantlab: the threaded WebAssembly build did not load (${reason}); using the single-threaded build`;
  warn(message);
  ql.loadWarning = message;
  return ql;
}
