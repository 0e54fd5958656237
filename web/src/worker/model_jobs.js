// Whole-model work: perplexity and KL divergence per file type (tutorial
// step 4, the perplexity lab, the atlas's quality column), generation, and
// the engine's tokens/s. Models and the base model's log-probabilities are
// cached in this worker, keyed by source, context and text.
import { usesImatrixFileType } from '../lib/catalog.js';
import { heldoutText, sourceBlob, sourceKey, sourceName, textKey } from './sources.js';

const cancelled = () => Object.assign(new Error('the operation was cancelled'), { name: 'QuantlabError', code: 'Cancelled' });

export function modelJobs(ql) {
  const models = new Map(); // key -> {model, blob, name}
  let base = null; // {key, model, result}: the model whose last run kept log-probs
  const imatrices = new Map(); // source+text+ctx -> Uint8Array

  async function getModel(key, blob, name, nCtx, signal) {
    const k = `${key}|${nCtx}`;
    let m = models.get(k);
    if (!m) {
      const model = await ql.loadModel(blob, { nCtx, signal });
      m = { model, blob, name };
      models.set(k, m);
    }
    return m;
  }

  function dropModels(keep = () => false) {
    for (const [k, m] of models) {
      if (keep(k)) continue;
      if (base?.model === m.model) base = null;
      m.model.dispose();
      models.delete(k);
    }
  }

  async function textOf(args) {
    return typeof args.text === 'string' && args.text.length > 0 ? args.text : heldoutText();
  }

  async function imatrixFor(source, blob, text, ctx, chunks, signal, progress) {
    const k = `${sourceKey(source)}|${textKey(text)}|${ctx}|${chunks}`;
    if (!imatrices.has(k)) {
      const { model } = await getModel(sourceKey(source), blob, sourceName(source), ctx, signal);
      progress?.({ phase: 'imatrix', fraction: 0 });
      const bytes = await model.computeImatrix(text, {
        ctx, chunks, dataset: 'heldout.txt', signal,
        onProgress: (p) => progress?.({ phase: 'imatrix', fraction: p.chunk / p.nChunks }),
      });
      imatrices.set(k, bytes);
    }
    return imatrices.get(k);
  }

  /** A quantized copy of a source as a Blob (cached while the worker lives). */
  const quantized = new Map();
  async function quantizedBlob(source, type, { text, ctx, chunks, signal, progress }) {
    const k = `${sourceKey(source)}|${type}`;
    if (quantized.has(k)) return quantized.get(k);
    const blob = await sourceBlob(source);
    const plan = (await ql.quantizeModel(blob, { type, dryRun: true })).plan;
    let imatrix = null;
    // The types llama-quantize refuses without an imatrix, and the other
    // lattice types, which llama.cpp users quantize with one too.
    if (plan.needsImatrix || usesImatrixFileType(type)) imatrix = await imatrixFor(source, blob, text, ctx, chunks, signal, progress);
    progress?.({ phase: 'quantize', fraction: 0 });
    const t0 = performance.now();
    const r = await ql.quantizeModel(blob, {
      type, signal, imatrix: imatrix ?? undefined, imatrixName: imatrix ? 'heldout.txt' : undefined,
      onProgress: (p) => progress?.({ phase: 'quantize', fraction: p.bytesRead / p.bytesTotal }),
    });
    const entry = { blob: r.blob, plan: r.plan, imatrix: !!imatrix, seconds: (performance.now() - t0) / 1000 };
    quantized.set(k, entry);
    return entry;
  }

  async function baseRun(source, text, ctx, chunks, signal, progress) {
    const key = `${sourceKey(source)}|${textKey(text)}|${ctx}|${chunks}`;
    if (base?.key === key) return base;
    const blob = await sourceBlob(source);
    const { model } = await getModel(sourceKey(source), blob, sourceName(source), ctx, signal);
    const t0 = performance.now();
    const result = await model.perplexity(text, {
      ctx, chunks, keepLogprobs: true, signal,
      onProgress: (p) => progress?.({ phase: 'ppl', fraction: p.chunk / p.nChunks, runningPpl: p.runningPpl }),
    });
    const seconds = (performance.now() - t0) / 1000;
    base = {
      key, model,
      result: {
        name: sourceName(source), bytes: blob.size, bpw: model.info.bitsPerWeight, nParams: model.info.nParams,
        ppl: result.ppl, pplError: result.pplError, nScored: result.nScored, nChunks: result.nChunks,
        nTokens: result.nTokens, runningPpl: result.runningPpl, seconds,
        tokensPerSecond: (result.nChunks * ctx) / seconds,
      },
    };
    return base;
  }

  function kldRow(type, q, r, seconds, ctx) {
    const k = r.kld;
    return {
      type, bytes: q.blob.size, bpw: q.plan.bitsPerWeight, imatrix: q.imatrix,
      ppl: r.ppl, pplError: r.pplError, pplDiff: k.pplDiff, pplDiffError: k.pplDiffError,
      pplRatio: k.pplRatio, pplRatioError: k.pplRatioError,
      kld: k.kldMean, kldError: k.kldError, kldP99: k.kld.p99, kldMax: k.kld.max,
      sameTop: k.sameTop, sameTopError: k.sameTopError, significant: k.significant, pValue: k.pValue, z: k.z,
      runningPpl: r.runningPpl, seconds, tokensPerSecond: (r.nChunks * ctx) / seconds,
    };
  }

  return {
    heldoutText: () => heldoutText(),

    async modelHeader({ source }) {
      const blob = await sourceBlob(source);
      const h = await ql.readGgufHeader(blob);
      return { name: sourceName(source), size: blob.size, version: h.version, metadata: h.metadata, nTensors: h.tensors.length,
        tensors: h.tensors.map((t) => ({ name: t.name, type: t.type, shape: t.shape, size: t.size })) };
    },

    /**
     * Perplexity of the source, then of each file type quantized from it,
     * with KL divergence against the source. Rows arrive as progress events
     * ({row}) as they finish; the result has them all.
     */
    async measure(args, { signal, progress }) {
      const { source, ctx = 256, chunks = 0, types = [] } = args;
      const text = await textOf(args);
      const report = (type, index, p) => progress({ type, index, total: types.length + 1, ...p });
      const b = await baseRun(source, text, ctx, chunks, signal, (p) => report('original', 0, p));
      progress({ type: 'original', index: 0, total: types.length + 1, base: b.result, done: true });
      const rows = [];
      for (const [i, type] of types.entries()) {
        if (signal.aborted) throw cancelled();
        const onP = (p) => report(type, i + 1, p);
        let row;
        try {
          const q = await quantizedBlob(source, type, { text, ctx, chunks, signal, progress: onP });
          const qm = await ql.loadModel(q.blob, { nCtx: ctx, signal });
          try {
            const t0 = performance.now();
            const r = await qm.perplexity(text, {
              ctx, chunks, base: b.model, signal,
              onProgress: (p) => onP({ phase: 'ppl', fraction: p.chunk / p.nChunks, runningPpl: p.runningPpl }),
            });
            row = kldRow(type, q, r, (performance.now() - t0) / 1000, ctx);
          } finally {
            qm.dispose();
          }
        } catch (e) {
          if (e.code === 'Cancelled') throw e;
          row = { type, error: { code: e.code ?? 'Internal', message: e.message } };
        }
        rows.push(row);
        progress({ type, index: i + 1, total: types.length + 1, row, done: true });
      }
      return { base: b.result, rows, ctx, chunks, textLength: text.length };
    },

    /** Perplexity/KLD of one file against another (the quantize page's check). */
    async compare(args, { signal, progress }) {
      const { original, quantized: qsrc, ctx = 256, chunks = 0 } = args;
      const text = await textOf(args);
      const b = await baseRun(original, text, ctx, chunks, signal, (p) => progress({ model: 'original', ...p }));
      const qblob = await sourceBlob(qsrc);
      const qm = await ql.loadModel(qblob, { nCtx: ctx, signal });
      try {
        const t0 = performance.now();
        const r = await qm.perplexity(text, {
          ctx, chunks, base: b.model, signal,
          onProgress: (p) => progress({ model: 'quantized', phase: 'ppl', fraction: p.chunk / p.nChunks, runningPpl: p.runningPpl }),
        });
        return { base: b.result, row: kldRow(sourceName(qsrc), { blob: qblob, plan: { bitsPerWeight: qm.info.bitsPerWeight }, imatrix: false }, r, (performance.now() - t0) / 1000, ctx) };
      } finally {
        qm.dispose();
      }
    },

    async computeImatrix(args, { signal, progress }) {
      const { source, ctx = 256, chunks = 0 } = args;
      const text = await textOf(args);
      const blob = await sourceBlob(source);
      const bytes = await imatrixFor(source, blob, text, ctx, chunks, signal, progress);
      return bytes.slice();
    },

    /** Stream generated text (progress {piece}); timing of prompt and generation. */
    async generate(args, { signal, progress }) {
      const { source, type = null, prompt, nPredict = 64, temperature = 0, topK = 40, topP = 0.95, seed = 1, nCtx = 0 } = args;
      let blob = await sourceBlob(source);
      let key = sourceKey(source);
      let name = sourceName(source);
      if (type) {
        const q = await quantizedBlob(source, type, { text: await heldoutText(), ctx: 256, chunks: 0, signal });
        blob = q.blob;
        key = `${key}|${type}`;
        name = type;
      }
      const { model } = await getModel(key, blob, name, nCtx, signal);
      const t0 = performance.now();
      let tPrompt = 0;
      let nPrompt = 0;
      let n = 0;
      let text = '';
      for await (const t of model.generate(prompt, { nPredict, temperature, topK, topP, seed, signal })) {
        if (t.prompt) {
          tPrompt = performance.now();
          nPrompt = t.tokens.length;
          progress({ prompt: t.piece });
          continue;
        }
        n++;
        text += t.piece;
        progress({ piece: t.piece, n });
      }
      const t1 = performance.now();
      return {
        name, text, nPrompt, nGenerated: n, stop: model.lastStopReason,
        promptMs: tPrompt - t0, genMs: t1 - tPrompt,
        promptTokensPerSecond: nPrompt / ((tPrompt - t0) / 1000),
        tokensPerSecond: n / ((t1 - tPrompt) / 1000),
        bpw: model.info.bitsPerWeight, bytes: blob.size,
      };
    },

    /** The engine's prompt (pp) and generation (tg) tokens/s, as llama-bench's tests. */
    async engineBench({ source, type = null, nPrompt = 128, nGen = 32 }, { signal }) {
      let blob = await sourceBlob(source);
      let key = sourceKey(source);
      if (type) {
        blob = (await quantizedBlob(source, type, { text: await heldoutText(), ctx: 256, chunks: 0, signal })).blob;
        key = `${key}|${type}`;
      }
      const nCtx = Math.max(nPrompt, nGen) + 1;
      const { model } = await getModel(key, blob, type ?? sourceName(source), nCtx, signal);
      const V = model.info.nVocab;
      const ids = Array.from({ length: Math.max(nPrompt, nGen) }, (_, i) => 1 + ((i * 7919) % (V - 1)));
      model.evaluate(ids.slice(0, nPrompt)); // warm-up
      const ppMs = model.evaluate(ids.slice(0, nPrompt), { reset: true });
      if (signal.aborted) throw cancelled();
      let tgMs = model.evaluate([ids[0]], { reset: true });
      for (let i = 1; i < nGen; i++) tgMs += model.evaluate([ids[i]], { reset: false });
      return { type: type ?? 'original', bpw: model.info.bitsPerWeight, bytes: blob.size, pp: (1000 * nPrompt) / ppMs, tg: (1000 * nGen) / tgMs, nPrompt, nGen };
    },

    /** Free every cached model (the perplexity lab's "new source"). */
    dropModels() {
      dropModels();
      quantized.clear();
      return true;
    },
  };
}
