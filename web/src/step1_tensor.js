// Step 1: generate the FP32 tensor the rest of the tutorial works on.
import { drawHistogram } from './charts.js';
import { describe, histogram, makeTensor } from './tensor.js';
import { fmt, fmtBytes, showError, showMetrics } from './ui.js';

export function setupStep1(state, onTensor) {
  const form = document.getElementById('tensor-form');
  const result = document.getElementById('step1-result');
  const num = (id) => Number(document.getElementById(id).value);

  function run() {
    try {
      const rows = num('rows');
      const cols = num('cols');
      if (!Number.isInteger(rows) || rows < 1) throw new RangeError('rows must be a positive integer');
      if (!Number.isInteger(cols) || cols < 1) throw new RangeError('columns must be a positive integer');
      const spec = { rows, cols, dist: document.getElementById('dist').value, std: num('std'), seed: num('seed') };
      const t0 = performance.now();
      const x = makeTensor(spec);
      const ms = performance.now() - t0;
      const d = describe(x);
      state.tensor = { ...spec, data: x };
      showMetrics(
        result,
        [
          ['shape', `${rows} × ${cols}`],
          ['values', x.length.toLocaleString()],
          ['FP32 size', fmtBytes(x.byteLength)],
          ['min', fmt(d.min)],
          ['max', fmt(d.max)],
          ['mean', fmt(d.mean)],
          ['std-dev', fmt(d.std)],
          ['generated in', `${ms.toFixed(1)} ms`],
        ],
        { status: 'done', n: x.length, bytes: x.byteLength },
      );
      const lim = Math.max(Math.abs(d.min), Math.abs(d.max));
      drawHistogram(document.getElementById('value-chart'), {
        counts: histogram(x, 81, -lim, lim),
        lo: -lim,
        hi: lim,
        label: 'values',
        color: '#3358d4',
      });
      onTensor();
    } catch (e) {
      showError(result, e);
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  return { run };
}
