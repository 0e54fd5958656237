// Node support for the threaded module (quantlab_wasm_mt.mjs). emscripten
// 3.1.6 builds it as a browser ES module, whose pthreads start Web Workers
// running quantlab_wasm_mt.worker.js; Node has no Web Worker, so this gives
// that worker script a worker_threads thread with the Web Worker globals it
// uses (self, onmessage, postMessage). Same module, same bytes as in a
// browser: only the Worker class differs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';

const bootstrap = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (msg, transfer) => parentPort.postMessage(msg, transfer);
globalThis.importScripts = () => { throw new Error('importScripts is not available here'); };
globalThis.location = { href: workerData.url };
parentPort.on('message', (data) => globalThis.onmessage?.({ data }));
(0, eval)(workerData.source);
`;

/** The Web Worker shape emscripten's pthread code drives, over worker_threads. */
class PthreadWorker {
  static sources = new Map();

  constructor(url) {
    const path = fileURLToPath(url);
    let source = PthreadWorker.sources.get(path);
    if (source === undefined) PthreadWorker.sources.set(path, (source = readFileSync(path, 'utf8')));
    this.onmessage = null;
    this.onerror = null;
    this._w = new ThreadWorker(bootstrap, { eval: true, workerData: { source, url: String(url) } });
    this._w.on('message', (data) => {
      // Once loaded a pthread worker only runs while the main thread waits
      // for it inside a wasm call: it must not keep Node from exiting.
      if (data?.cmd === 'loaded') this._w.unref();
      this.onmessage?.({ data });
    });
    this._w.on('error', (e) => this.onerror?.(e));
  }

  postMessage(msg, transfer) {
    this._w.postMessage(msg, transfer);
  }

  terminate() {
    return this._w.terminate();
  }
}

/**
 * Instantiates the threaded module with `factory`: the pthread workers
 * (created while the factory runs) are PthreadWorkers.
 */
export async function withPthreadWorkers(start) {
  const had = Object.prototype.hasOwnProperty.call(globalThis, 'Worker');
  const saved = globalThis.Worker;
  globalThis.Worker = PthreadWorker;
  try {
    return await start();
  } finally {
    if (had) globalThis.Worker = saved;
    else delete globalThis.Worker;
  }
}
