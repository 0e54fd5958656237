// Step 2: quantize the tensor, dequantize it, and measure what was lost.
import { drawHistogram } from './charts.js';
import { fmt, fmtBytes, showError, showMetrics, table } from './ui.js';

// FNV-1a of the quantized bytes: lets a test compare kernels without shipping megabytes.
function digest(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export function setupStep2(state) {
  let runs = 0;
  const ql = state.quantlab;
  const form = document.getElementById('quant-form');
  const select = document.getElementById('format');
  const kernel = document.getElementById('kernel');
  const result = document.getElementById('step2-result');
  const quantizeBtn = document.getElementById('quantize');
  const compareBtn = document.getElementById('compare-all');

  const quantized = ql.formats().filter((f) => f.isQuantized && f.name !== 'q8_1' && f.name !== 'q8_K');
  for (const f of quantized) {
    const opt = document.createElement('option');
    opt.value = f.name;
    opt.textContent = `${f.name.toUpperCase()} (${f.bitsPerWeight.toFixed(2)} bpw)`;
    select.append(opt);
  }
  select.value = 'q8_0';

  // Quantize + dequantize one format; returns timings, sizes and error statistics.
  function roundTrip(type, kernelName) {
    const { data, cols } = state.tensor;
    const rows = data.length / cols;
    const t0 = performance.now();
    const q = ql.quantize(data, type, { rows, kernel: kernelName });
    const t1 = performance.now();
    const y = ql.dequantize(q, type, data.length, { kernel: kernelName });
    const t2 = performance.now();
    const stats = ql.errorStats(data, y, { bins: 61 });
    return { q, y, stats, quantizeMs: t1 - t0, dequantizeMs: t2 - t1 };
  }

  function run() {
    if (!state.tensor) return;
    const type = select.value;
    try {
      const r = roundTrip(type, kernel.value);
      const { data } = state.tensor;
      const s = r.stats;
      showMetrics(
        result,
        [
          ['format', type.toUpperCase()],
          ['quantized size', fmtBytes(r.q.length)],
          ['bits / weight', ((8 * r.q.length) / data.length).toFixed(4)],
          ['smaller than FP32', `${(data.byteLength / r.q.length).toFixed(2)}×`],
          ['quantize', `${r.quantizeMs.toFixed(1)} ms (${(data.byteLength / 1e3 / Math.max(r.quantizeMs, 1e-3)).toFixed(0)} MB/s)`],
          ['dequantize', `${r.dequantizeMs.toFixed(1)} ms`],
          ['mean |error|', fmt(s.mae)],
          ['max |error|', fmt(s.maxAbs)],
          ['RMSE', fmt(s.rmse)],
          ['SNR', `${fmt(s.snrDb)} dB`],
          ['cosine similarity', s.cosine.toFixed(6)],
        ],
        {
          status: 'done',
          type,
          bytes: r.q.length,
          rmse: s.rmse,
          snrDb: s.snrDb,
          cosine: s.cosine,
          digest: digest(r.q),
          runs: ++runs,
        },
      );
      drawHistogram(document.getElementById('error-chart'), {
        ...s.histogram,
        label: 'reconstruction error (dequantized − original)',
        color: '#d46a33',
      });
      showFirstBlock(type, r);
    } catch (e) {
      showError(result, e);
      result.dataset.runs = String(++runs);
    }
  }

  // The first block side by side: what the format actually does to values.
  function showFirstBlock(type, r) {
    const bs = Math.min(ql.format(type).blockSize, 32);
    const rows = [];
    for (let i = 0; i < Math.min(bs, 16); i++) {
      const x = state.tensor.data[i];
      rows.push([String(i), fmt(x, 5), fmt(r.y[i], 5), fmt(r.y[i] - x, 3)]);
    }
    const el = document.getElementById('block-view');
    const title = document.createElement('h3');
    title.textContent = `First values of block 0 (${type.toUpperCase()})`;
    el.replaceChildren(title, table(['#', 'original', 'dequantized', 'error'], rows));
  }

  function compareAll() {
    const rows = [];
    const el = document.getElementById('compare-table');
    try {
      for (const f of quantized) {
        const r = roundTrip(f.name, 'auto');
        rows.push([
          f.name.toUpperCase(),
          f.bitsPerWeight.toFixed(3),
          fmtBytes(r.q.length),
          fmt(r.stats.rmse),
          fmt(r.stats.maxAbs),
          fmt(r.stats.snrDb),
          r.stats.cosine.toFixed(6),
          r.quantizeMs.toFixed(1),
        ]);
      }
      el.replaceChildren(
        table(['format', 'bpw', 'size', 'RMSE', 'max |err|', 'SNR dB', 'cosine', 'quantize ms'], rows),
      );
      el.dataset.status = 'done';
      el.dataset.rows = String(rows.length);
    } catch (e) {
      showError(el, e);
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  compareBtn.addEventListener('click', compareAll);
  return {
    enable() {
      quantizeBtn.disabled = false;
      compareBtn.disabled = false;
    },
    run,
  };
}
