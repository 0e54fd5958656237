// Llama models in the browser and Node: streamed loading, tokenization,
// generation and perplexity / KL divergence. Long operations advance one step
// (a token, a chunk) per wasm call and yield to the event loop between
// steps, which is where progress is reported and AbortSignals are honoured.
import { toByteSource } from './byte_source.mjs';
import {
  checkSignal, fail, functionOption, intOption, makeYielder, numberOption, optionsObject, show, signalOption, unwrap,
} from './errors.mjs';

const INT32_MAX = 2 ** 31 - 1;

function copyIn(ql, bytes) {
  const p = ql._alloc(Math.max(1, bytes.length));
  ql._m.HEAPU8.set(bytes, p);
  return p;
}

// Token ids as an Int32Array: an Int32Array as is, or an array of integers
// that fit int32 (anything else would be coerced or wrapped silently).
function tokenIds(ids, what) {
  if (ids instanceof Int32Array) return ids;
  if (!Array.isArray(ids)) fail('InvalidArgument', `${what} must be an Int32Array or an array of integers`);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < -(2 ** 31) || id > INT32_MAX) {
      fail('InvalidArgument', `${what} must be integers in int32 range, got ${show(id)}`);
    }
  }
  return Int32Array.from(ids);
}

// Reads a growing prefix until the header parses; returns {bytes, header}.
async function readHeader(ql, src) {
  let len = Math.min(src.size, 1 << 20);
  for (;;) {
    const bytes = await src.read(0, len);
    const p = copyIn(ql, bytes);
    let r;
    try {
      r = unwrap(ql._m.parseGguf(p, bytes.length, src.size));
    } finally {
      ql._free(p);
    }
    if (r.complete) return { bytes, header: r.header };
    if (!(r.bytesNeeded > len)) fail('Format', 'invalid GGUF: header is truncated');
    len = r.bytesNeeded;
  }
}

export async function parseGgufHeader(ql, source) {
  const src = await toByteSource(source);
  try {
    return (await readHeader(ql, src)).header;
  } finally {
    await src.close();
  }
}

export async function loadModel(ql, source, options) {
  options = optionsObject(options);
  const nCtx = intOption(options.nCtx, 'nCtx', 0, INT32_MAX, 0);
  const onProgress = functionOption(options.onProgress, 'onProgress');
  const signal = signalOption(options.signal);
  const kernel = options.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'ref') fail('InvalidArgument', `kernel must be 'auto' or 'ref', got ${show(kernel)}`);
  const threads = intOption(options.threads, 'threads', 0, 256, 0);  // 0: one per core
  const src = await toByteSource(source);
  const engine = new ql._m.Engine();
  try {
    checkSignal(signal);
    const { bytes } = await readHeader(ql, src);
    const hp = copyIn(ql, bytes);
    let info;
    try {
      info = unwrap(engine.begin(hp, bytes.length, src.size));
    } finally {
      ql._free(hp);
    }
    const dataPtr = info.dataPtr >>> 0;
    const total = info.tensors.reduce((s, t) => s + t.size, 0);
    let loaded = 0;
    for (const t of info.tensors) {
      checkSignal(signal);
      const data = await src.read(t.fileOffset, t.size);
      if (data.length !== t.size) fail('Format', `tensor '${t.name}' is cut short by the end of the file`);
      ql._m.HEAPU8.set(data, dataPtr + t.offset); // re-read HEAPU8: memory may have grown
      loaded += t.size;
      onProgress?.({ phase: 'load', tensor: t.name, loaded, total });
    }
    const modelInfo = unwrap(engine.finish(nCtx, kernel, threads));
    return new Model(ql, engine, info, modelInfo);
  } catch (e) {
    engine.delete();
    throw e;
  } finally {
    await src.close();
  }
}

// Calls step() until it reports done: the signal is checked before each
// step, onProgress sees each, and the event loop gets a turn in between.
async function runSteps(step, signal, onProgress) {
  const pause = makeYielder();
  for (;;) {
    checkSignal(signal);
    const s = step();
    onProgress?.(s);
    if (s.done) return;
    await pause();
  }
}

// Symbol.dispose where the runtime has it (Node 20, recent browsers), so
// `using model = await ql.loadModel(...)` frees the model at scope exit.
export const disposeSymbol = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('nodejs.dispose');

export class Model {
  constructor(ql, engine, header, info) {
    this._ql = ql;
    this._engine = engine;
    this._busy = null;
    this.header = { version: header.version, metadata: header.metadata, tensors: header.tensors };
    this.info = info;
  }

  _live() {
    this._ql._check(); // 'Terminated' before 'disposed': the module is gone, not just this model
    if (!this._engine) fail('InvalidArgument', 'this model was disposed');
    return this._engine;
  }

  // One long operation at a time: perplexity and imatrix runs use the KV
  // cache (and the imatrix observer) across their steps.
  _idle() {
    const engine = this._live();
    if (this._busy) fail('InvalidArgument', `this model is busy with ${this._busy}(); await it (or abort it) first`);
    return engine;
  }

  async _exclusive(what, run) {
    this._idle();
    this._busy = what;
    try {
      return await run();
    } finally {
      this._busy = null;
    }
  }

  /** Token ids of text, with BOS when the vocabulary asks for it and addBos is true. */
  tokenize(text, options) {
    if (typeof text !== 'string') fail('InvalidArgument', 'text must be a string');
    const addBos = optionsObject(options).addBos ?? true;
    return unwrap(this._live().tokenize(text, Boolean(addBos)));
  }

  detokenize(ids) {
    return unwrap(this._live().detokenize(tokenIds(ids, 'ids')));
  }

  /**
   * Generate text, yielding {token, piece} as each token is produced. The
   * first value yielded is {prompt: true, piece: promptText}.
   */
  async *generate(prompt, options) {
    options = optionsObject(options);
    if (typeof prompt !== 'string') fail('InvalidArgument', 'prompt must be a string');
    const nPredict = intOption(options.nPredict, 'nPredict', 0, INT32_MAX, 64);
    const temperature = numberOption(options.temperature, 'temperature', 0.8);
    const topK = intOption(options.topK, 'topK', -INT32_MAX, INT32_MAX, 40);
    const topP = numberOption(options.topP, 'topP', 0.95);
    if (!(topP > 0 && topP <= 1)) fail('InvalidArgument', 'topP must be in (0, 1]');
    const seed = intOption(options.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, 0);
    const signal = signalOption(options.signal);
    // Not exclusive: a caller may drop the iterator half-way. Any later call
    // that runs the model ends this generation (its next step throws).
    checkSignal(signal);
    const start = unwrap(this._idle().generateStart(prompt, nPredict, temperature, topK, topP, seed));
    yield { prompt: true, piece: start.promptText, tokens: start.promptTokens };
    const pause = makeYielder();
    for (;;) {
      checkSignal(signal);
      const step = unwrap(this._live().generateStep());
      if (step.done) {
        this.lastStopReason = step.reason;
        return;
      }
      yield { token: step.token, piece: step.piece };
      await pause();
    }
  }

  /** Generate and collect: {promptText, text, tokens, reason}. onToken(piece) streams. */
  async generateText(prompt, options) {
    options = optionsObject(options);
    const onToken = functionOption(options.onToken, 'onToken');
    let promptText = '';
    let text = '';
    const tokens = [];
    for await (const t of this.generate(prompt, options)) {
      if (t.prompt) {
        promptText = t.piece;
        continue;
      }
      text += t.piece;
      tokens.push(t.token);
      onToken?.(t.piece, t.token);
    }
    return { promptText, text, tokens, reason: this.lastStopReason };
  }

  /**
   * Perplexity as llama-perplexity computes it. options: ctx (default 512),
   * chunks (default all), onProgress({chunk, nChunks, runningPpl}), signal,
   * keepLogprobs (keep this run as a KL-divergence base), base (a Model whose
   * last run kept log-probs: adds a `kld` block comparing against it).
   */
  async perplexity(text, options) {
    options = optionsObject(options);
    if (typeof text !== 'string') fail('InvalidArgument', 'text must be a string');
    const ctx = intOption(options.ctx, 'ctx', 0, INT32_MAX, 512);
    const chunks = intOption(options.chunks, 'chunks', 0, Number.MAX_SAFE_INTEGER, 0);
    const onProgress = functionOption(options.onProgress, 'onProgress');
    const signal = signalOption(options.signal);
    const keepLogprobs = Boolean(options.keepLogprobs);
    const base = options.base ?? null;
    if (base !== null && !(base instanceof Model)) fail('InvalidArgument', 'base must be a Model');
    return this._exclusive('perplexity', async () => {
      const engine = this._live();
      const start = unwrap(engine.pplStart(text, ctx, chunks, keepLogprobs, base ? base._live() : null));
      let finished = false;
      try {
        await runSteps(() => unwrap(this._live().pplStep()), signal, onProgress);
        const result = { nTokens: start.nTokens, ...unwrap(this._live().pplResult()) };
        finished = true;
        return result;
      } finally {
        // A cancelled or failed run frees what it held (a no-op after the result).
        if (!finished && this._engine && !this._ql.terminated) this._engine.pplCancel();
      }
    });
  }

  /**
   * Importance matrix as llama-imatrix computes it over a calibration text,
   * returned as the bytes of a GGUF imatrix file (usable as
   * quantizeModel(..., {imatrix: bytes})). options: ctx (default 512),
   * chunks (default all), dataset (name recorded in the file, default
   * 'calibration.txt'), onProgress({chunk, nChunks, done}), signal.
   */
  async computeImatrix(text, options) {
    options = optionsObject(options);
    if (typeof text !== 'string') fail('InvalidArgument', 'text must be a string');
    const ctx = intOption(options.ctx, 'ctx', 0, INT32_MAX, 512);
    const chunks = intOption(options.chunks, 'chunks', 0, Number.MAX_SAFE_INTEGER, 0);
    const dataset = options.dataset ?? 'calibration.txt';
    if (typeof dataset !== 'string') fail('InvalidArgument', 'dataset must be a string');
    const onProgress = functionOption(options.onProgress, 'onProgress');
    const signal = signalOption(options.signal);
    return this._exclusive('computeImatrix', async () => {
      checkSignal(signal);
      unwrap(this._live().imatrixStart(text, ctx, chunks, dataset));
      try {
        await runSteps(() => unwrap(this._live().imatrixStep()), signal, onProgress);
        return unwrap(this._live().imatrixResult());
      } finally {
        // Detaches the collector when aborted or failed (a no-op after the result).
        if (this._engine && !this._ql.terminated) this._engine.imatrixCancel();
      }
    });
  }

  /**
   * Low level: run the forward pass over token ids (appending to the KV cache
   * unless reset) and return the compute time in ms. Used by benchmarks.
   */
  evaluate(tokens, options) {
    const reset = optionsObject(options).reset ?? true;
    const ids = tokenIds(tokens, 'tokens');
    return unwrap(this._idle().decodeTimed(ids, Boolean(reset)));
  }

  /** Sum of -log p(tokens[i+1] | tokens[0..i]) from an empty cache: {nll, n}. */
  nll(tokens) {
    return unwrap(this._idle().nll(tokenIds(tokens, 'tokens')));
  }

  /** Frees the model's wasm memory. Safe to call twice; later calls on the model throw. */
  dispose() {
    // After ql.terminate() no wasm code may run (the model's threads are
    // gone): the heap is dropped whole with the instance instead.
    if (!this._ql.terminated) this._engine?.delete();
    this._engine = null;
  }

  [disposeSymbol]() {
    this.dispose();
  }
}
