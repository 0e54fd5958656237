// Whole-model quantization (llama-quantize) from any byte source to any sink.
// The calling thread does all I/O: it reads one tensor from the async source,
// hands its bytes to a wasm QuantizeSession (here or in a worker) and writes
// the converted bytes in file order, so at most one tensor per converter is
// in wasm memory and neither file has to fit in wasm32's 4 GB.
import { toByteSource } from './byte_source.mjs';
import {
  allocate, checkSignal, fail, intOption, ioError, makeYielder, QuantlabError, requireAllocatable, signalOption, unwrap,
} from './errors.mjs';

// What only an entry point can provide: Node registers file output and
// worker_threads, the browser entry registers Web Workers.
const env = { openOutput: null, createWorker: null, wasmBinary: null };

/** Called by node.mjs / browser.mjs. */
export function registerQuantizeEnvironment(e) {
  Object.assign(env, e);
}

const SESSION_KEYS = [
  'type', 'pure', 'outputTensorType', 'tokenEmbeddingType', 'tensorTypes', 'allowRequantize', 'leaveOutputTensor', 'dryRun',
  'overrideKv', 'pruneLayers', 'includeWeights', 'excludeWeights', 'keepSplit', 'splitMaxSize', 'threads',
];
const LIST_KEYS = ['tensorTypes', 'overrideKv', 'includeWeights', 'excludeWeights'];

// Plain data only: the same object is posted to every worker.
function sessionOptions(options) {
  const o = {};
  for (const k of SESSION_KEYS) if (options[k] !== undefined && options[k] !== null) o[k] = options[k];
  if (typeof o.type === 'number') o.type = String(o.type);  // "a number works too" (quantlab.d.ts)
  for (const k of LIST_KEYS) {
    if (o[k] === undefined) continue;
    if (!Array.isArray(o[k])) fail('InvalidArgument', `${k} must be an array of strings`);
    o[k] = [...o[k]];
  }
  if (Array.isArray(o.pruneLayers)) o.pruneLayers = [...o.pruneLayers];
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

function splitSiblings(input) {
  const m = typeof input === 'string' ? /^(.*)-00001-of-(\d{5})\.gguf$/.exec(input) : null;
  const n = m ? Number(m[2]) : 1;
  return n > 1 ? splitFileNames(m[1], n) : [input];
}

/** llama-quantize's names for split outputs: NAME-00001-of-0000N.gguf, ".gguf" dropped from NAME. */
export function splitFileNames(name, n) {
  const prefix = name.endsWith('.gguf') ? name.slice(0, -5) : name;
  const pad = (k) => String(k).padStart(5, '0');
  return Array.from({ length: n }, (_, k) => `${prefix}-${pad(k + 1)}-of-${pad(n)}.gguf`);
}

function withHeap(m, bytes, fn) {
  const p = allocate(m, Math.max(1, bytes.length));
  try {
    m.HEAPU8.set(bytes, p);
    return fn(p);
  } finally {
    m._free(p);
  }
}

/**
 * A wasm QuantizeSession begun from the header prefixes of the input's
 * files (one, or every part of a split model). Returns {session, begun}
 * where begun is {complete, part, bytesNeeded} or {complete, plan}.
 * Shared with quantize_worker.mjs so every converter is set up identically.
 */
export function beginSession(m, prefixes, sizes, options, imatrix, session = null) {
  const s = session ?? new m.QuantizeSession();
  const ptrs = [];
  try {
    if (imatrix && !session) withHeap(m, imatrix.bytes, (p) => unwrap(s.setImatrix(p, imatrix.bytes.length, imatrix.name)));
    const parts = prefixes.map((prefix, k) => {
      const ptr = allocate(m, Math.max(1, prefix.length));
      ptrs.push(ptr);
      m.HEAPU8.set(prefix, ptr);
      return { ptr, len: prefix.length, size: sizes[k] };
    });
    const begun = unwrap(s.begin(parts, options));
    return { session: s, begun };
  } catch (e) {
    if (!session) s.delete(); // a caller's session is the caller's to delete
    throw e;
  } finally {
    for (const p of ptrs) m._free(p);
  }
}

// A chunk's input bytes copied into the module: {job, ptr, len}, ptr 0 for no rows.
function stageRows(m, job, bytes) {
  if (job.r1 === job.r0) return { job, ptr: 0, len: 0 };
  const ptr = allocate(m, bytes.length);
  m.HEAPU8.set(bytes, ptr);
  return { job, ptr, len: bytes.length };
}

// Hands staged rows to the module's pool (finishRows returns their output).
function startRows(session, { job, ptr, len }) {
  if (ptr) unwrap(session.startRows(job.index, job.r0, job.r1, ptr, len));
}

/** Converts rows [r0, r1) of a tensor from their input bytes; returns exactly their output bytes (no padding). */
export function convertRows(m, session, index, r0, r1, bytes) {
  return withHeap(m, bytes, (p) => unwrap(session.convertRows(index, r0, r1, p, bytes.length)));
}

// Values per row chunk (16 MiB as F32), as the C++ session stages them: a
// chunk is what is read, held in wasm memory and posted to a worker at once.
const CHUNK_VALUES = 1 << 22;

/**
 * Every tensor as row chunks [r0, r1), in file order: {index, r0, r1, last}.
 * Rows are quantized independently, so the outputs of the chunks, appended
 * in order, are the tensor's bytes whatever the chunk size.
 */
export function* rowChunks(tensors, chunkValues = CHUNK_VALUES) {
  for (let i = 0; i < tensors.length; ++i) {
    const t = tensors[i];
    const step = Math.max(1, Math.floor(chunkValues / Math.max(1, t.shape[0] ?? 1)));
    if (t.rows === 0) yield { index: i, r0: 0, r1: 0, last: true };
    for (let r0 = 0; r0 < t.rows; r0 += step) {
      const r1 = Math.min(t.rows, r0 + step);
      yield { index: i, r0, r1, last: r1 === t.rows };
    }
  }
}

/** Every byte of a source (an imatrix file). */
export async function readAll(source) {
  const src = await toByteSource(source);
  try {
    const bytes = await src.read(0, src.size);
    if (bytes.length !== src.size) fail('Io', 'the importance matrix could not be read whole');
    return bytes;
  } finally {
    await src.close();
  }
}

function imatrixName(options) {
  if (typeof options.imatrixName === 'string') return options.imatrixName;
  if (typeof options.imatrix === 'string') return options.imatrix;
  if (typeof options.imatrix?.name === 'string' && options.imatrix.name) return options.imatrix.name;
  return 'imatrix';
}

// Every output kind behind {write(chunk), close(), abort()}. A split output
// (plan.splitOutput) gets one sink per file: output is then undefined (Blobs),
// a path prefix (Node) or a function ({index, count, name}) => output.
async function openSinks(output, plan, options) {
  if (!plan.splitOutput) return [await openSink(output)];
  const n = plan.outputFiles.length;
  const names = splitFileNames(
    typeof output === 'string' ? output : (options.outputName ?? `ggml-model-${plan.type}.gguf`),
    n,
  );
  if (output !== undefined && output !== null && typeof output !== 'string' && typeof output !== 'function') {
    fail('InvalidArgument', `this quantization writes ${n} split files: output must be undefined, a path prefix (Node) or a function ({index, count, name}) => output`);
  }
  const sinks = [];
  try {
    for (let k = 0; k < n; ++k) {
      const target = typeof output === 'function' ? await output({ index: k, count: n, name: names[k] }) : typeof output === 'string' ? names[k] : undefined;
      if (typeof output === 'function' && (target === undefined || target === null)) {
        fail('InvalidArgument', `the output function returned nothing for ${names[k]}`);
      }
      const sink = await openSink(target);
      sink.name = names[k];
      sinks.push(sink);
    }
  } catch (e) {
    for (const sink of sinks) await sink.abort(e);
    throw e;
  }
  return sinks;
}

async function openSink(output) {
  const sink = await openOutput(output);
  // A failing sink is the caller's I/O: an 'Io' QuantlabError keeping the cause.
  return {
    write: async (chunk) => {
      try {
        await sink.write(chunk);
      } catch (e) {
        throw ioError(e, 'writing the output failed');
      }
    },
    close: async () => {
      try {
        await sink.close();
      } catch (e) {
        throw ioError(e, 'closing the output failed');
      }
      return sink.blob;
    },
    abort: async (e) => {
      try {
        await sink.abort(e);
      } catch {
        // Aborting is best effort; the original error is what the caller sees.
      }
    },
  };
}

async function openOutput(output) {
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
    try {
      return await env.openOutput(output);
    } catch (e) {
      throw ioError(e, `cannot create ${output}.partial`);
    }
  }
  if (typeof WritableStream !== 'undefined' && output instanceof WritableStream) {
    if (output.locked) fail('InvalidArgument', 'the output WritableStream is locked by another writer');
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
    // A browser worker says nothing when terminated: a call waiting on it
    // (ql.terminate() during a run) is rejected here instead.
    terminate: () => {
      w.terminate();
      broken ??= new QuantlabError('Terminated', 'the quantize worker was terminated');
      settle((p) => p.reject(broken));
    },
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
  const { onProgress, output } = options;
  const signal = signalOption(options.signal);
  const workers = options.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 1) fail('InvalidArgument', 'workers must be a positive integer');
  intOption(options.threads ?? undefined, 'threads', 0, 256, 0);
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('InvalidArgument', 'onProgress must be a function');
  if (options.chunkValues !== undefined) intOption(options.chunkValues, 'chunkValues', 1, 2 ** 28);
  const opts = sessionOptions(options);
  const m = ql._m;
  const t0 = performance.now();
  checkSignal(signal);
  // A split model is a list of its files (any order); one file is one source.
  // A path (Node) to a first part NAME-00001-of-0000N.gguf brings its siblings,
  // as llama.cpp's loader finds them.
  const inputs = Array.isArray(input) ? input : splitSiblings(input);
  if (inputs.length === 0) fail('InvalidArgument', 'no model file given');
  const srcs = [];
  let session = null;
  let sinks = [];
  const pool = [];
  let staged = null; // the next rows' input, copied into the module: {job, ptr, len}
  let started = null; // the rows the module's pool is converting
  try {
    for (const i of inputs) srcs.push(await toByteSource(i));
    const imatrix =
      options.imatrix === undefined || options.imatrix === null
        ? null
        : { bytes: await readAll(options.imatrix), name: imatrixName(options) };
    checkSignal(signal);

    // Grow each file's header prefix until every one parses.
    const sizes = srcs.map((src) => src.size);
    const prefixes = await Promise.all(srcs.map((src) => src.read(0, Math.min(src.size, 1 << 20))));
    let plan, sessionThreads;
    for (;;) {
      ql._check(); // reading may have let ql.terminate() run: no wasm call after it
      const r = beginSession(m, prefixes, sizes, opts, imatrix, session);
      session = r.session;
      if (r.begun.complete) {
        plan = r.begun.plan;
        sessionThreads = r.begun.threads;
        break;
      }
      const k = r.begun.part;
      if (!(r.begun.bytesNeeded > prefixes[k].length)) fail('Format', 'invalid GGUF: header is truncated');
      prefixes[k] = await srcs[k].read(0, r.begun.bytesNeeded);
    }
    if (plan.dryRun) return { plan, bytesWritten: 0, seconds: (performance.now() - t0) / 1000, threads: sessionThreads };

    const tensors = plan.tensors;
    const n = tensors.length;
    const bytesTotal = plan.inputTensorBytes;
    let bytesRead = 0;
    let bytesWritten = 0;
    sinks = await openSinks(output, plan, options);
    // Files are written one after another, each header before its tensors.
    let file = -1;
    const startFile = async (f) => {
      while (file < f) {
        file++;
        const header = unwrap(session.headerBytes(file));
        await sinks[file].write(header);
        bytesWritten += header.length;
      }
    };
    const write = async (i, chunk) => {
      await startFile(tensors[i].outputFile);
      await sinks[file].write(chunk);
      bytesWritten += chunk.length;
    };
    await startFile(0);

    // A tensor's bytes per row (input and output) and its padding, as the C++ session computes them.
    const rowBytes = tensors.map((t) => ({ input: t.inputRowBytes, output: t.outputRowBytes, padding: t.paddingBytes }));
    const readRows = async ({ index, r0, r1 }) => {
      const t = tensors[index];
      const len = (r1 - r0) * rowBytes[index].input;
      if (len === 0) return new Uint8Array(0);
      requireAllocatable(len, `rows ${r0}..${r1} of tensor '${t.name}'`);
      const bytes = await srcs[t.inputFile].read(t.inputOffset + r0 * rowBytes[index].input, len);
      if (bytes.length !== len) fail('Format', `tensor '${t.name}' is cut short by the end of the file`);
      bytesRead += bytes.length;
      return bytes;
    };
    // A chunk's output, then the tensor's padding after its last chunk.
    const writeRows = async ({ index, r0, r1, last }, out) => {
      const want = (r1 - r0) * rowBytes[index].output;
      if (out.length !== want) {
        fail('Internal', `rows ${r0}..${r1} of tensor '${tensors[index].name}' gave ${out.length} bytes, not ${want}`);
      }
      if (out.length > 0) await write(index, out);
      if (last && rowBytes[index].padding > 0) await write(index, new Uint8Array(rowBytes[index].padding));
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

    const chunkValues = options.chunkValues ?? CHUNK_VALUES;
    const chunks = rowChunks(tensors, chunkValues);
    if (workers <= 1) {
      // A pipeline of one module: while the pool's workers convert chunk k
      // (startRows), this thread reads chunk k + 1 and copies it into the
      // module, then joins chunk k (finishRows), starts k + 1 and writes k.
      // The single-threaded module converts in finishRows, so there this is
      // the plain read-convert-write loop.
      const pause = makeYielder();
      const finishChunk = () => {
        const { job, ptr } = started;
        let out;
        try {
          out = ptr ? unwrap(session.finishRows()) : new Uint8Array(0);
        } finally {
          if (ptr) m._free(ptr);
          started = null;
        }
        return { job, out };
      };
      const writeChunk = async ({ job, out }) => {
        await writeRows(job, out);
        if (job.last) progress(job.index);
      };
      for (const job of chunks) {
        ql._check();
        checkSignal(signal);
        const bytes = await readRows(job);
        ql._check();
        checkSignal(signal);
        staged = stageRows(m, job, bytes);
        const done = started ? finishChunk() : null;
        startRows(session, staged); // if it fails, staged is freed below
        [started, staged] = [staged, null];
        if (done) await writeChunk(done);
        await pause();
      }
      if (started) {
        ql._check();
        await writeChunk(finishChunk());
      }
    } else {
      const init = {
        type: 'init',
        prefixes: prefixes.map((p) => p.slice()),
        sizes,
        options: opts,
        imatrix,
        wasmBinary: typeof env.wasmBinary === 'function' ? env.wasmBinary() : null,
      };
      let nChunks = 0;  // no more workers than chunks
      for (const job of rowChunks(tensors, chunkValues)) if (job.r1 > job.r0 && ++nChunks >= workers) break;
      for (let k = 0; k < Math.max(1, nChunks); ++k) pool.push(startWorker());
      const stop = ql._onTerminate(() => {
        for (const w of pool) w.terminate();
      });
      try {
        await Promise.all(pool.map(async (w) => {
          await w.ready;
          await w.call(init);
        }));
        await runPool(pool, chunks, { signal, check: () => ql._check(), readRows, writeRows, progress });
      } finally {
        stop();
      }
    }
    checkSignal(signal);
    await startFile(sinks.length - 1); // files left without tensors still get their header
    if (bytesWritten !== plan.outputSize) {
      fail('Internal', `wrote ${bytesWritten} bytes, the plan promised ${plan.outputSize}`);
    }
    // Only now does any output become final (a path is renamed from .partial).
    const blobs = [];
    for (const sink of sinks) blobs.push(await sink.close());
    // Converter workers run the single-threaded module, one thread each.
    const result = { plan, bytesWritten, seconds: (performance.now() - t0) / 1000, threads: workers <= 1 ? sessionThreads : pool.length };
    if (plan.splitOutput) {
      result.files = sinks.map((sink, k) => ({ name: sink.name, size: plan.outputFiles[k].size, ...(blobs[k] ? { blob: blobs[k] } : {}) }));
    } else if (blobs[0]) {
      result.blob = blobs[0];
    }
    sinks = [];
    return result;
  } catch (e) {
    if (sinks.length > 0) {
      for (const sink of sinks) await sink.abort(e);
    } else if (typeof WritableStream !== 'undefined' && output instanceof WritableStream && !output.locked && !options.dryRun) {
      // Failed before the first byte: the stream will never get a model, so it ends in error too.
      await output.abort(e).catch(() => {});
    }
    throw e;
  } finally {
    for (const w of pool) w.terminate();
    // After ql.terminate() no wasm code runs (a threaded session's pool threads are gone).
    if (!ql.terminated) {
      if (started?.ptr) {
        session.finishRows(); // their input must outlive the workers reading it; the error is the one thrown already
        m._free(started.ptr);
      }
      if (staged?.ptr) m._free(staged.ptr);
      session?.delete();
    }
    for (const src of srcs) await src.close?.();
  }
}

// Reads on this thread, converts on idle workers, writes in file order. At
// most two row chunks per worker are read ahead of the next one to write, so
// memory holds a few chunks, never whole tensors.
async function runPool(pool, chunks, { signal, check, readRows, writeRows, progress }) {
  const idle = [...pool];
  const done = new Map();
  const inflight = new Set();
  let failure = null;
  let nextRead = 0;
  let nextWrite = 0;
  let pending = chunks.next();
  // Wakes the wait for workers when the caller aborts.
  let onAbort = null;
  const aborted = new Promise((resolve) => {
    onAbort = resolve;
    signal?.addEventListener('abort', resolve, { once: true });
  });
  try {
    while (!pending.done || nextWrite < nextRead) {
      check();
      checkSignal(signal);
      while (!pending.done && idle.length > 0 && nextRead - nextWrite < 2 * pool.length && !failure) {
        const job = pending.value;
        const k = nextRead++;
        pending = chunks.next();
        const bytes = await readRows(job);
        check();
        checkSignal(signal);
        if (job.r1 === job.r0) {
          done.set(k, { job, out: new Uint8Array(0) });
          continue;
        }
        const w = idle.pop();
        const buf = ownBuffer(bytes);
        const call = w
          .call({ type: 'rows', index: job.index, r0: job.r0, r1: job.r1, data: buf }, [buf])
          .then(
            (r) => {
              done.set(k, { job, out: new Uint8Array(r.data) });
              idle.push(w);
            },
            (e) => void (failure ??= e),
          )
          .finally(() => inflight.delete(call));
        inflight.add(call);
      }
      if (failure) {
        check(); // a worker stopped by ql.terminate() fails as 'Terminated'
        throw failure;
      }
      while (done.has(nextWrite)) {
        const { job, out } = done.get(nextWrite);
        done.delete(nextWrite);
        await writeRows(job, out);
        if (job.last) progress(job.index);
        nextWrite++;
        checkSignal(signal);
      }
      if (nextWrite < nextRead && !done.has(nextWrite) && inflight.size > 0) await Promise.race([...inflight, aborted]);
      if (failure) {
        check();
        throw failure;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
