// The perplexity lab: any model (built in or picked), any text, any file
// types; each is quantized in the tab and scored like llama-perplexity, with
// KL divergence against the original, per-format progress, charts and a
// copyable table.
import { chartFigure, drawBars, drawScatter } from '../lib/charts.js';
import { codeBlock } from '../lib/code.js';
import { field, h, intFrom, numberInput } from '../lib/dom.js';
import { modelPicker, textPicker } from '../lib/files.js';
import { fmtBytes, fmtDuration, fmtPct } from '../lib/format.js';
import { progressPanel } from '../lib/progress.js';
import { dataTable } from '../lib/table.js';
import { PALETTE } from '../lib/theme.js';
import { card, note } from '../lib/ui.js';
import { worker } from '../lib/workers.js';

const DEFAULT_ON = new Set(['Q8_0', 'Q4_K_M', 'Q2_K']);

const code = `
const base = await ql.loadModel(file, { nCtx: 256 });
await base.perplexity(text, { ctx: 256, keepLogprobs: true });
for (const type of ['Q8_0', 'Q4_K_M', 'Q2_K']) {
  const { blob } = await ql.quantizeModel(file, { type });
  const m = await ql.loadModel(blob, { nCtx: 256 });
  const r = await m.perplexity(text, { ctx: 256, base, onProgress, signal });
  console.log(type, r.ppl, r.pplError, r.kld.kldMean, r.kld.sameTop);
}`;

export async function mount(root, app) {
  const info = await app.info;
  const w = worker('perplexity');
  const picker = modelPicker();
  const text = textPicker({ heldout: w.call('heldoutText') });
  const ctxLen = numberInput({ value: 256, min: 16, max: 4096 });
  const chunks = numberInput({ value: 0, min: 0, max: 100000 });
  const types = info.fileTypes.filter((t) => t.name !== 'F32');
  const boxes = types.map((t) => h('input', { type: 'checkbox', value: t.name, checked: DEFAULT_ON.has(t.name) }));
  const typeSet = h('fieldset', { class: 'checks' }, h('legend', {}, 'File types to compare with the original (from the module)'),
    types.map((t, i) => h('label', { title: t.description }, boxes[i], t.name)));
  const run = h('button', { type: 'submit' }, 'Quantize and measure');
  const panel = progressPanel({ label: 'Perplexity lab' });
  const perFormat = h('ol', { class: 'format-progress', 'aria-label': 'Progress per model' });
  const pplFig = chartFigure({ caption: 'Perplexity per model on the evaluation text, ± one standard error.', label: 'Perplexity per model with error bars', height: 260 });
  const kldFig = chartFigure({ caption: 'Mean KL divergence from the original\u2019s next-token distribution, ± one standard error.', label: 'KL divergence per model with error bars', height: 260 });
  const sizeFig = chartFigure({ caption: 'File size against KL divergence: lower left is better.', label: 'File size against KL divergence', height: 260 });
  const runFig = chartFigure({ caption: 'Running perplexity over the chunks of the text (how the estimate settles).', label: 'Running perplexity per chunk', height: 240 });
  const table = dataTable({
    id: 'ppl-table',
    caption: 'Perplexity and KL divergence against the original',
    columns: [
      { key: 'label', label: 'model' },
      { key: 'bytes', label: 'file size', numeric: true, format: (v) => fmtBytes(v) },
      { key: 'bpw', label: 'bits/weight', numeric: true, format: (v) => v.toFixed(2) },
      { key: 'ppl', label: 'PPL', numeric: true, format: (v, r) => `${v.toFixed(4)} ± ${r.pplError.toFixed(4)}` },
      { key: 'pplDiff', label: 'ΔPPL', numeric: true, format: (v, r) => (v === undefined ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(4)} ± ${r.pplDiffError.toFixed(4)}`) },
      { key: 'kld', label: 'mean KLD', numeric: true, format: (v, r) => (v === undefined ? '—' : `${v.toFixed(5)} ± ${r.kldError.toFixed(5)}`) },
      { key: 'kldP99', label: 'KLD 99th pct.', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(4)) },
      { key: 'sameTop', label: 'same top token', numeric: true, format: (v) => (v === undefined ? '—' : fmtPct(v)) },
      { key: 'significant', label: 'significantly different?', format: (v, r) => (v === undefined ? '—' : `${v ? 'yes' : 'no'} (p = ${r.pValue < 1e-4 ? r.pValue.toExponential(1) : r.pValue.toFixed(3)})`) },
      { key: 'tokensPerSecond', label: 'eval speed', numeric: true, format: (v) => `${Math.round(v)} tokens/s` },
    ],
    empty: 'Choose file types and press “Quantize and measure”.',
  });

  const failBox = h('div', { id: 'ppl-failures' });
  let rows = [];
  // Charts are redrawn one per task, at most once per row, so that drawing
  // four charts never blocks the page for long.
  let pending = false;
  function draw() {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      drawNow();
    }, 0);
  }
  async function drawNow() {
    const next = () => new Promise((r) => setTimeout(r, 0));
    const labels = rows.map((r) => r.label);
    drawBars(pplFig, { labels, series: [{ label: 'perplexity', data: rows.map((r) => r.ppl), errors: rows.map((r) => r.pplError), color: PALETTE[0] }], xTitle: 'model', yTitle: 'perplexity (lower is better)' });
    pplFig.chart.options.scales.y.beginAtZero = false;
    pplFig.chart.update('none');
    const q = rows.filter((r) => r.kld !== undefined);
    if (q.length) {
      await next();
      drawBars(kldFig, { labels: q.map((r) => r.label), series: [{ label: 'mean KLD', data: q.map((r) => r.kld), errors: q.map((r) => r.kldError), color: PALETTE[2] }], xTitle: 'file type', yTitle: 'mean KL divergence (nats/token)' });
      await next();
      drawScatter(sizeFig, {
        series: [{ label: 'file types', points: q.filter((r) => r.kld > 0).map((r) => ({ x: r.bytes / 2 ** 20, y: r.kld, name: r.label })), color: PALETTE[3], pointRadius: 5 }],
        xTitle: 'file size (MiB)', yTitle: 'mean KLD (nats/token, log scale)', yLog: true,
      });
    }
    await next();
    runFig.draw({
      type: 'line',
      data: { labels: rows[0]?.runningPpl.map((_, i) => i + 1) ?? [], datasets: rows.map((r, i) => ({ label: r.label, data: r.runningPpl, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], pointRadius: 0 })) },
      options: { scales: { x: { title: { display: true, text: 'chunk' } }, y: { title: { display: true, text: 'running perplexity' } } } },
    });
  }

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const selected = boxes.filter((b) => b.checked).map((b) => b.value);
      rows = [];
      const failures = [];
      failBox.replaceChildren();
      table.setRows([]);
      table.setStatus('running');
      const res = await panel.run(async (signal, set) => {
        const source = picker.source();
        const c = intFrom(ctxLen, 'Context', { min: 16, max: 4096 });
        const n = intFrom(chunks, 'Chunks', { min: 0 });
        if (!text.text().trim()) throw Object.assign(new Error('the evaluation text is empty'), { code: 'InvalidArgument' });
        const names = ['original', ...selected];
        const items = names.map((name) => {
          const bar = h('progress', { max: 1, value: 0, 'aria-label': `progress of ${name}` });
          const st = h('span', { class: 'status' }, 'waiting');
          return { li: h('li', {}, h('span', { class: 'fp-name' }, name), bar, st), bar, st, t0: 0 };
        });
        perFormat.replaceChildren(...items.map((x) => x.li));
        return w.call('measure', { source, text: text.text(), ctx: c, chunks: n, types: selected }, {
          signal,
          onProgress: (p) => {
            const it = items[p.index];
            if (!it) return;
            if (p.base) {
              rows.push({ label: `original (${p.base.bpw > 20 ? 'F32' : p.base.bpw > 12 ? 'F16' : 'quantized'})`, ...p.base, _data: { type: 'original', ppl: p.base.ppl } });
            }
            if (p.row) {
              if (p.row.error) failures.push(p.row);
              else rows.push({ label: p.row.type, ...p.row, _data: { type: p.row.type, ppl: p.row.ppl, kld: p.row.kld } });
              table.setRows([...rows]);
              draw();
            }
            if (p.base) {
              table.setRows([...rows]);
              draw();
            }
            if (p.done) {
              it.bar.value = 1;
              it.st.textContent = p.row?.error ? `failed: ${p.row.error.message}` : 'done';
              return;
            }
            if (p.fraction === undefined) return;
            const phaseShare = { imatrix: [0, 0.2], quantize: [0.2, 0.3], ppl: [0.3, 1] }[p.phase] ?? [0, 1];
            const f = p.index === 0 ? p.fraction : phaseShare[0] + (phaseShare[1] - phaseShare[0]) * p.fraction;
            it.t0 ||= performance.now();
            it.bar.value = f;
            const el = (performance.now() - it.t0) / 1000;
            it.st.textContent = `${{ imatrix: 'importance matrix', quantize: 'quantizing', ppl: 'perplexity' }[p.phase] ?? ''} ${Math.round(100 * p.fraction)} %${p.runningPpl ? `, PPL ${p.runningPpl.toFixed(4)}` : ''}${f > 0.05 && f < 1 ? `, ${fmtDuration((el * (1 - f)) / f)} left` : ''}`;
            set((p.index + f) / p.total, `${p.type}: ${Math.round(100 * f)} %`);
          },
        });
      }, { buttons: [run], doneText: (r, s) => `Compared ${r.rows.length} file types on ${r.base.nScored.toLocaleString('en-US')} scored tokens in ${fmtDuration(s)}.` });
      failBox.replaceChildren(...failures.map((f) => h('p', { class: 'error-box', role: 'alert', dataset: { type: f.type } }, `${f.type} could not be made from this model: ${f.error.message}`)));
      if (res) table.setStatus('done');
    },
  },
  h('div', { class: 'controls' }, picker.el, field('Context (tokens)', ctxLen), field('Chunks (0 = all)', chunks, 'Each chunk scores the second half of its tokens, as llama-perplexity does.'), run),
  typeSet, text.el);

  root.append(
    h('h1', { id: 'perplexity-title' }, 'Perplexity lab'),
    h('p', { class: 'lede' }, 'Quantize a model to several file types in this tab and score every copy on the same text, the way llama-perplexity does, with the KL divergence of each copy\u2019s next-token distribution from the original\u2019s and a paired test of whether the difference is real.'),
    card({ id: 'ppl-run', title: 'Compare file types' }, form, codeBlock(code), panel.el, perFormat),
    card({ id: 'ppl-results', title: 'Results' }, failBox, table.el, h('div', { class: 'grid-2' }, pplFig.el, kldFig.el, sizeFig.el, runFig.el),
      note('File types that need an importance matrix (IQ2/IQ1 families, Q2_K_S) get one computed here from the evaluation text first.')),
  );
}
