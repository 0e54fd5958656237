// Llama models in the browser and Node: streamed loading, tokenization,
// generation and perplexity / KL divergence. Long operations advance one step
// (a token, a chunk) per wasm call and yield to the event loop between
// steps, which is where progress is reported and AbortSignals are honoured.
import { toByteSource } from './byte_source.mjs';
import { checkSignal, fail, makeYielder, unwrap } from './errors.mjs';

function copyIn(ql, bytes) {
  const p = ql._alloc(Math.max(1, bytes.length));
  ql._m.HEAPU8.set(bytes, p);
  return p;
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
    await src.close?.();
  }
}

export async function loadModel(ql, source, options = {}) {
  const { nCtx = 0, onProgress, signal, kernel = 'auto', threads = 0 } = options;
  if (!Number.isSafeInteger(nCtx) || nCtx < 0) fail('InvalidArgument', 'nCtx must be a non-negative integer');
  if (!Number.isSafeInteger(threads) || threads < 0 || threads > 256) {
    fail('InvalidArgument', 'threads must be an integer from 0 (one per core) to 256');
  }
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
    await src.close?.();
  }
}

export class Model {
  constructor(ql, engine, header, info) {
    this._ql = ql;
    this._engine = engine;
    this.header = { version: header.version, metadata: header.metadata, tensors: header.tensors };
    this.info = info;
  }

  _live() {
    if (!this._engine) fail('InvalidArgument', 'this model was disposed');
    return this._engine;
  }

  /** Token ids of text, with BOS when the vocabulary asks for it and addBos is true. */
  tokenize(text, { addBos = true } = {}) {
    if (typeof text !== 'string') fail('InvalidArgument', 'text must be a string');
    return unwrap(this._live().tokenize(text, addBos));
  }

  detokenize(ids) {
    if (!(ids instanceof Int32Array) && !Array.isArray(ids)) fail('InvalidArgument', 'ids must be an Int32Array or array');
    return unwrap(this._live().detokenize(ids));
  }

  /**
   * Generate text, yielding {token, piece} as each token is produced. The
   * first value yielded is {prompt: true, piece: promptText}.
   */
  async *generate(prompt, options = {}) {
    const { nPredict = 64, temperature = 0.8, topK = 40, topP = 0.95, seed = 0, signal } = options;
    if (typeof prompt !== 'string') fail('InvalidArgument', 'prompt must be a string');
    if (!(topP > 0 && topP <= 1)) fail('InvalidArgument', 'topP must be in (0, 1]');
    const engine = this._live();
    checkSignal(signal);
    const start = unwrap(engine.generateStart(prompt, nPredict, temperature, topK, topP, seed));
    yield { prompt: true, piece: start.promptText, tokens: start.promptTokens };
    const pause = makeYielder();
    for (;;) {
      checkSignal(signal);
      const step = unwrap(engine.generateStep());
      if (step.done) {
        this.lastStopReason = step.reason;
        return;
      }
      yield { token: step.token, piece: step.piece };
      await pause();
    }
  }

  /** Generate and collect: {promptText, text, tokens, reason}. onToken(piece) streams. */
  async generateText(prompt, options = {}) {
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
      options.onToken?.(t.piece, t.token);
    }
    return { promptText, text, tokens, reason: this.lastStopReason };
  }

  /**
   * Perplexity as llama-perplexity computes it. options: ctx (default 512),
   * chunks (default all), onProgress({chunk, nChunks, runningPpl}), signal,
   * keepLogprobs (keep this run as a KL-divergence base), base (a Model whose
   * last run kept log-probs: adds a `kld` block comparing against it).
   */
  async perplexity(text, options = {}) {
    const { ctx = 512, chunks = 0, onProgress, signal, keepLogprobs = false, base = null } = options;
    if (typeof text !== 'string') fail('InvalidArgument', 'text must be a string');
    if (base !== null && !(base instanceof Model)) fail('InvalidArgument', 'base must be a Model');
    const engine = this._live();
    const start = unwrap(engine.pplStart(text, ctx, chunks, keepLogprobs, base ? base._live() : null));
    const pause = makeYielder();
    for (;;) {
      checkSignal(signal);
      const step = unwrap(engine.pplStep());
      onProgress?.(step);
      if (step.done) break;
      await pause();
    }
    return { nTokens: start.nTokens, ...unwrap(engine.pplResult()) };
  }

  /**
   * Importance matrix as llama-imatrix computes it over a calibration text,
   * returned as the bytes of a GGUF imatrix file (usable as
   * quantizeModel(..., {imatrix: bytes})). options: ctx (default 512),
   * chunks (default all), dataset (name recorded in the file, default
   * 'calibration.txt'), onProgress({chunk, nChunks, done}), signal.
   */
  async computeImatrix(text, options = {}) {
    const { ctx = 512, chunks = 0, dataset = 'calibration.txt', onProgress, signal } = options;
    if (typeof text !== 'string') fail('InvalidArgument', 'text must be a string');
    if (typeof dataset !== 'string') fail('InvalidArgument', 'dataset must be a string');
    const engine = this._live();
    checkSignal(signal);
    unwrap(engine.imatrixStart(text, ctx, chunks, dataset));
    try {
      const pause = makeYielder();
      for (;;) {
        checkSignal(signal);
        const step = unwrap(engine.imatrixStep());
        onProgress?.(step);
        if (step.done) break;
        await pause();
      }
      return unwrap(engine.imatrixResult());
    } finally {
      // Detaches the collector when aborted or failed (a no-op after the result).
      if (this._engine) engine.imatrixCancel();
    }
  }

  /**
   * Low level: run the forward pass over token ids (appending to the KV cache
   * unless reset) and return the compute time in ms. Used by benchmarks.
   */
  evaluate(tokens, { reset = true } = {}) {
    return unwrap(this._live().decodeTimed(Int32Array.from(tokens), reset));
  }

  /** Sum of -log p(tokens[i+1] | tokens[0..i]) from an empty cache: {nll, n}. */
  nll(tokens) {
    return unwrap(this._live().nll(Int32Array.from(tokens)));
  }

  /** Frees the model's wasm memory. */
  dispose() {
    this._engine?.delete();
    this._engine = null;
  }
}
