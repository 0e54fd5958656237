// "Which tensor?": generated (rows, columns, distribution, std, seed) or any
// tensor of a GGUF (the built-in model or a picked file). Shared by the
// tutorial's Step 1 and the format atlas; the tensor itself is made in the
// page's worker.
import { field, h, intFrom, numberInput, select, setOptions } from './dom.js';
import { modelPicker } from './files.js';
import { DISTRIBUTIONS } from './tensor_gen.js';

/**
 * options: rows/cols defaults, colsMultiple (row length must be a multiple
 * of it), withStd, onlyMatrices (list 2-D tensors only), panel (a
 * progressPanel for listing tensors), buttons (disabled while listing).
 * Returns {el, spec(), make(worker, signal), kind}.
 */
export function tensorSource({ rows = 4096, cols = 4096, colsMultiple = 1, withStd = true, onlyMatrices = false, worker, panel, buttons = [] }) {
  const kind = select([{ value: 'generated', label: 'generated' }, { value: 'gguf', label: 'a tensor of a GGUF model' }], 'generated');
  const rowsIn = numberInput({ value: rows, min: 1, max: 16384 });
  const colsIn = numberInput({ value: cols, min: colsMultiple, max: 65536, step: colsMultiple });
  const dist = select(DISTRIBUTIONS.map((d) => ({ value: d.value, label: d.label })), 'outliers');
  const std = h('input', { type: 'number', value: '0.02', min: '0', step: 'any' });
  const seed = numberInput({ value: 42, min: 1, max: 2 ** 31 });
  const picker = modelPicker({ label: 'GGUF model' });
  const tensorSel = select([{ value: '', label: 'load the model\u2019s tensor list first' }]);
  const colsLabel = colsMultiple > 1 ? `Columns (multiple of ${colsMultiple})` : 'Columns';
  const genFields = h('div', { class: 'controls' }, field('Rows', rowsIn), field(colsLabel, colsIn), field('Distribution', dist),
    withStd ? field('Standard deviation', std) : null, field('Seed', seed));
  const ggufFields = h('div', { class: 'controls', hidden: true }, picker.el, field('Tensor', tensorSel, 'Any type is expanded to FP32.'));

  async function listTensors() {
    await panel.run(async (signal) => {
      let list = await worker.call('ggufTensors', { source: picker.source() }, { signal });
      if (onlyMatrices) list = list.filter((t) => t.shape.length >= 2);
      list = [...list].sort((a, b) => b.shape.length - a.shape.length);
      setOptions(tensorSel, list.map((t) => ({ value: t.name, label: `${t.name} · ${t.type.toUpperCase()} · ${t.shape.join(' × ')}` })), list[0]?.name);
    }, { buttons, doneText: 'Tensor list loaded: pick one.' });
  }
  kind.addEventListener('change', () => {
    genFields.hidden = kind.value !== 'generated';
    ggufFields.hidden = kind.value !== 'gguf';
    if (kind.value === 'gguf') listTensors();
  });
  picker.onChange(listTensors);

  /** The request: {method, args} for the worker, validated (throws a named error). */
  function spec() {
    if (kind.value === 'gguf') {
      if (!tensorSel.value) throw Object.assign(new Error('pick a tensor'), { code: 'InvalidArgument' });
      return { method: 'loadGgufTensor', args: { source: picker.source(), name: tensorSel.value } };
    }
    const c = intFrom(colsIn, 'Columns', { min: colsMultiple, max: 65536 });
    if (c % colsMultiple) throw Object.assign(new Error(`the row length must be a multiple of ${colsMultiple} so that every format (K-quants: 256-value blocks) applies`), { code: 'BadLength' });
    const s = withStd ? Number(std.value) : 0.02;
    if (!(s > 0)) throw Object.assign(new Error('the standard deviation must be positive'), { code: 'InvalidArgument' });
    return { method: 'makeTensor', args: { rows: intFrom(rowsIn, 'Rows', { max: 16384 }), cols: c, dist: dist.value, std: s, seed: intFrom(seed, 'Seed', { max: 2 ** 31 }) } };
  }

  return {
    el: h('div', {}, h('div', { class: 'controls' }, field('Tensor', kind)), genFields, ggufFields),
    kind,
    spec,
    make: (signal) => {
      const { method, args } = spec();
      return worker.call(method, args, { signal });
    },
  };
}
