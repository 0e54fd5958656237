// Step 1: an FP32 tensor (generated, or any tensor of a GGUF) and what its values look like.
import { chartFigure, drawHistogram, tick } from '../../lib/charts.js';
import { codeBlock } from '../../lib/code.js';
import { h } from '../../lib/dom.js';
import { fmt, fmtBytes, fmtInt, fmtMs } from '../../lib/format.js';
import { progressPanel } from '../../lib/progress.js';
import { tensorSource } from '../../lib/tensor_source.js';
import { card, metricsGrid, setMetrics } from '../../lib/ui.js';

const generatedCode = (s) => `
import { loadQuantlab } from 'quantlab';
const ql = await loadQuantlab();

// ${s.rows} × ${s.cols} FP32 weights (any Float32Array works: these are
// ${s.dist === 'uniform' ? 'uniform' : 'Gaussian'}, std ${s.std}, seed ${s.seed}${s.dist === 'outliers' ? ', plus 0.1 % outliers at 20×' : ''})
const rows = ${s.rows}, cols = ${s.cols};
const x = new Float32Array(rows * cols).map(() => ${s.std} * gaussian());`;

const ggufCode = (name) => `
import { loadQuantlab } from 'quantlab';
const ql = await loadQuantlab();

// A real weight matrix from a GGUF file (a File, Blob or Node path)
const { tensors } = await ql.readGgufHeader(file);
const t = tensors.find((t) => t.name === '${name}');
const bytes = new Uint8Array(await file.slice(t.fileOffset, t.fileOffset + t.size).arrayBuffer());
const x = ql.dequantize(bytes, t.type, t.shape[0] * (t.shape[1] ?? 1));  // any type -> FP32`;

export function step1(ctx) {
  const panel = progressPanel({ label: 'Making the tensor' });
  const run = h('button', { type: 'submit' }, 'Make the tensor');
  const src = tensorSource({ worker: ctx.worker, panel, buttons: [run] });
  const logY = h('input', { type: 'checkbox' });
  const code = h('div', {}, codeBlock(generatedCode({ rows: 4096, cols: 4096, dist: 'outliers', std: 0.02, seed: 42 })));
  const out = metricsGrid({ id: 'step1-metrics', 'aria-label': 'Tensor statistics' });
  const fig = chartFigure({ caption: '', label: 'Histogram of the tensor\u2019s values', height: 240 });
  let last = null;

  function draw() {
    if (!last) return;
    const hst = last.histogram;
    drawHistogram(fig, { ...hst, xTitle: 'weight value (FP32)', yTitle: 'number of values', log: logY.checked });
    const outl = hst.below + hst.above;
    fig.el.querySelector('figcaption').textContent =
      `Bins span the ${hst.pLo}th–${hst.pHi}th percentiles (${tick(hst.lo)} to ${tick(hst.hi)}), where the bulk of the values are. ` +
      (outl ? `${fmtInt(outl)} values outside that range are counted in the two orange end bars (min ${fmt(last.min)}, max ${fmt(last.max)}).` : 'No values fall outside.');
  }
  logY.addEventListener('change', draw);

  const form = h('form', {
    class: 'step-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const result = await panel.run(async (signal) => {
        const { method, args } = src.spec();
        code.replaceChildren(codeBlock(method === 'makeTensor' ? generatedCode(args) : ggufCode(args.name)));
        return src.make(signal);
      }, { buttons: [run], doneText: (r) => `Made ${r.label} in ${fmtMs(r.ms)}.` });
      if (!result) return;
      last = result;
      setMetrics(out, [
        ['shape', `${fmtInt(result.rows)} × ${fmtInt(result.cols)}`, { key: 'shape' }],
        ['values', fmtInt(result.n)],
        ['FP32 bytes', `${fmtBytes(result.bytes)} (${fmtInt(result.bytes)} B)`],
        ['mean', fmt(result.mean)],
        ['std-dev', fmt(result.std)],
        ['min', fmt(result.min)],
        ['max', fmt(result.max)],
        ['made in', fmtMs(result.ms)],
      ], { status: 'done', n: result.n, bytes: result.bytes, rows: result.rows, cols: result.cols, mean: result.mean, std: result.std });
      draw();
      ctx.tensor = result;
      ctx.events.dispatchEvent(new CustomEvent('tensor', { detail: result }));
    },
  }, src.el, h('div', { class: 'row' }, run, h('label', {}, logY, ' log count axis')));

  // Start with the default tensor on screen.
  ctx.events.addEventListener('mounted', () => form.requestSubmit(), { once: true });

  return card({
    id: 'step-1', num: 1, title: 'Make an FP32 tensor',
    intro: 'A weight matrix of an LLM is a grid of 32-bit floats: mostly small and bell-shaped, with a few large outliers. ' +
      'The default is 4096 × 4096 (the size of one attention matrix of a 7B model), 64 MiB of FP32. You can also take a real tensor from a GGUF file.',
  }, form, code, panel.el, out, fig.el);
}
