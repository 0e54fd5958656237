// The tutorial's "quantized matmul vs FP32": a weight matrix times one
// activation column (generation) and times N columns (a prompt batch), for
// F32 and every weight format, through the engine's own kernel path; then
// the engine's prompt and generation tokens/s on the built-in model.
import { chartFigure, drawBars } from '../lib/charts.js';
import { codeBlock } from '../lib/code.js';
import { field, h, intFrom, numberInput } from '../lib/dom.js';
import { fmtBytes, fmtMs, typeLabel } from '../lib/format.js';
import { hasFileType, TUTORIAL_TABLE, weightFormats } from '../lib/catalog.js';
import { progressPanel } from '../lib/progress.js';
import { dataTable } from '../lib/table.js';
import { PALETTE } from '../lib/theme.js';
import { card, note } from '../lib/ui.js';
import { worker } from '../lib/workers.js';

const code = (rows, cols, n, threads) => `
// ${rows} × ${cols} weights in Q4_K times ${n} activation columns: activations are
// quantized to Q8_K (the type's vecDotType), then Q4_K's gemm runs on ${threads}
// thread${threads === 1 ? '' : 's'} (rows split between them, as in the engine)
const r = ql.benchMatmul('q4_K', { rows: ${rows}, cols: ${cols}, nTokens: ${n}, threads: ${threads} });
r.gflops, r.weightGBps, r.seconds`;

function checks(legend, items) {
  const boxes = items.map((it) => h('input', { type: 'checkbox', value: it.value, checked: it.checked !== false, disabled: it.disabled }));
  const el = h('fieldset', { class: 'checks' }, h('legend', {}, legend),
    items.map((it, i) => h('label', { class: it.disabled ? 'na' : undefined }, boxes[i], it.label)));
  return { el, values: () => boxes.filter((b) => b.checked && !b.disabled).map((b) => b.value) };
}

export async function mount(root, app) {
  const info = await app.info;
  const w = worker('benchmark');
  const threads = info.threads ?? 1;
  const formats = weightFormats(info);
  const fmtChecks = checks('Formats (from the module)', formats.map((f) => ({ value: f.name, label: typeLabel(f.name) })));
  const rows = numberInput({ value: 4096, min: 1, max: 32768 });
  const cols = numberInput({ value: 4096, min: 256, max: 65536, step: 256 });
  const nCols = numberInput({ value: 256, min: 2, max: 4096 });
  const minMs = numberInput({ value: 250, min: 0, max: 10000 });
  const run = h('button', { type: 'submit' }, 'Run the matmul benchmark');
  const panel = progressPanel({ label: 'Benchmark' });
  const genFig = chartFigure({ caption: '', label: 'GFLOP/s per format, generation and prompt', height: 300 });
  const upFig = chartFigure({ caption: '', label: 'Speed-up over F32 per format', height: 260 });
  const snippet = h('div', {}, codeBlock(code(4096, 4096, 256, threads)));
  const results = new Map();
  const table = dataTable({
    id: 'bench-table',
    caption: 'Matrix × vector (generation) and matrix × matrix (prompt)',
    columns: [
      { key: 'label', label: 'format' },
      { key: 'bpw', label: 'bits/weight', numeric: true, format: (v) => v.toFixed(2) },
      { key: 'weightBytes', label: 'weights', numeric: true, format: (v) => fmtBytes(v) },
      { key: 'genMs', label: 'gen ms', numeric: true, format: (v) => (v === undefined ? '—' : fmtMs(v)) },
      { key: 'genGflops', label: 'gen GFLOP/s', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(2)) },
      { key: 'genUp', label: 'gen vs F32', numeric: true, format: (v) => (v === undefined ? '—' : `${v.toFixed(2)}×`) },
      { key: 'genGBps', label: 'gen weight GB/s', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(2)) },
      { key: 'ppMs', label: 'prompt ms', numeric: true, format: (v) => (v === undefined ? '—' : fmtMs(v)) },
      { key: 'ppGflops', label: 'prompt GFLOP/s', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(2)) },
      { key: 'ppUp', label: 'prompt vs F32', numeric: true, format: (v) => (v === undefined ? '—' : `${v.toFixed(2)}×`) },
      { key: 'ppGBps', label: 'prompt weight GB/s', numeric: true, format: (v) => (v === undefined ? '—' : v.toFixed(2)) },
    ],
    empty: 'Press “Run the matmul benchmark”.',
  });

  function render(n) {
    const f32 = results.get('f32');
    const rowsOut = [...results.values()].map((r) => ({
      label: typeLabel(r.type), bpw: info.formats.find((f) => f.name === r.type).bitsPerWeight, weightBytes: r.gen?.weightBytes ?? r.pp?.weightBytes,
      genMs: r.gen && 1000 * r.gen.seconds, genGflops: r.gen?.gflops, genGBps: r.gen?.weightGBps, genUp: r.gen && f32?.gen ? r.gen.gflops / f32.gen.gflops : undefined,
      ppMs: r.pp && 1000 * r.pp.seconds, ppGflops: r.pp?.gflops, ppGBps: r.pp?.weightGBps, ppUp: r.pp && f32?.pp ? r.pp.gflops / f32.pp.gflops : undefined,
      _data: { type: r.type, gen: r.gen?.gflops ?? '', pp: r.pp?.gflops ?? '', threads: r.gen?.threads ?? r.pp?.threads ?? '' },
    }));
    table.setRows(rowsOut);
    const labels = rowsOut.map((r) => r.label);
    drawBars(genFig, {
      labels,
      series: [
        { label: 'generation: matrix × 1 column', data: rowsOut.map((r) => r.genGflops ?? null), color: PALETTE[0] },
        { label: `prompt: matrix × ${n} columns`, data: rowsOut.map((r) => r.ppGflops ?? null), color: PALETTE[1] },
      ],
      xTitle: 'weight format', yTitle: 'GFLOP/s (2·rows·cols·columns / time)',
    });
    genFig.el.querySelector('figcaption').textContent = `Throughput of one ${rows.value} × ${cols.value} matrix, ${threads} thread${threads === 1 ? '' : 's'}, activation quantization included.`;
    drawBars(upFig, {
      labels,
      series: [
        { label: 'generation', data: rowsOut.map((r) => r.genUp ?? null), color: PALETTE[0] },
        { label: 'prompt', data: rowsOut.map((r) => r.ppUp ?? null), color: PALETTE[1] },
      ],
      xTitle: 'weight format', yTitle: 'speed-up over F32 (×, log scale)', log: true,
    });
    upFig.el.querySelector('figcaption').textContent = 'Generation reads every weight once per token, so it is bound by memory: fewer bits, more speed. A prompt batch reuses each weight for every column, so the arithmetic decides.';
  }

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const r = await panel.run(async (signal, set) => {
        const R = intFrom(rows, 'Rows', { max: 32768 });
        const C = intFrom(cols, 'Columns', { min: 256, max: 65536 });
        if (C % 256) throw Object.assign(new Error('the row length must be a multiple of 256 (the K-quants\u2019 block)'), { code: 'BadLength' });
        const N = intFrom(nCols, 'Prompt columns', { min: 2, max: 4096 });
        const ms = intFrom(minMs, 'Minimum time', { min: 0, max: 10000 });
        if (R * C > 256 * 1024 * 1024 / 4) throw Object.assign(new Error('at most 64 M weights (256 MiB of F32)'), { code: 'InvalidArgument' });
        const types = ['f32', ...fmtChecks.values().filter((t) => t !== 'f32')];
        results.clear();
        table.setStatus('running');
        snippet.replaceChildren(codeBlock(code(R, C, N, threads)));
        const steps = types.length * 2;
        let k = 0;
        for (const type of types) {
          const entry = { type };
          results.set(type, entry);
          for (const [key, n] of [['gen', 1], ['pp', N]]) {
            set(k / steps, `${typeLabel(type)}: ${key === 'gen' ? 'matrix × vector' : `matrix × ${N} columns`}`);
            entry[key] = await w.call('benchMatmul', { type, rows: R, cols: C, nTokens: n, minMs: ms, maxReps: key === 'pp' ? 3 : 1000, threads }, { signal });
            k++;
            render(N);
          }
        }
        return types.length;
      }, { buttons: [run], doneText: (n, s) => `Measured ${n} formats in ${Math.round(s)} s.` });
      if (r) table.setStatus('done');
    },
  },
  h('div', { class: 'controls' }, field('Rows (output features)', rows), field('Columns (input features)', cols), field('Prompt columns', nCols), field('Minimum time per measurement (ms)', minMs), run),
  fmtChecks.el);

  root.append(
    h('h1', { id: 'benchmark-title' }, 'Benchmark'),
    h('p', { class: 'lede' }, 'Quantized weights are smaller and, in this engine, faster: the kernels multiply directly on the packed blocks. ',
      h('span', { id: 'bench-threads', dataset: { threads } }, `Every figure here runs on ${threads} thread${threads === 1 ? '' : 's'}${threads === 1 ? ' (this WebAssembly module is single-threaded)' : ''}.`)),
    card({ id: 'bench-matmul', title: 'Quantized matmul vs FP32' }, form, snippet, panel.el, table.el, h('div', { class: 'grid-2' }, genFig.el, upFig.el),
      note('Figures are medians of repeated runs in this tab, on a machine that may be busy: compare formats within one run.')),
    engineCard(info, w, threads),
  );
}

function engineCard(info, w, threads) {
  const types = TUTORIAL_TABLE.filter((t) => hasFileType(info, t.fileType));
  const boxes = checks('File types', types.map((t) => ({ value: t.fileType, label: t.label, checked: !/^[IT]Q/.test(t.fileType) })));
  const nPrompt = numberInput({ value: 128, min: 1, max: 255 });
  const nGen = numberInput({ value: 32, min: 1, max: 255 });
  const run = h('button', { type: 'submit' }, 'Measure tokens/s');
  const panel = progressPanel({ label: 'Engine benchmark' });
  const fig = chartFigure({ caption: '', label: 'Prompt and generation tokens per second per file type', height: 280 });
  const rowsOut = [];
  const table = dataTable({
    id: 'engine-table',
    caption: `Engine tokens/s on the built-in model, ${threads} thread${threads === 1 ? '' : 's'}`,
    columns: [
      { key: 'label', label: 'file type' },
      { key: 'bpw', label: 'bits/weight', numeric: true, format: (v) => v.toFixed(2) },
      { key: 'bytes', label: 'size', numeric: true, format: (v) => fmtBytes(v) },
      { key: 'pp', label: 'prompt tokens/s', numeric: true, format: (v) => v.toFixed(0) },
      { key: 'tg', label: 'generation tokens/s', numeric: true, format: (v) => v.toFixed(0) },
    ],
    empty: 'Press “Measure tokens/s”.',
  });
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const list = boxes.values();
      const np = intFrom(nPrompt, 'Prompt tokens', { max: 255 });
      const ng = intFrom(nGen, 'Generated tokens', { max: 255 });
      rowsOut.length = 0;
      table.setStatus('running');
      const r = await panel.run(async (signal, set) => {
        for (const [i, t] of list.entries()) {
          set(i / list.length, `${t}: quantizing the built-in model and timing it`);
          const res = await w.call('engineBench', { source: { kind: 'builtin' }, type: t === 'F32' ? null : t, nPrompt: np, nGen: ng }, { signal });
          rowsOut.push({ ...res, label: TUTORIAL_TABLE.find((x) => x.fileType === t)?.label ?? t, _data: { type: t, pp: res.pp, tg: res.tg } });
          table.setRows([...rowsOut]);
          drawBars(fig, {
            labels: rowsOut.map((x) => x.label),
            series: [
              { label: `prompt (${np} tokens in one batch)`, data: rowsOut.map((x) => x.pp), color: PALETTE[0] },
              { label: `generation (${ng} tokens, one at a time)`, data: rowsOut.map((x) => x.tg), color: PALETTE[1] },
            ],
            xTitle: 'file type', yTitle: 'tokens per second',
          });
        }
        return list.length;
      }, { buttons: [run] });
      if (r) table.setStatus('done');
    },
  }, h('div', { class: 'controls' }, field('Prompt tokens', nPrompt), field('Generated tokens', nGen), run), boxes.el);
  fig.el.querySelector('figcaption').textContent = 'llama-bench\u2019s two tests on the built-in model: one prompt batch from an empty cache, then single-token decoding.';
  return card({ id: 'bench-engine', title: 'The engine on the built-in model', intro: 'The same kernels inside a forward pass: the built-in model (3.7 M parameters) quantized to each file type in this tab, then timed like llama-bench\u2019s pp and tg tests.' },
    form, panel.el, table.el, fig.el);
}
