// The quantlab JavaScript API, shared by the browser and Node entry points.
// It owns all traffic with the wasm heap: typed arrays are copied in with
// HEAP*.set, results copied out with slice(), and every allocation is freed
// in a finally block so a failed call leaves the module exactly as usable as
// before.
import { allocate, fail, intOption, numberOption, optionsObject, QuantlabError, show, unwrap } from './errors.mjs';
import { disposeSymbol, loadModel, parseGgufHeader } from './model.mjs';
import { planMixedPrecision, scanSensitivity } from './mixed_precision.mjs';
import { watchPthreadStart } from './module_variant.mjs';
import { quantizeModel } from './quantize_model.mjs';

export { QuantlabError };

function requireType(type) {
  if (typeof type !== 'string' || type.length === 0) {
    fail('InvalidArgument', 'type must be a format name such as "q4_K"');
  }
}

function requireFloat32Array(x, what) {
  if (!(x instanceof Float32Array)) fail('InvalidArgument', `${what} must be a Float32Array`);
}

function kernelName(options) {
  const k = options.kernel ?? 'auto';
  if (!['auto', 'ref', 'scalar', 'simd128'].includes(k)) {
    fail('InvalidArgument', `unknown kernel '${show(k)}' (use auto, ref or simd128)`);
  }
  return k;
}

export class Quantlab {
  /** @param {object} module an instantiated Emscripten module */
  constructor(module) {
    if (!module || typeof module.formats !== 'function' || typeof module._malloc !== 'function') {
      fail('InvalidArgument', 'a Quantlab wraps an instantiated quantlab module: use loadQuantlab()');
    }
    this._module = module;
    this._terminators = new Set();
    this._formats = module.formats();
    this._byName = new Map(this._formats.map((f) => [f.name.toLowerCase(), f]));
    const info = module.buildInfo();
    this.simd128 = info.simd128;
    this.defaultKernel = info.defaultKernel;
    // The threaded build (-pthread) says so; instantiate() then sets how
    // many threads it was loaded with.
    this.pthreads = info.pthreads === true;
    this.threads = 1;
  }

  /** The wasm module; after terminate() every use throws QuantlabError 'Terminated'. */
  get _m() {
    if (!this._module) {
      fail('Terminated', 'this Quantlab instance was terminated (ql.terminate()); load a new one with loadQuantlab()');
    }
    return this._module;
  }

  /** Throws 'Terminated' once terminate() ran: long operations call it between steps. */
  _check() {
    void this._m;
  }

  /** True once terminate() ran. */
  get terminated() {
    return this._module === null;
  }

  // fn runs when terminate() does (a quantizeModel run stops its workers);
  // returns the function that unregisters it.
  _onTerminate(fn) {
    this._terminators.add(fn);
    return () => this._terminators.delete(fn);
  }

  /**
   * Releases what keeps the module alive: the threaded build's pthread
   * workers and the workers of a running quantizeModel. No wasm code runs
   * afterwards (a model's threads are gone with the workers), so models and
   * scans are not freed one by one: the whole heap goes with the instance
   * once nothing references it. Every later call, on this instance or on a
   * model or scan it made, throws QuantlabError 'Terminated'; calling it
   * again does nothing.
   */
  terminate() {
    const m = this._module;
    if (!m) return;
    this._module = null;
    for (const fn of [...this._terminators]) {
      try {
        fn();
      } catch {
        // Stopping is best effort: every worker is still told to stop.
      }
    }
    this._terminators.clear();
    // emscripten's pthread runtime (the threaded build only): terminates its workers.
    m.PThread?.terminateAllThreads?.();
  }

  /** The same as terminate(). */
  dispose() {
    this.terminate();
  }

  /** The same as terminate(), for `using ql = await loadQuantlab()`. */
  [disposeSymbol]() {
    this.terminate();
  }

  /** The traits table: one entry per tensor type. */
  formats() {
    this._check();
    return this._formats.map((f) => ({ ...f }));
  }

  /** Traits of one type by ggml name (case-insensitive). */
  format(type) {
    this._check();
    requireType(type);
    const f = this._byName.get(type.toLowerCase());
    if (!f) {
      fail('UnknownType', `unknown tensor type '${type}' (known: ${this._formats.map((x) => x.name).join(', ')})`);
    }
    return { ...f };
  }

  /** Bytes that n values occupy in `type`. */
  quantizedSize(type, n) {
    requireType(type);
    if (!Number.isSafeInteger(n) || n <= 0) fail('InvalidArgument', 'length must be a positive integer');
    return unwrap(this._m.quantizedSize(type, n));
  }

  /**
   * Quantize a Float32Array. options.rows splits it into equal rows (default 1),
   * options.imatrix gives one importance weight per column, options.threads
   * shares the rows out (default 0: the module's threads; same bytes for any count).
   */
  quantize(input, type, options) {
    requireFloat32Array(input, 'input');
    requireType(type);
    options = optionsObject(options);
    const kernel = kernelName(options);
    const rows = options.rows ?? 1;
    if (!Number.isSafeInteger(rows) || rows <= 0 || input.length % rows !== 0) {
      fail('BadLength', `${input.length} values cannot be split into ${show(rows)} rows`);
    }
    const imatrix = options.imatrix ?? null;
    if (imatrix !== null) requireFloat32Array(imatrix, 'imatrix');
    const threads = intOption(options.threads, 'threads', 0, 256, 0);
    if (input.length === 0) fail('InvalidArgument', 'input tensor is empty');
    const outLen = this.quantizedSize(type, input.length);
    const m = this._m;
    let x = 0, out = 0, w = 0;
    try {
      x = this._alloc(input.length * 4);
      out = this._alloc(outLen);
      m.HEAPF32.set(input, x >>> 2);
      let wLen = 0;
      if (imatrix) {
        wLen = imatrix.length;
        w = this._alloc(Math.max(4, wLen * 4));
        m.HEAPF32.set(imatrix, w >>> 2);
      }
      unwrap(m.quantizeIntoHeap(type, x, input.length, out, outLen, input.length / rows, w, wLen, kernel, threads));
      return m.HEAPU8.slice(out, out + outLen);
    } finally {
      this._free(x, out, w);
    }
  }

  /** Expand n values of `type` from `data` (a Uint8Array) back to a Float32Array. */
  dequantize(data, type, n, options) {
    if (!(data instanceof Uint8Array)) fail('InvalidArgument', 'data must be a Uint8Array');
    requireType(type);
    options = optionsObject(options);
    const kernel = kernelName(options);
    const threads = intOption(options.threads, 'threads', 0, 256, 0);
    if (!Number.isSafeInteger(n) || n <= 0) fail('InvalidArgument', 'n must be a positive integer');
    if (data.length === 0) fail('InvalidArgument', 'quantized input is empty');
    // Sizes are checked before anything is allocated for them.
    const need = this.quantizedSize(type, n);
    if (need !== data.length) {
      fail('BufferSize', `${n} values of ${this.format(type).name} take ${need} bytes, got ${data.length}`);
    }
    const m = this._m;
    let q = 0, y = 0;
    try {
      y = this._alloc(n * 4); // the larger one first: an OutOfMemory before the heap grows for the input
      q = this._alloc(data.length);
      m.HEAPU8.set(data, q);
      unwrap(m.dequantizeIntoHeap(type, q, data.length, y, n, kernel, threads));
      return m.HEAPF32.slice(y >>> 2, (y >>> 2) + n);
    } finally {
      this._free(q, y);
    }
  }

  /**
   * Compare an original tensor with its reconstruction: MAE, max |error|,
   * RMSE, SNR (dB), cosine similarity and a histogram of signed errors.
   */
  errorStats(original, reconstructed, options) {
    requireFloat32Array(original, 'original');
    requireFloat32Array(reconstructed, 'reconstructed');
    if (original.length !== reconstructed.length) {
      fail('BufferSize', `arrays differ in length (${original.length} vs ${reconstructed.length})`);
    }
    if (original.length === 0) fail('InvalidArgument', 'error statistics need two non-empty arrays');
    options = optionsObject(options);
    const bins = options.bins ?? 0;
    const range = numberOption(options.range ?? 0, 'range');
    if (!Number.isInteger(bins) || bins < 0 || bins > 100000) fail('InvalidArgument', 'bins must be an integer in 0..100000');
    const m = this._m;
    let a = 0, b = 0;
    try {
      a = this._alloc(original.length * 4);
      b = this._alloc(original.length * 4);
      m.HEAPF32.set(original, a >>> 2);
      m.HEAPF32.set(reconstructed, b >>> 2);
      return unwrap(m.errorStatsOfHeap(a, b, original.length, bins, range));
    } finally {
      this._free(a, b);
    }
  }

  /**
   * Load a GGUF model from an ArrayBuffer, Uint8Array, Blob/File, a
   * {size, read(offset, length)} byte source, or (Node) a file path. Tensors
   * are streamed into wasm memory one at a time.
   */
  loadModel(source, options) {
    return loadModel(this, source, options);
  }

  /** Parse only the GGUF header (metadata and tensor table) of a model file. */
  readGgufHeader(source) {
    return parseGgufHeader(this, source);
  }

  /**
   * Quantize a whole GGUF model like llama-quantize, streamed tensor by
   * tensor from any byte source into a Blob, a stream, a sink or (Node) a file.
   */
  quantizeModel(input, options) {
    return quantizeModel(this, input, options);
  }

  /**
   * Mixed precision: the damage of quantizing each tensor alone in every
   * candidate format, measured on a calibration text; plans at any budget.
   */
  scanSensitivity(model, options = {}) {
    return scanSensitivity(this, model, options);
  }

  /** One format per tensor for a size or bits-per-weight target: scan, plan, verify. */
  planMixedPrecision(model, options = {}) {
    return planMixedPrecision(this, model, options);
  }

  /** The model file types quantizeModel accepts: [{name, id, description}]. */
  quantizeTypes() {
    return this._m.quantizeFtypes();
  }

  /**
   * Time a rows × cols weight matrix of `type` times nTokens activation
   * columns through the engine's kernel path (activations quantized to the
   * type's vecDotType, then its gemm): {seconds, gflops, weightGBps, ...}.
   */
  benchMatmul(type, options) {
    requireType(type);
    const { rows, cols, nTokens, minMs, maxReps, seed, threads } = optionsObject(options);
    return unwrap(this._m.benchMatmul(type, { rows, cols, nTokens, minMs, maxReps, seed, threads }));
  }

  /**
   * A llama model of the given shape that exists only as its GGUF header:
   * a {size, read} source whose tensor data reads as zeros, for
   * quantizeModel(source, {dryRun: true}) size plans of models you do not have.
   */
  syntheticLlama(shape, options) {
    const type = optionsObject(options).type ?? 'F16';
    requireType(type);
    const { header, fileSize, nParams } = unwrap(this._m.llamaShapedGguf(shape ?? null, type));
    return {
      size: fileSize,
      nParams,
      async read(offset, length) {
        const n = Math.max(0, Math.min(length, fileSize - offset));
        const out = new Uint8Array(n);
        if (offset < header.length) out.set(header.subarray(offset, Math.min(header.length, offset + n)));
        return out;
      },
    };
  }

  /**
   * The WebAssembly heap: its size, the bytes allocated now, the most it has
   * ever held, and the live engine objects behind models and quantizations.
   */
  memoryUsage() {
    return this._m.memoryUsage();
  }

  _alloc(bytes) {
    return allocate(this._m, bytes);
  }

  _free(...ptrs) {
    for (const p of ptrs) if (p) this._m._free(p);
  }
}

/** Instantiate a module factory (emscripten's createQuantlabModule) and wrap it. */
// threads: how many threads the module's pools run (its pthread workers + 1;
// 1 for the single-threaded build).
export async function instantiate(factory, moduleOptions, threads = 1) {
  moduleOptions = optionsObject(moduleOptions);
  let module;
  try {
    const pending = factory(moduleOptions);
    // emscripten made moduleOptions its Module: the threaded build has a
    // PThread pool there, whose workers must start or fail the load.
    module = await (moduleOptions.PThread ? watchPthreadStart(moduleOptions, pending) : pending);
  } catch (e) {
    try {
      moduleOptions.PThread?.terminateAllThreads?.();
    } catch {
      // Stopping the workers of a failed load is best effort.
    }
    throw new QuantlabError('LoadFailed', `could not load the quantlab WebAssembly module: ${e?.message ?? show(e)}`, { cause: e });
  }
  const ql = new Quantlab(module);
  if (ql.pthreads) {
    module.setDefaultThreads(threads);
    ql.threads = threads;
  }
  return ql;
}
