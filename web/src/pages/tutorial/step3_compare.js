// Step 3: dequantize and compare with the original.
import { chartFigure, drawHistogram } from '../../lib/charts.js';
import { codeBlock } from '../../lib/code.js';
import { h } from '../../lib/dom.js';
import { dataTable } from '../../lib/table.js';
import { fmt, fmtMs, typeLabel } from '../../lib/format.js';
import { progressPanel } from '../../lib/progress.js';
import { PALETTE } from '../../lib/theme.js';
import { card, metricsGrid, setMetrics } from '../../lib/ui.js';

const code = (type) => `
const y = ql.dequantize(q, '${type}', x.length);      // back to Float32Array
const s = ql.errorStats(x, y, { bins: 60 });
// s.mae, s.maxAbs, s.rmse, s.snrDb, s.cosine, s.histogram`;

export function step3(ctx) {
  const run = h('button', { type: 'submit', disabled: true }, 'Dequantize and compare');
  const out = metricsGrid({ id: 'step3-metrics', 'aria-label': 'Error statistics' });
  const fig = chartFigure({ caption: 'Signed reconstruction error (dequantized − original) of every value.', label: 'Histogram of reconstruction errors', height: 220 });
  const snippet = h('div', {}, codeBlock(code('q4_K')));
  const panel = progressPanel({ label: 'Comparing' });
  const samples = dataTable({
    caption: 'Original and dequantized values',
    columns: [
      { key: 'i', label: 'index', numeric: true },
      { key: 'x', label: 'original', numeric: true, format: (v) => fmt(v, 6) },
      { key: 'y', label: 'dequantized', numeric: true, format: (v) => fmt(v, 6) },
      { key: 'e', label: 'error', numeric: true, format: (v) => fmt(v, 3) },
    ],
    sortable: false,
    empty: 'Quantize the tensor in Step 2, then compare.',
  });
  ctx.events.addEventListener('quantized', () => {
    run.disabled = false;
  });
  ctx.events.addEventListener('tensor', () => {
    run.disabled = true;
  });

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const r = await panel.run((signal) => ctx.worker.call('compareTensor', { bins: 61 }, { signal }), { buttons: [run], doneText: (r) => `Dequantized in ${fmtMs(r.ms)}.` });
      if (!r) return;
      const s = r.stats;
      setMetrics(out, [
        ['mean absolute error', fmt(s.mae), { big: true }],
        ['max |error|', fmt(s.maxAbs)],
        ['RMSE', fmt(s.rmse)],
        ['signal-to-noise', `${fmt(s.snrDb)} dB`],
        ['cosine similarity', s.cosine.toFixed(6)],
        ['dequantize time', fmtMs(r.ms)],
      ], { status: 'done', type: r.type, mae: s.mae, rmse: s.rmse, maxAbs: s.maxAbs, snrDb: s.snrDb, cosine: s.cosine });
      drawHistogram(fig, { ...s.histogram, xTitle: `error of ${typeLabel(r.type)} (dequantized − original, FP32 units)`, yTitle: 'number of values', color: PALETTE[2] });
      const hs = s.histogram;
      fig.el.querySelector('figcaption').textContent = `Signed reconstruction error of every value. Bins span the ${hs.pLo}th–${hs.pHi}th percentiles; ` +
        `${(hs.below + hs.above).toLocaleString('en-US')} errors beyond them (up to ${fmt(s.maxAbs)}) are counted in the orange end bars.`;
      samples.setRows([
        ...r.samples.map((p) => ({ ...p, e: p.y - p.x })),
        { i: r.worst.i, x: r.worst.x, y: r.worst.y, e: r.worst.y - r.worst.x, _class: 'best' },
      ]);
      snippet.replaceChildren(codeBlock(code(r.type)));
    },
  }, h('div', { class: 'controls' }, run));

  return card({
    id: 'step-3', num: 3, title: 'Dequantize and measure what was lost',
    intro: 'Expanding the blocks back to FP32 shows the rounding error. SNR (signal-to-noise ratio, 10·log10 of signal power over error power) ' +
      'and cosine similarity say how close the whole tensor stays; the last table row (highlighted) is the value with the largest error.',
  }, form, snippet, panel.el, out, h('div', { class: 'grid-2' }, fig.el, samples.el));
}
