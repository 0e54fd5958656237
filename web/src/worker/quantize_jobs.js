// Whole-file quantization (the "Quantize a model" page) and size plans of
// models nobody has to download (tutorial step 5): llama-quantize's planner
// on a header, then a streamed run into a file on disk or a Blob.
import { sourceBlob, sourceName } from './sources.js';

// The options the page may pass through to ql.quantizeModel.
const PASS = ['type', 'pure', 'outputTensorType', 'tokenEmbeddingType', 'tensorTypes', 'allowRequantize', 'leaveOutputTensor'];

function options(o) {
  const r = {};
  for (const k of PASS) if (o[k] !== undefined && o[k] !== null && o[k] !== '') r[k] = o[k];
  return r;
}

function planSummary(plan) {
  return {
    ...plan,
    tensors: plan.tensors.map((t) => ({
      name: t.name, shape: t.shape, oldType: t.oldType, newType: t.newType, oldBytes: t.oldBytes, newBytes: t.newBytes,
      fellBack: t.fellBack, fallbackFrom: t.fallbackFrom, override: t.override, requiresImatrix: t.requiresImatrix,
    })),
  };
}

export function quantizeJobs(ql) {
  return {
    /** Dry run: the per-tensor plan, sizes and warnings; nothing is read past the header. */
    async plan({ source, opts, imatrix }) {
      const blob = await sourceBlob(source);
      const r = await ql.quantizeModel(blob, { ...options(opts), imatrix: imatrix ?? undefined, dryRun: true });
      return { name: sourceName(source), inputSize: blob.size, plan: planSummary(r.plan) };
    },

    /**
     * The real run. output: {kind: 'handle', handle} writes through the File
     * System Access API (the file streams to disk), {kind: 'blob'} returns a
     * Blob. imatrix: bytes of an imatrix file, or null.
     */
    async run({ source, opts, imatrix, imatrixName, workers = 1, output }, { signal, progress }) {
      const blob = await sourceBlob(source);
      let writable = null;
      if (output?.kind === 'handle') writable = await output.handle.createWritable();
      let last = 0;
      try {
        const r = await ql.quantizeModel(blob, {
          ...options(opts), workers, signal, output: writable ?? undefined,
          imatrix: imatrix ?? undefined, imatrixName: imatrix ? imatrixName : undefined,
          onProgress: (p) => {
            const now = performance.now();
            if (now - last < 50 && p.index + 1 < p.nTensors) return; // enough for a progress bar
            last = now;
            progress(p);
          },
        });
        writable = null; // quantizeModel closed it
        const out = { bytesWritten: r.bytesWritten, seconds: r.seconds, plan: planSummary(r.plan) };
        if (r.blob) out.blob = r.blob;
        if (output?.kind === 'handle') out.file = await output.handle.getFile();
        return out;
      } catch (e) {
        // quantizeModel aborted the stream: the picked file is left as it was.
        if (writable) await writable.abort?.().catch(() => {});
        throw e;
      }
    },

    /**
     * Size of a llama of the given shape in each file type, from the real
     * per-tensor plan of its header (tensor data never exists).
     */
    async shapePlans({ shape, types, sourceType = 'F16' }) {
      const src = ql.syntheticLlama(shape, { type: sourceType });
      const rows = [];
      for (const type of types) {
        try {
          const { plan } = await ql.quantizeModel(src, { type, dryRun: true });
          // A plan that needs an importance matrix has no file layout in a dry
          // run; its tensor bytes are still exact.
          rows.push({
            type, tensorBytes: plan.outputTensorBytes, bpw: plan.bitsPerWeight, fileSize: plan.outputSize || null,
            needsImatrix: plan.needsImatrix, nElements: plan.nElements,
            mix: countTypes(plan.tensors),
          });
        } catch (e) {
          rows.push({ type, error: { code: e.code ?? 'Internal', message: e.message } });
        }
      }
      return { nParams: src.nParams, inputSize: src.size, rows };
    },
  };
}

/** {q4_K: 193, q6_K: 33, f32: 65}: how many tensors of each type a plan writes. */
function countTypes(tensors) {
  const m = {};
  for (const t of tensors) m[t.newType] = (m[t.newType] ?? 0) + 1;
  return m;
}
