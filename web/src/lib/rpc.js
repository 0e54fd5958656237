// The page ⇄ worker protocol: calls with progress events and cancellation.
//
//   page → worker  {type: 'call', id, method, args}   run handlers[method](args, ctx)
//                  {type: 'cancel', id}               abort that call's AbortController
//   worker → page  {type: 'progress', id, data}       ctx.progress(data)
//                  {type: 'result', id, value}        the handler's return value
//                  {type: 'error', id, error}         {name, code, message}
//
// A page passes an AbortSignal; aborting it posts 'cancel', and the handler
// sees ctx.signal abort (the quantlab API checks it between steps and rejects
// with QuantlabError 'Cancelled'). Values a handler wraps in transfer()
// move their ArrayBuffers instead of copying them.

const TRANSFER = Symbol('transfer');

/** Return value that moves `buffers` to the other side instead of copying them. */
export function transfer(value, buffers) {
  return { [TRANSFER]: buffers, value };
}

/** Errors from the worker keep the QuantlabError vocabulary (error.code). */
export class RpcError extends Error {
  constructor({ name = 'Error', code = 'Internal', message = 'unknown error' }) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

function serializeError(e) {
  return {
    name: e?.name ?? 'Error',
    code: e?.code ?? (e instanceof RangeError ? 'OutOfMemory' : 'Internal'),
    message: String(e?.message ?? e),
  };
}

/** Worker side: answer calls with `handlers` (after `ready` resolves). */
export function serve(handlers, ready = Promise.resolve()) {
  const running = new Map();
  self.onmessage = async (event) => {
    const msg = event.data;
    if (msg.type === 'cancel') {
      running.get(msg.id)?.abort();
      return;
    }
    if (msg.type !== 'call') return;
    const controller = new AbortController();
    running.set(msg.id, controller);
    try {
      await ready;
      const fn = handlers[msg.method];
      if (!fn) throw Object.assign(new Error(`unknown method ${msg.method}`), { code: 'InvalidArgument' });
      const ctx = {
        signal: controller.signal,
        progress: (data) => self.postMessage({ type: 'progress', id: msg.id, data }),
      };
      const out = await fn(msg.args ?? {}, ctx);
      if (out && typeof out === 'object' && TRANSFER in out) {
        self.postMessage({ type: 'result', id: msg.id, value: out.value }, out[TRANSFER]);
      } else {
        self.postMessage({ type: 'result', id: msg.id, value: out });
      }
    } catch (e) {
      self.postMessage({ type: 'error', id: msg.id, error: serializeError(e) });
    } finally {
      running.delete(msg.id);
    }
  };
}

/**
 * Page side: one worker behind promise-returning calls. createWorker makes
 * the Worker (so bundlers see the literal new Worker(new URL(...)) where it
 * is written); a worker that dies (out of memory, a crash) fails its pending
 * calls with a clear error and is replaced on the next call.
 */
export class WorkerClient {
  constructor(createWorker, name = 'worker') {
    this._create = createWorker;
    this._name = name;
    this._worker = null;
    this._pending = new Map();
    this._next = 1;
  }

  _ensure() {
    if (this._worker) return this._worker;
    const w = this._create();
    w.onmessage = (event) => {
      const msg = event.data;
      const p = this._pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') {
        p.onProgress?.(msg.data);
        return;
      }
      this._pending.delete(msg.id);
      p.cleanup();
      if (msg.type === 'result') p.resolve(msg.value);
      else p.reject(new RpcError(msg.error));
    };
    w.onerror = (event) => {
      event.preventDefault?.();
      this._fail(`the ${this._name} worker stopped: ${event.message || 'it ran out of memory or crashed'}`);
    };
    w.onmessageerror = () => this._fail(`a message from the ${this._name} worker could not be read`);
    this._worker = w;
    return w;
  }

  _fail(message) {
    this._worker?.terminate();
    this._worker = null;
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      p.cleanup();
      p.reject(new RpcError({ name: 'WorkerError', code: /memory/i.test(message) ? 'OutOfMemory' : 'Internal', message }));
    }
  }

  /**
   * Call a worker method. options: signal (AbortSignal), onProgress(data),
   * transfer (ArrayBuffers to move to the worker).
   */
  call(method, args = {}, { signal, onProgress, transfer: buffers = [] } = {}) {
    if (signal?.aborted) return Promise.reject(new RpcError({ name: 'QuantlabError', code: 'Cancelled', message: 'the operation was cancelled' }));
    const w = this._ensure();
    const id = this._next++;
    return new Promise((resolve, reject) => {
      const onAbort = () => w.postMessage({ type: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this._pending.set(id, {
        resolve,
        reject,
        onProgress,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      w.postMessage({ type: 'call', id, method, args }, buffers);
    });
  }

  /** Stop the worker (pending calls fail); the next call starts a new one. */
  terminate() {
    this._fail(`the ${this._name} worker was stopped`);
  }
}
