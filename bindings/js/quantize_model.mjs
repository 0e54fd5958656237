// Whole-model quantization (llama-quantize) from any byte source to any sink.
// The calling thread does all I/O: it reads one tensor from the async source,
// hands its bytes to a wasm QuantizeSession (here or in a worker) and writes
// the converted bytes in file order, so at most one tensor per converter is
// in wasm memory and neither file has to fit in wasm32's 4 GB.
import { toByteSource } from './byte_source.mjs';
import { checkSignal, fail, makeYielder, QuantlabError, unwrap } from './errors.mjs';

// What only an entry point can provide: Node registers file output and
// worker_threads, the browser entry registers Web Workers.
const env = { openOutput: null, createWorker: null, wasmBinary: null };

/** Called by node.mjs / browser.mjs. */
export function registerQuantizeEnvironment(e) {
  Object.assign(env, e);
}

const SESSION_KEYS = [
  'type', 'pure', 'outputTensorType', 'tokenEmbeddingType', 'tensorTypes', 'overrideKv', 'allowRequantize',
  'leaveOutputTensor', 'dryRun',
];

// Plain data only: the same object is posted to every worker.
function sessionOptions(options) {
  const o = {};
  for (const k of SESSION_KEYS) if (options[k] !== undefined && options[k] !== null) o[k] = options[k];
  if (o.tensorTypes !== undefined) {
    if (!Array.isArray(o.tensorTypes)) fail('InvalidArgument', 'tensorTypes must be an array of "regex=type" strings');
    o.tensorTypes = [...o.tensorTypes];
  }
  if (o.overrideKv !== undefined) {
    if (!Array.isArray(o.overrideKv)) fail('InvalidArgument', 'overrideKv must be an array of "key=type:value" strings');
    o.overrideKv = [...o.overrideKv];
  }
  return o;
}

// A mixed-precision plan (ql.planMixedPrecision, or the JSON quantize
// --target-size writes) stands for type, tensorTypes and its metadata keys.
function withPlan(options) {
  const plan = options.plan;
  if (plan === undefined || plan === null) return options;
  if (typeof plan !== 'object' || typeof plan.ftype !== 'string' || !Array.isArray(plan.tensorTypes)) {
    fail('InvalidArgument', 'plan must be a mixed-precision plan (ftype, tensorTypes, overrideKv)');
  }
  for (const k of ['type', 'tensorTypes', 'pure', 'outputTensorType', 'tokenEmbeddingType']) {
    if (options[k] !== undefined && options[k] !== null) fail('InvalidArgument', `plan decides every tensor: do not pass ${k} as well`);
  }
  const o = { ...options, type: plan.ftype, tensorTypes: plan.tensorTypes };
  o.overrideKv = [...(plan.overrideKv ?? []), ...(options.overrideKv ?? [])];
  if ((o.imatrix === undefined || o.imatrix === null) && plan.imatrix) {
    o.imatrix = plan.imatrix;
    o.imatrixName ??= plan.imatrixName ?? (typeof plan.imatrix === 'string' ? plan.imatrix : undefined);
  }
  return o;
}

function withHeap(m, bytes, fn) {
  const p = m._malloc(Math.max(1, bytes.length)) >>> 0;
  if (p === 0) fail('OutOfMemory', `cannot allocate ${bytes.length} bytes of WebAssembly memory`);
  try {
    m.HEAPU8.set(bytes, p);
    return fn(p);
  } finally {
    m._free(p);
  }
}

/**
 * A wasm QuantizeSession begun from the input's header prefix. Returns
 * {session, begun} where begun is {complete, bytesNeeded} or {complete, plan}.
 * Shared with quantize_worker.mjs so every converter is set up identically.
 */
export function beginSession(m, prefix, fileSize, options, imatrix, session = null) {
  const s = session ?? new m.QuantizeSession();
  try {
    if (imatrix && !session) withHeap(m, imatrix.bytes, (p) => unwrap(s.setImatrix(p, imatrix.bytes.length, imatrix.name)));
    const begun = withHeap(m, prefix, (p) => unwrap(s.begin(p, prefix.length, fileSize, options)));
    return { session: s, begun };
  } catch (e) {
    if (!session) s.delete(); // a caller's session is the caller's to delete
    throw e;
  }
}

/** Converts one tensor's input bytes; returns its output bytes (with padding). */
export function convertTensor(m, session, index, bytes) {
  return withHeap(m, bytes, (p) => unwrap(session.convertTensor(index, p, bytes.length)));
}

/** Every byte of a source (an imatrix file). */
export async function readAll(source) {
  const src = await toByteSource(source);
  try {
    const bytes = await src.read(0, src.size);
    if (bytes.length !== src.size) fail('Io', 'the importance matrix could not be read whole');
    return bytes;
  } finally {
    await src.close?.();
  }
}

function imatrixName(options) {
  if (typeof options.imatrixName === 'string') return options.imatrixName;
  if (typeof options.imatrix === 'string') return options.imatrix;
  if (typeof options.imatrix?.name === 'string' && options.imatrix.name) return options.imatrix.name;
  return 'imatrix';
}

// Every output kind behind {write(chunk), close(), abort()}.
async function openSink(output) {
  if (output === undefined || output === null) {
    // Parts stay Blobs: a browser may keep them on disk, never in wasm memory.
    const parts = [];
    const sink = {
      write: async (chunk) => void parts.push(new Blob([chunk])),
      close: async () => void (sink.blob = new Blob(parts, { type: 'application/octet-stream' })),
      abort: async () => void (parts.length = 0),
    };
    return sink;
  }
  if (typeof output === 'string') {
    if (!env.openOutput) fail('InvalidArgument', 'output paths can only be written in Node; pass a WritableStream or {write}');
    return env.openOutput(output);
  }
  if (typeof WritableStream !== 'undefined' && output instanceof WritableStream) {
    const writer = output.getWriter();
    return {
      write: async (chunk) => {
        await writer.ready;
        await writer.write(chunk);
      },
      close: () => writer.close(),
      abort: (e) => writer.abort(e).catch(() => {}),
    };
  }
  if (output && typeof output.write === 'function') {
    return { write: async (chunk) => void (await output.write(chunk)), close: async () => {}, abort: async () => {} };
  }
  fail('InvalidArgument', 'output must be undefined (a Blob), a WritableStream, an object with write(), or a path (Node)');
}

// A worker behind one-request-at-a-time calls; the first message it sends is 'ready'.
function startWorker() {
  if (!env.createWorker) fail('Unsupported', 'workers > 1 needs Web Workers or Node worker_threads');
  const w = env.createWorker();
  let waiting = null;
  let broken = null;
  const settle = (fn) => {
    const p = waiting;
    waiting = null;
    p && fn(p);
  };
  w.onMessage((msg) =>
    settle((p) => (msg.type === 'error' ? p.reject(new QuantlabError(msg.code, msg.message)) : p.resolve(msg))),
  );
  w.onError((e) => {
    broken = new QuantlabError('Internal', `quantize worker failed: ${e?.message ?? e}`);
    settle((p) => p.reject(broken));
  });
  const next = () =>
    new Promise((resolve, reject) => {
      if (broken) reject(broken);
      else waiting = { resolve, reject };
    });
  const ready = next();
  return {
    ready,
    call(msg, transfer = []) {
      const reply = next();
      w.post(msg, transfer);
      return reply;
    },
    terminate: () => w.terminate(),
  };
}

function ownBuffer(bytes) {
  // Transfer the read buffer when it is exactly this tensor; copy otherwise
  // (a subarray of a caller's file must not be detached).
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : bytes.slice().buffer;
}

/** ql.quantizeModel: see quantlab.d.ts. */
export async function quantizeModel(ql, input, options = {}) {
  if (options === null || typeof options !== 'object') fail('InvalidArgument', 'options must be an object');
  options = withPlan(options);
  const { signal, onProgress, output } = options;
  const workers = options.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 1) fail('InvalidArgument', 'workers must be a positive integer');
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('InvalidArgument', 'onProgress must be a function');
  const opts = sessionOptions(options);
  const m = ql._m;
  const t0 = performance.now();
  checkSignal(signal);
  const src = await toByteSource(input);
  let session = null;
  let sink = null;
  const pool = [];
  try {
    const imatrix =
      options.imatrix === undefined || options.imatrix === null
        ? null
        : { bytes: await readAll(options.imatrix), name: imatrixName(options) };
    checkSignal(signal);

    // Grow the header prefix until it parses.
    let len = Math.min(src.size, 1 << 20);
    let prefix, plan;
    for (;;) {
      prefix = await src.read(0, len);
      const r = beginSession(m, prefix, src.size, opts, imatrix, session);
      session = r.session;
      if (r.begun.complete) {
        plan = r.begun.plan;
        break;
      }
      if (!(r.begun.bytesNeeded > len)) fail('Format', 'invalid GGUF: header is truncated');
      len = r.begun.bytesNeeded;
    }
    if (plan.dryRun) return { plan, bytesWritten: 0, seconds: (performance.now() - t0) / 1000 };

    const tensors = plan.tensors;
    const n = tensors.length;
    const bytesTotal = plan.inputTensorBytes;
    let bytesRead = 0;
    let bytesWritten = 0;
    sink = await openSink(output);
    const write = async (chunk) => {
      await sink.write(chunk);
      bytesWritten += chunk.length;
    };
    await write(unwrap(session.headerBytes()));

    const readTensor = async (i) => {
      const t = tensors[i];
      const bytes = await src.read(t.inputOffset, t.oldBytes);
      if (bytes.length !== t.oldBytes) fail('Format', `tensor '${t.name}' is cut short by the end of the file`);
      bytesRead += bytes.length;
      return bytes;
    };
    const progress = (i) => {
      if (!onProgress) return;
      const elapsed = (performance.now() - t0) / 1000;
      onProgress({
        tensor: tensors[i].name,
        index: i,
        nTensors: n,
        bytesRead,
        bytesTotal,
        bytesWritten,
        outputSize: plan.outputSize,
        etaSeconds: bytesRead > 0 ? (elapsed * (bytesTotal - bytesRead)) / bytesRead : null,
      });
    };

    if (workers <= 1) {
      const pause = makeYielder();
      for (let i = 0; i < n; ++i) {
        checkSignal(signal);
        const bytes = await readTensor(i);
        checkSignal(signal);
        await write(convertTensor(m, session, i, bytes));
        progress(i);
        await pause();
      }
    } else {
      const init = {
        type: 'init',
        prefix: prefix.slice(),
        fileSize: src.size,
        options: opts,
        imatrix,
        wasmBinary: typeof env.wasmBinary === 'function' ? env.wasmBinary() : null,
      };
      for (let k = 0; k < Math.min(workers, n); ++k) pool.push(startWorker());
      await Promise.all(pool.map(async (w) => {
        await w.ready;
        await w.call(init);
      }));
      await runPool(pool, n, { signal, readTensor, write, progress });
    }
    checkSignal(signal);
    if (bytesWritten !== plan.outputSize) {
      fail('Internal', `wrote ${bytesWritten} bytes, the plan promised ${plan.outputSize}`);
    }
    await sink.close();
    const result = { plan, bytesWritten, seconds: (performance.now() - t0) / 1000 };
    if (sink.blob) result.blob = sink.blob;
    sink = null;
    return result;
  } catch (e) {
    await sink?.abort(e);
    throw e;
  } finally {
    for (const w of pool) w.terminate();
    session?.delete();
    await src.close?.();
  }
}

// Reads on this thread, converts on idle workers, writes in file order. At
// most two tensors per worker are read ahead of the next one to write.
async function runPool(pool, n, { signal, readTensor, write, progress }) {
  const idle = [...pool];
  const done = new Map();
  const inflight = new Set();
  let failure = null;
  let nextRead = 0;
  let nextWrite = 0;
  // Wakes the wait for workers when the caller aborts.
  let onAbort = null;
  const aborted = new Promise((resolve) => {
    onAbort = resolve;
    signal?.addEventListener('abort', resolve, { once: true });
  });
  try {
    while (nextWrite < n) {
      checkSignal(signal);
      while (nextRead < n && idle.length > 0 && nextRead - nextWrite < 2 * pool.length && !failure) {
        const i = nextRead++;
        const bytes = await readTensor(i);
        checkSignal(signal);
        const w = idle.pop();
        const buf = ownBuffer(bytes);
        const job = w
          .call({ type: 'convert', index: i, data: buf }, [buf])
          .then(
            (r) => {
              done.set(i, new Uint8Array(r.data));
              idle.push(w);
            },
            (e) => void (failure ??= e),
          )
          .finally(() => inflight.delete(job));
        inflight.add(job);
      }
      if (failure) throw failure;
      while (done.has(nextWrite)) {
        const out = done.get(nextWrite);
        done.delete(nextWrite);
        await write(out);
        progress(nextWrite);
        nextWrite++;
        checkSignal(signal);
      }
      if (nextWrite < n && !done.has(nextWrite) && inflight.size > 0) await Promise.race([...inflight, aborted]);
      if (failure) throw failure;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
