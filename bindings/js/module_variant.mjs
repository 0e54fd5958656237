// Which build of the wasm module to load, decided in one place for the
// browser and Node entries. Every variant has the same API and computes the
// same bytes; they differ in what the host must offer.
//   single   quantlab_wasm.mjs: SIMD128, one thread, runs anywhere.
//   threads  quantlab_wasm_mt.mjs: SIMD128 with -pthread: its thread pool runs
//            on Web Workers (Node: worker_threads) sharing one
//            SharedArrayBuffer heap, so it needs cross-origin isolation
//            (COOP/COEP headers) in a browser.
import { fail, show } from './errors.mjs';

export const MODULE_VARIANTS = {
  single: { js: 'quantlab_wasm.mjs', wasm: 'quantlab_wasm.wasm', worker: null },
  threads: { js: 'quantlab_wasm_mt.mjs', wasm: 'quantlab_wasm_mt.wasm', worker: 'quantlab_wasm_mt.worker.js' },
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
