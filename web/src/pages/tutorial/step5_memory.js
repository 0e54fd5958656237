// Step 5: what a model of a real shape needs in each format: file sizes from
// llama-quantize's per-tensor plan of a header-only model (so mixes such as
// Q4_K_M are exact, not a constant), plus the KV cache for a context.
import { chartFigure, drawBars } from '../../lib/charts.js';
import { codeBlock } from '../../lib/code.js';
import { field, h, intFrom, numberInput, select } from '../../lib/dom.js';
import { fmtGB, fmtParams } from '../../lib/format.js';
import { hasFileType, kvCacheBytes, NOT_YET, PRESETS, TUTORIAL_TABLE } from '../../lib/catalog.js';
import { progressPanel } from '../../lib/progress.js';
import { dataTable } from '../../lib/table.js';
import { PALETTE } from '../../lib/theme.js';
import { card, metricsGrid, setMetrics } from '../../lib/ui.js';

const code = (shape) => `
// A llama of this shape as a header only (its weights read as zeros),
// planned by llama-quantize's rules: no download needed.
const model = ql.syntheticLlama(${JSON.stringify(shape)});
const { plan } = await ql.quantizeModel(model, { type: 'Q4_K_M', dryRun: true });
plan.outputTensorBytes, plan.bitsPerWeight   // per-tensor types: plan.tensors`;

const SHAPE_FIELDS = [
  ['nVocab', 'Vocabulary'], ['nEmbd', 'Embedding length'], ['nLayer', 'Layers'], ['nHead', 'Attention heads'],
  ['nHeadKv', 'KV heads'], ['nFf', 'Feed-forward length'],
];

export function step5(ctx) {
  const preset = select([...PRESETS.map((p) => ({ value: p.value, label: `${p.value} · ${p.label}` })), { value: 'custom', label: 'custom shape' }], '7B');
  const inputs = Object.fromEntries(SHAPE_FIELDS.map(([k]) => [k, numberInput({ value: 1, min: 1, max: 10_000_000 })]));
  const tied = h('input', { type: 'checkbox' });
  const nCtx = numberInput({ value: 4096, min: 1, max: 1_048_576 });
  const run = h('button', { type: 'submit' }, 'Compute memory');
  const panel = progressPanel({ label: 'Planning' });
  const out = metricsGrid({ id: 'step5-metrics', 'aria-label': 'Model size' });
  const fig = chartFigure({ caption: '', label: 'Memory per format: weights and KV cache', height: 300 });
  const snippet = h('div', {}, codeBlock(code(PRESETS[2].shape)));
  const table = dataTable({
    id: 'memory-table',
    caption: 'Memory per format',
    columns: [
      { key: 'label', label: 'format' },
      { key: 'bpw', label: 'bits/weight', numeric: true, format: (v, r) => (r.na ? NOT_YET : v.toFixed(2)) },
      { key: 'bytes', label: 'weights', numeric: true, format: (v, r) => (r.na ? '—' : fmtGB(v)) },
      { key: 'ratio', label: 'vs FP32', numeric: true, format: (v, r) => (r.na ? '—' : `${v.toFixed(2)}×`) },
      { key: 'total', label: '+ KV cache', numeric: true, format: (v, r) => (r.na ? '—' : fmtGB(v)) },
      { key: 'mix', label: 'tensor types (count)', format: (v, r) => (r.na ? '' : v) },
    ],
  });

  const fill = (shape) => {
    for (const [k] of SHAPE_FIELDS) inputs[k].value = String(shape[k]);
    tied.checked = !!shape.tiedEmbeddings;
  };
  fill(PRESETS[2].shape);
  preset.addEventListener('change', () => {
    const p = PRESETS.find((x) => x.value === preset.value);
    if (p) fill(p.shape);
  });
  for (const i of [...Object.values(inputs), tied]) i.addEventListener('input', () => (preset.value = 'custom'));

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const res = await panel.run(async (signal) => {
        const shape = Object.fromEntries(SHAPE_FIELDS.map(([k, label]) => [k, intFrom(inputs[k], label)]));
        shape.tiedEmbeddings = tied.checked;
        const ctxLen = intFrom(nCtx, 'Context', { max: 1_048_576 });
        const available = TUTORIAL_TABLE.filter((r) => hasFileType(ctx.info, r.fileType));
        const plans = await ctx.worker.call('shapePlans', { shape, types: available.map((r) => r.fileType) }, { signal });
        return { shape, ctxLen, plans };
      }, { buttons: [run], doneText: 'Planned every format with llama-quantize\u2019s rules.' });
      if (!res) return;
      const { shape, ctxLen, plans } = res;
      const kv = kvCacheBytes(shape, ctxLen);
      const byType = new Map(plans.rows.map((r) => [r.type, r]));
      const f32 = byType.get('F32');
      const rows = TUTORIAL_TABLE.map((t) => {
        const p = byType.get(t.fileType);
        if (!p || p.error) return { label: t.label, na: true, bpw: null, _class: 'na' };
        const mix = Object.entries(p.mix).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k.toUpperCase()} ${n}`).join(', ');
        return { label: t.label, bpw: p.bpw, bytes: p.tensorBytes, ratio: f32 ? f32.tensorBytes / p.tensorBytes : null, total: p.tensorBytes + kv, mix, _data: { type: t.fileType } };
      });
      table.setRows(rows);
      setMetrics(out, [
        ['parameters', fmtParams(plans.nParams), { big: true }],
        ['FP16 checkpoint', fmtGB(plans.inputSize)],
        [`KV cache, ${ctxLen.toLocaleString('en-US')} tokens (f16 K and V)`, fmtGB(kv), { big: true }],
        ['KV per token', `${(kv / ctxLen / 1024).toFixed(0)} KiB`],
      ], { status: 'done', params: plans.nParams, kv });
      const live = rows.filter((r) => !r.na);
      drawBars(fig, {
        labels: live.map((r) => r.label),
        series: [
          { label: 'weights', data: live.map((r) => r.bytes / 1e9), color: PALETTE[0] },
          { label: `KV cache (${ctxLen} tokens)`, data: live.map(() => kv / 1e9), color: PALETTE[1] },
        ],
        xTitle: 'format', yTitle: 'memory (GB, 10⁹ bytes)',
      });
      fig.chart.options.scales.x.stacked = true;
      fig.chart.options.scales.y.stacked = true;
      fig.chart.update('none');
      const missing = rows.length - live.length;
      fig.el.querySelector('figcaption').textContent = 'Weights (stacked with the KV cache of the chosen context) per format.' +
        (missing ? ` ${missing} format${missing > 1 ? 's' : ''} this build does not have ${missing > 1 ? 'are' : 'is'} left out of the chart and marked in the table.` : '');
      snippet.replaceChildren(codeBlock(code(shape)));
    },
  },
  h('div', { class: 'controls' }, field('Model', preset), ...SHAPE_FIELDS.map(([k, label]) => field(label, inputs[k])), h('label', {}, tied, ' tied embeddings (no output matrix)')),
  h('div', { class: 'controls' }, field('Context for the KV cache (tokens)', nCtx), run));

  ctx.events.addEventListener('mounted', () => form.requestSubmit(), { once: true });

  return card({
    id: 'step-5', num: 5, title: 'What it saves in memory',
    intro: 'A model\u2019s size is its parameter count times the bits per weight. Mixes such as Q4_K_M keep some tensors at higher precision, so their sizes ' +
      'come from llama-quantize\u2019s own per-tensor plan of a model with exactly this shape (the planner needs only the GGUF header). ' +
      'Running the model also needs the KV cache: two f16 values per layer, per KV head dimension, per token of context.',
  }, form, snippet, panel.el, out, table.el, fig.el);
}
