// The format atlas: every tensor format of the module on one tensor (size,
// error, speed, the error-vs-bits Pareto front), then the tutorial's format
// table with quality measured on the built-in model.
import { chartFigure, drawScatter, paretoFront } from '../../lib/charts.js';
import { field, h, select } from '../../lib/dom.js';
import { fmt, typeLabel } from '../../lib/format.js';
import { missingFormats, NOT_YET } from '../../lib/catalog.js';
import { progressPanel } from '../../lib/progress.js';
import { dataTable } from '../../lib/table.js';
import { tensorSource } from '../../lib/tensor_source.js';
import { PALETTE } from '../../lib/theme.js';
import { card, note } from '../../lib/ui.js';
import { worker } from '../../lib/workers.js';
import { qualitySection } from './quality.js';

const METRICS = { rmse: 'RMSE', mae: 'mean absolute error', maxAbs: 'max |error|' };

export async function mount(root, app) {
  const info = await app.info;
  const w = worker('atlas');
  const types = info.formats.filter((f) => f.name !== 'f32').map((f) => f.name);

  const metric = select(Object.entries(METRICS).map(([value, label]) => ({ value, label })), 'rmse');
  const run = h('button', { type: 'submit' }, 'Measure every format');
  const panel = progressPanel({ label: 'Measuring formats' });
  const src = tensorSource({ rows: 1024, cols: 4096, colsMultiple: 256, withStd: false, onlyMatrices: true, worker: w, panel, buttons: [run] });
  const fig = chartFigure({ caption: '', label: 'Error against bits per weight for every format, log scale, with the Pareto front', height: 340 });
  const tensorLine = h('p', { class: 'muted', id: 'atlas-tensor' });
  const importanceLine = h('p', { class: 'note', id: 'atlas-importance', hidden: true });
  let results = [];

  const table = dataTable({
    id: 'atlas-table',
    caption: 'Every format on the same tensor',
    columns: [
      { key: 'label', label: 'format' },
      { key: 'bpw', label: 'bits/weight', numeric: true, format: (v, r) => (r.na ? NOT_YET : v.toFixed(4)) },
      { key: 'ratio', label: 'ratio vs FP32', numeric: true, format: (v, r) => (r.na || r.error ? '—' : `${v.toFixed(2)}×`) },
      { key: 'mae', label: 'MAE', numeric: true, format: (v) => fmt(v) },
      { key: 'rmse', label: 'RMSE', numeric: true, format: (v) => fmt(v) },
      { key: 'maxAbs', label: 'max |error|', numeric: true, format: (v) => fmt(v) },
      { key: 'snrDb', label: 'SNR (dB)', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(2)) },
      { key: 'quantizeGBps', label: 'quantize GB/s', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(3)) },
      { key: 'dequantizeGBps', label: 'dequantize GB/s', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(2)) },
      { key: 'pareto', label: 'Pareto', format: (v, r) => (r.na || r.error ? r.error?.message ?? '' : v ? 'on the front' : '') },
    ],
    empty: 'Press “Measure every format”.',
  });

  function render() {
    const m = metric.value;
    const ok = results.filter((r) => !r.error);
    const pts = ok.map((r) => ({ x: r.bpw, y: r[m], name: typeLabel(r.type) })).filter((p) => p.y > 0);
    const front = paretoFront(pts);
    const onFront = new Set(front.map((p) => p.name));
    const missing = missingFormats(info).map((f) => ({ label: typeLabel(f.name), na: true, bpw: f.bpw, _class: 'na' }));
    table.setRows([
      ...results.map((r) => ({ ...r, label: typeLabel(r.type) + (r.imatrix ? ' (imatrix)' : ''), pareto: onFront.has(typeLabel(r.type)), _class: onFront.has(typeLabel(r.type)) ? 'best' : undefined, _data: { type: r.type } })),
      ...missing,
    ]);
    drawScatter(fig, {
      series: [
        { label: 'formats', points: pts, color: PALETTE[0], pointRadius: 5 },
        { label: 'Pareto front (no format is both smaller and more accurate)', points: front, showLine: true, color: PALETTE[1], pointRadius: 3, dash: [6, 4], labels: false },
      ],
      xTitle: 'bits per weight', yTitle: `${METRICS[m]} (FP32 units, log scale)`, yLog: true,
    });
    fig.el.querySelector('figcaption').textContent = `${METRICS[m]} of each format against its size. Formats on the dashed front are the best choice at their size for this tensor; hover a point for its exact values.`;
  }
  metric.addEventListener('change', () => results.length && render());

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const r = await panel.run(async (signal, set) => {
        const t = await src.make(signal);
        tensorLine.textContent = `Tensor: ${t.label} (${t.n.toLocaleString('en-US')} values).`;
        results = [];
        importanceLine.hidden = true;
        table.setStatus('running');
        return w.call('atlas', { types }, {
          signal,
          onProgress: (p) => {
            if (p.phase === 'imatrix') return set(0, `computing the built-in model\u2019s importance matrix on the held-out text: ${Math.round(100 * p.fraction)} %`);
            if (p.importance) {
              importanceLine.textContent = `${p.importance.types.map(typeLabel).join(', ')} cannot be quantized without an importance matrix (ggml refuses): they were given ${p.importance.text}. Every other format was quantized without one. The errors are unweighted.`;
              importanceLine.hidden = false;
              return undefined;
            }
            if (p.row) {
              results.push(p.row);
              if (results.length % 4 === 0 || p.index === p.total) render();
            }
            set(p.index / p.total, `${p.row ? 'measured' : 'measuring'} ${typeLabel(p.type)} (${p.index} of ${p.total})`);
          },
        });
      }, { buttons: [run] });
      if (!r) return;
      results = r;
      render();
      table.setStatus('done');
    },
  }, src.el, h('div', { class: 'controls' }, run, field('Error measure in the plot', metric)));

  root.append(
    h('h1', { id: 'atlas-title' }, 'Format atlas'),
    h('p', { class: 'lede' }, `Every tensor format this build has (${types.length}, read from the module), on the same tensor: how many bits each weight costs, how much error that buys, and how fast it is in this tab. ${missingFormats(info).length ? 'Formats ggml has that this build lacks are listed too.' : 'All of ggml\u2019s weight formats are here, the lattice (IQ) and ternary (TQ) ones included.'}`),
    card({ id: 'atlas-formats', title: 'Size, error and speed on one tensor' }, form, panel.el, tensorLine, importanceLine, fig.el, table.el,
      note('Speeds are single runs in this worker, on one core: compare them with each other, not across machines. Types with no dot product of their own (Q8_1, Q8_K) are the activation formats the others multiply with.')),
    qualitySection(info),
  );
  form.requestSubmit();
}
