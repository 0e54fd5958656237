// Single-tensor work (tutorial steps 1-3, the format atlas): the tensor
// stays in this worker; the page receives summaries, histograms and a few
// sample values, never the 64 MB array.
import { bulkHistogram, describe, makeTensor } from '../lib/tensor_gen.js';
import { importanceFor } from './importance.js';
import { sourceBlob } from './sources.js';

// origin: null for a generated tensor, {source, name} for a tensor of a GGUF.
const state = { x: null, rows: 0, cols: 0, label: '', origin: null, q: null, qType: null, y: null };

function summary(ms) {
  const { x, rows, cols } = state;
  return {
    rows,
    cols,
    n: x.length,
    bytes: x.byteLength,
    label: state.label,
    ms,
    ...describe(x),
    histogram: bulkHistogram(x),
    first: Array.from(x.subarray(0, 8)),
  };
}

function setTensor(x, rows, cols, label, ms, origin = null) {
  Object.assign(state, { x, rows, cols, label, origin, q: null, qType: null, y: null });
  return summary(ms);
}

function requireTensor() {
  if (!state.x) throw Object.assign(new Error('make a tensor first (Step 1)'), { code: 'InvalidArgument' });
  return state;
}

function perRow(type) {
  // A tensor with rows of cols values is quantized row by row, as in a model file.
  return { rows: state.rows };
}

/** computeImatrix(signal, progress): the built-in model's imatrix bytes from the held-out text. */
export function tensorJobs(ql, { computeImatrix }) {
  return {
    makeTensor({ rows, cols, dist, std, seed }) {
      if (!(rows >= 1 && cols >= 1 && rows * cols <= 64 * 1024 * 1024)) {
        throw Object.assign(new Error('a tensor may have at most 67,108,864 values (256 MiB of FP32)'), { code: 'InvalidArgument' });
      }
      const t0 = performance.now();
      const x = makeTensor({ rows, cols, dist, std, seed });
      return setTensor(x, rows, cols, `${rows} × ${cols}, ${dist}, std ${std}, seed ${seed}`, performance.now() - t0);
    },

    /** The tensor table of a GGUF file (header only). */
    async ggufTensors({ source }) {
      const h = await ql.readGgufHeader(await sourceBlob(source));
      return h.tensors.map((t) => ({ name: t.name, type: t.type, shape: t.shape, size: t.size }));
    },

    /** One tensor of a GGUF, expanded to F32 (any type the module can dequantize). */
    async loadGgufTensor({ source, name }) {
      const blob = await sourceBlob(source);
      const h = await ql.readGgufHeader(blob);
      const t = h.tensors.find((x) => x.name === name);
      if (!t) throw Object.assign(new Error(`no tensor named '${name}'`), { code: 'InvalidArgument' });
      const t0 = performance.now();
      const bytes = new Uint8Array(await blob.slice(t.fileOffset, t.fileOffset + t.size).arrayBuffer());
      if (bytes.length !== t.size) throw Object.assign(new Error(`tensor '${name}' is cut short by the end of the file`), { code: 'Format' });
      const n = t.shape.reduce((a, b) => a * b, 1);
      const x = t.type === 'f32' ? new Float32Array(bytes.buffer, 0, n) : ql.dequantize(bytes, t.type, n);
      const cols = t.shape[0];
      return setTensor(x, n / cols, cols, `${name} (${t.type.toUpperCase()}, ${t.shape.join(' × ')})`, performance.now() - t0, { source, name });
    },

    async quantizeTensor({ type, kernel = 'auto' }, { signal, progress } = {}) {
      const { x, cols, origin } = requireTensor();
      // IQ1_S, IQ2_XXS, IQ2_XS get an importance vector, as in the atlas.
      const importance = ql.format(type).requiresImatrix ? await importanceFor(ql, origin, cols, computeImatrix, signal, progress) : null;
      const t0 = performance.now();
      const q = ql.quantize(x, type, { ...perRow(type), kernel, imatrix: importance?.weights });
      const ms = performance.now() - t0;
      Object.assign(state, { q, qType: type, y: null });
      return { type, bytes: q.length, originalBytes: x.byteLength, n: x.length, ms, importance: importance?.text, firstBlock: Array.from(q.subarray(0, ql.format(type).typeSize)) };
    },

    compareTensor({ kernel = 'auto', bins = 60, samples = 12 }) {
      const { x, q, qType } = requireTensor();
      if (!q) throw Object.assign(new Error('quantize the tensor first (Step 2)'), { code: 'InvalidArgument' });
      const t0 = performance.now();
      const y = ql.dequantize(q, qType, x.length, { kernel });
      const ms = performance.now() - t0;
      state.y = y;
      const stats = ql.errorStats(x, y);
      // The error histogram shows the bulk (a few outlier blocks would
      // stretch ±max|error| over two bars) and counts the tails apart.
      const e = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) e[i] = y[i] - x[i];
      stats.histogram = bulkHistogram(e, { bins });
      // The first values, and the values the format got most wrong.
      const rows = [];
      for (let i = 0; i < Math.min(samples, x.length); i++) rows.push({ i, x: x[i], y: y[i] });
      let worst = 0;
      for (let i = 1; i < x.length; i++) if (Math.abs(y[i] - x[i]) > Math.abs(y[worst] - x[worst])) worst = i;
      return { type: qType, ms, n: x.length, stats, samples: rows, worst: { i: worst, x: x[worst], y: y[worst] } };
    },

    /** Every format on the current tensor: size, error and speed (the format atlas). */
    async atlas({ types }, { signal, progress }) {
      const { x, cols, origin } = requireTensor();
      // The formats ggml cannot quantize without an importance vector get
      // one (importance.js says which); the others are quantized without.
      const needs = new Set(types.filter((t) => ql.format(t).requiresImatrix));
      let importance = null;
      if (needs.size) {
        importance = await importanceFor(ql, origin, cols, computeImatrix, signal,
          (p) => progress({ index: 0, total: types.length, type: 'importance', phase: 'imatrix', fraction: p.fraction ?? 0 }));
        progress({ index: 0, total: types.length, type: 'importance', importance: { types: [...needs], text: importance.text } });
      }
      const rows = [];
      for (const [k, type] of types.entries()) {
        if (signal.aborted) throw Object.assign(new Error('the operation was cancelled'), { name: 'QuantlabError', code: 'Cancelled' });
        progress({ index: k, total: types.length, type });
        let row;
        try {
          const t0 = performance.now();
          const q = ql.quantize(x, type, { ...perRow(type), imatrix: needs.has(type) ? importance.weights : undefined });
          const t1 = performance.now();
          const y = ql.dequantize(q, type, x.length);
          const t2 = performance.now();
          const s = ql.errorStats(x, y);
          row = {
            type, imatrix: needs.has(type), bytes: q.length, bpw: (8 * q.length) / x.length, ratio: x.byteLength / q.length,
            mae: s.mae, rmse: s.rmse, maxAbs: s.maxAbs, snrDb: s.snrDb, cosine: s.cosine,
            quantizeGBps: x.byteLength / 1e6 / (t1 - t0), dequantizeGBps: x.byteLength / 1e6 / (t2 - t1),
          };
        } catch (e) {
          row = { type, error: { code: e.code ?? 'Internal', message: e.message } };
        }
        rows.push(row);
        progress({ index: k + 1, total: types.length, type, row });
        await new Promise((r) => setTimeout(r, 0)); // let a cancel message in
      }
      return rows;
    },
  };
}
