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

/**
 * The parent's Node flags for an eval'd CommonJS worker: without
 * --input-type (`node --input-type=module -e ...` would make the worker's
 * code a module, where require does not exist).
 */
export function commonJsExecArgv() {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}

/** The Web Worker shape emscripten's pthread code drives, over worker_threads. */
class PthreadWorker {
  static sources = new Map();
  static live = new Set();

  constructor(url) {
    this.onmessage = null;
    this.onerror = null;
    this._errorListeners = [];
    let source;
    try {
      const path = fileURLToPath(url);
      source = PthreadWorker.sources.get(path);
      if (source === undefined) PthreadWorker.sources.set(path, (source = readFileSync(path, 'utf8')));
    } catch (e) {
      // As a browser does with a worker script it cannot fetch: an 'error'
      // event, after the caller has had the chance to listen for it.
      this._w = null;
      setTimeout(() => this._error(e), 0);
      return;
    }
    this._w = new ThreadWorker(bootstrap, { eval: true, execArgv: commonJsExecArgv(), workerData: { source, url: String(url) } });
    PthreadWorker.live.add(this);
    this._w.on('message', (data) => {
      // Once loaded a pthread worker only runs while the main thread waits
      // for it inside a wasm call: it must not keep Node from exiting.
      if (data?.cmd === 'loaded') this._w.unref();
      this.onmessage?.({ data });
    });
    this._w.on('error', (e) => this._error(e));
    this._w.on('exit', () => PthreadWorker.live.delete(this));
  }

  // emscripten's onerror rethrows what it is given; in a Node event handler
  // that would kill the process, so it is contained here (watchPthreadStart
  // in module_variant.mjs turns the listeners' call into a failed load).
  _error(e) {
    for (const fn of this._errorListeners) fn(e);
    try {
      this.onerror?.(e);
    } catch {
      // Reported through the listeners above.
    }
  }

  addEventListener(type, fn) {
    if (type === 'error') this._errorListeners.push(fn);
  }

  postMessage(msg, transfer) {
    this._w?.postMessage(msg, transfer);
  }

  terminate() {
    PthreadWorker.live.delete(this);
    return this._w?.terminate();
  }
}

/** worker_threads running pthread workers now (tests: terminate() leaves none). */
export function livePthreadWorkers() {
  return PthreadWorker.live.size;
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
