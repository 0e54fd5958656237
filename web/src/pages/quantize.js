// Quantize a whole GGUF model like llama-quantize: the file is streamed
// (read tensor by tensor, never whole), the dry-run plan is shown first, the
// output streams to disk through the File System Access API where the
// browser has it (a Blob download otherwise), and one click then measures
// perplexity / KL divergence of the result against the original.
import { codeBlock } from '../lib/code.js';
import { field, h, intFrom, numberInput, select } from '../lib/dom.js';
import { modelPicker, textPicker } from '../lib/files.js';
import { fmtBytes, fmtDuration, fmtInt, fmtPct, fmtRate, typeLabel } from '../lib/format.js';
import { weightFormats } from '../lib/catalog.js';
import { progressPanel, showError } from '../lib/progress.js';
import { dataTable } from '../lib/table.js';
import { card, metricsGrid, note, setMetrics } from '../lib/ui.js';
import { worker } from '../lib/workers.js';

const canStream = typeof window.showSaveFilePicker === 'function';

const code = (o) => `
const out = await ql.quantizeModel(file, {             // a File: read in slices
  type: '${o.type}',${o.pure ? '\n  pure: true,' : ''}${o.tensorTypes?.length ? `\n  tensorTypes: ${JSON.stringify(o.tensorTypes)},` : ''}${o.outputTensorType ? `\n  outputTensorType: '${o.outputTensorType}',` : ''}${o.tokenEmbeddingType ? `\n  tokenEmbeddingType: '${o.tokenEmbeddingType}',` : ''}
  output: await handle.createWritable(),              // streams to disk (or omit: out.blob)
  onProgress: (p) => console.log(p.bytesRead / p.bytesTotal, p.etaSeconds),
  signal,                                              // AbortController: cancel
});`;

export async function mount(root, app) {
  const info = await app.info;
  const w = worker('quantize');
  const picker = modelPicker({ label: 'Input model' });
  const headerOut = metricsGrid({ id: 'q-header', 'aria-label': 'Input model' });
  const headerPanel = progressPanel({ label: 'Reading the header' });

  const ftype = select(info.fileTypes.map((t) => ({ value: t.name, label: `${t.name} — ${t.description}` })), info.fileTypes.some((t) => t.name === 'Q4_K_M') ? 'Q4_K_M' : info.fileTypes[0].name);
  const typeOpts = [{ value: '', label: 'default (as llama-quantize)' }, ...weightFormats(info).map((f) => ({ value: f.name, label: typeLabel(f.name) }))];
  const outType = select(typeOpts, '');
  const embType = select(typeOpts, '');
  const pure = h('input', { type: 'checkbox' });
  const requant = h('input', { type: 'checkbox' });
  const leaveOut = h('input', { type: 'checkbox' });
  const overrides = h('textarea', { rows: 3, placeholder: 'attn_v=q8_0\nffn_down=q6_K', spellcheck: 'false' });
  const imKind = select([{ value: 'none', label: 'none' }, { value: 'file', label: 'an imatrix file (.gguf or legacy .dat)' }, { value: 'text', label: 'computed here from a text' }], 'none');
  const imFile = h('input', { type: 'file', accept: '.gguf,.dat' });
  const imText = textPicker({ label: 'Calibration text', heldout: w.call('heldoutText') });
  const imCtx = numberInput({ value: 256, min: 16, max: 4096 });
  const imFileField = field('imatrix file', imFile);
  const imTextBox = h('div', {}, imText.el, field('Context (tokens)', imCtx));
  imFileField.hidden = true;
  imTextBox.hidden = true;
  imKind.addEventListener('change', () => {
    imFileField.hidden = imKind.value !== 'file';
    imTextBox.hidden = imKind.value !== 'text';
    imatrix = null;
  });
  const workers = numberInput({ value: Math.min(2, info.hardwareConcurrency || 1), min: 1, max: 16 });
  const dest = select([
    ...(canStream ? [{ value: 'handle', label: 'a file on disk, written as it goes (File System Access API)' }] : []),
    { value: 'blob', label: 'a download when done (kept in memory until then)' },
  ], canStream ? 'handle' : 'blob');

  const planBtn = h('button', { type: 'button', class: 'secondary' }, 'Show the plan (dry run)');
  const runBtn = h('button', { type: 'submit' }, 'Quantize');
  const planPanel = progressPanel({ label: 'Planning' });
  const runPanel = progressPanel({ label: 'Quantizing' });
  const planOut = metricsGrid({ id: 'q-plan', 'aria-label': 'Plan summary' });
  const planMsgs = h('div', { id: 'q-plan-messages' });
  const planTable = dataTable({
    id: 'plan-table',
    caption: 'Per-tensor plan',
    tall: true,
    columns: [
      { key: 'name', label: 'tensor' },
      { key: 'shape', label: 'shape', format: (v) => v.join(' × ') },
      { key: 'oldType', label: 'from', format: typeLabel },
      { key: 'newType', label: 'to', format: typeLabel },
      { key: 'oldBytes', label: 'input bytes', numeric: true, format: fmtBytes },
      { key: 'newBytes', label: 'output bytes', numeric: true, format: fmtBytes },
      { key: 'note', label: 'why' },
    ],
    empty: 'Press “Show the plan” to see what every tensor becomes.',
  });
  const runOut = metricsGrid({ id: 'q-run', 'aria-label': 'Quantization result' });
  const download = h('div', { id: 'q-download' });
  const snippet = h('div', {}, codeBlock(code({ type: 'Q4_K_M' })));

  // The compare step.
  const cmpBtn = h('button', { type: 'button', disabled: true }, 'Measure perplexity and KLD against the original');
  const cmpCtx = numberInput({ value: 256, min: 16, max: 4096 });
  const cmpChunks = numberInput({ value: 0, min: 0, max: 100000 });
  const cmpPanel = progressPanel({ label: 'Comparing' });
  const cmpOut = metricsGrid({ id: 'q-compare', 'aria-label': 'Comparison with the original' });

  const emptyOut = h('p', { class: 'muted' }, 'Progress (MB/s, time left) and the result appear here when you press “Quantize”.');
  let imatrix = null; // {bytes: Uint8Array, name}
  let result = null; // {source, name}
  let inputName = '';

  let headerReads = 0; // picking again while a header is being read: only the newest pick may fill the panel
  async function readHeader() {
    const read = ++headerReads;
    headerOut.replaceChildren();
    headerOut.dataset.status = 'running';
    const r = await headerPanel.run(async (signal) => w.call('modelHeader', { source: picker.source() }, { signal }), { doneText: 'Header read.' });
    if (read !== headerReads) return;
    if (!r) {
      headerOut.dataset.status = 'error';
      return;
    }
    inputName = r.name;
    const counts = {};
    for (const t of r.tensors) counts[t.type] = (counts[t.type] ?? 0) + 1;
    setMetrics(headerOut, [
      ['file', r.name],
      ['size', fmtBytes(r.size)],
      ['architecture', String(r.metadata['general.architecture'] ?? '?')],
      ['name', String(r.metadata['general.name'] ?? '—')],
      ['tensors', String(r.nTensors)],
      ['tensor types', Object.entries(counts).map(([k, n]) => `${typeLabel(k)} ${n}`).join(', ')],
    ], { status: 'done', tensors: r.nTensors, size: r.size });
  }
  picker.onChange(readHeader);

  function opts() {
    const tt = overrides.value.split('\n').map((s) => s.trim()).filter(Boolean);
    for (const t of tt) if (!/^.+=.+$/.test(t)) throw Object.assign(new Error(`tensor-type override '${t}' is not of the form pattern=type`), { code: 'InvalidArgument' });
    return {
      type: ftype.value, pure: pure.checked, allowRequantize: requant.checked, leaveOutputTensor: leaveOut.checked,
      outputTensorType: outType.value || undefined, tokenEmbeddingType: embType.value || undefined, tensorTypes: tt.length ? tt : undefined,
    };
  }

  async function getImatrix(source, signal, set) {
    if (imKind.value === 'none') return null;
    if (imKind.value === 'file') {
      const f = imFile.files?.[0];
      if (!f) throw Object.assign(new Error('choose an imatrix file, or pick “none”'), { code: 'InvalidArgument' });
      return { bytes: new Uint8Array(await f.arrayBuffer()), name: f.name };
    }
    if (!imatrix) {
      set?.(0, 'computing the importance matrix (the model is loaded whole for this)…');
      const bytes = await w.call('computeImatrix', { source, text: imText.text(), ctx: intFrom(imCtx, 'Context', { min: 16, max: 4096 }) }, {
        signal, onProgress: (p) => p.fraction !== undefined && set?.(p.fraction * 0.99, `importance matrix: ${Math.round(100 * p.fraction)} %`),
      });
      imatrix = { bytes, name: 'calibration.txt' };
    }
    return imatrix;
  }

  function showPlan(plan, inputSize) {
    setMetrics(planOut, [
      ['file type', plan.type, { big: true }],
      ['output size', plan.outputSize ? fmtBytes(plan.outputSize) : `${fmtBytes(plan.outputTensorBytes)} of tensors (not writable as planned)`, { big: true }],
      ['bits per weight', plan.bitsPerWeight.toFixed(3), { big: true }],
      ['input', `${fmtBytes(inputSize)}, ${plan.inputBitsPerWeight.toFixed(2)} bpw`],
      ['tensors', `${plan.tensors.length} (${plan.tensors.filter((t) => t.oldType !== t.newType).length} converted)`],
      ['fallbacks', String(plan.nFallback)],
      ['needs an imatrix', plan.needsImatrix ? 'yes' : 'no'],
    ], { status: 'done', outputSize: plan.outputSize, bpw: plan.bitsPerWeight, tensors: plan.tensors.length });
    const warnings = [...plan.warnings, ...(plan.imatrixMissing?.length ? [`the importance matrix has no entry for ${plan.imatrixMissing.length} converted tensors`] : [])].map((m) => note(m, 'warn'));
    const notes = plan.messages.map((m) => note(m));
    planMsgs.replaceChildren(...warnings, ...(notes.length > 3 ? [h('details', {}, h('summary', {}, `${notes.length} notes from the planner`), ...notes)] : notes));
    planTable.setRows(plan.tensors.map((t) => ({
      ...t,
      note: [t.override ? `override ${t.override}` : '', t.fellBack ? `fell back from ${typeLabel(t.fallbackFrom)}` : '', t.requiresImatrix ? 'needs imatrix' : '', t.oldType === t.newType ? 'copied' : ''].filter(Boolean).join('; '),
    })));
  }

  planBtn.addEventListener('click', async () => {
    const r = await planPanel.run(async (signal, set) => {
      const source = picker.source();
      const o = opts();
      snippet.replaceChildren(codeBlock(code(o)));
      const im = await getImatrix(source, signal, set);
      return w.call('plan', { source, opts: o, imatrix: im?.bytes ?? null }, { signal });
    }, { buttons: [planBtn, runBtn], doneText: 'Planned: nothing was read past the header.' });
    if (r) showPlan(r.plan, r.inputSize);
  });

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      download.replaceChildren();
      runOut.replaceChildren();
      emptyOut.hidden = true;
      let handle = null;
      const o = (() => {
        try {
          return opts();
        } catch (err) {
          showError(runPanel.error, err);
          return null;
        }
      })();
      if (!o) return;
      const outName = `${(inputName || picker.describe()).replace(/\.gguf$/i, '').replace(/-(f32|f16|bf16)$/i, '')}-${o.type}.gguf`;
      if (dest.value === 'handle') {
        // Must run in the click's user activation, before any await.
        try {
          handle = await window.showSaveFilePicker({ suggestedName: outName, types: [{ description: 'GGUF model', accept: { 'application/octet-stream': ['.gguf'] } }] });
        } catch (err) {
          if (err?.name === 'AbortError') return; // the user closed the dialog
          showError(runPanel.error, err);
          return;
        }
      }
      const r = await runPanel.run(async (signal, set) => {
        const source = picker.source();
        const im = await getImatrix(source, signal, set);
        const t0 = performance.now();
        const plan = await w.call('plan', { source, opts: o, imatrix: im?.bytes ?? null }, { signal });
        showPlan(plan.plan, plan.inputSize);
        if (plan.plan.needsImatrix && !im) throw Object.assign(new Error(`${o.type} needs an importance matrix: choose an imatrix file or compute one from a text`), { code: 'InvalidArgument' });
        return w.call('run', {
          source, opts: o, imatrix: im?.bytes ?? null, imatrixName: im?.name, workers: intFrom(workers, 'Converters', { max: 16 }),
          output: handle ? { kind: 'handle', handle } : { kind: 'blob' },
        }, {
          signal,
          onProgress: (p) => {
            const s = (performance.now() - t0) / 1000;
            set(p.bytesRead / p.bytesTotal, `${p.index + 1}/${p.nTensors} tensors (${p.tensor}) · ${fmtBytes(p.bytesRead)} of ${fmtBytes(p.bytesTotal)} read · ${fmtRate(p.bytesRead / s)}`, { eta: false });
            runPanel.el.querySelector('.status').textContent += p.etaSeconds !== null ? ` · about ${fmtDuration(p.etaSeconds)} left` : '';
          },
        });
      }, { buttons: [planBtn, runBtn], doneText: (r, s) => `Wrote ${fmtBytes(r.bytesWritten)} in ${fmtDuration(s)} (${fmtRate(r.plan.inputTensorBytes / r.seconds)} of input).` });
      if (!r) return;
      setMetrics(runOut, [
        ['written', `${fmtBytes(r.bytesWritten)} (${fmtInt(r.bytesWritten)} B)`, { big: true }],
        ['time', fmtDuration(r.seconds)],
        ['throughput', fmtRate(r.plan.inputTensorBytes / r.seconds)],
        ['bits per weight', r.plan.bitsPerWeight.toFixed(3)],
      ], { status: 'done', bytes: r.bytesWritten });
      const blob = r.blob ?? r.file;
      result = { source: { kind: 'blob', blob, name: outName }, name: outName };
      if (r.blob) {
        const url = URL.createObjectURL(r.blob);
        download.replaceChildren(h('a', { href: url, download: outName, class: 'button-link', id: 'q-download-link' }, `Download ${outName} (${fmtBytes(r.blob.size)})`));
      } else {
        download.replaceChildren(note(`Saved as ${r.file?.name ?? outName} (${fmtBytes(r.bytesWritten)}), written to disk as it was produced.`));
      }
      cmpBtn.disabled = false;
    },
  },
  h('div', { class: 'controls' }, field('File type', ftype), field('Output tensor type', outType), field('Token embedding type', embType),
    field('Converters (workers)', workers, info.threads > 1
      ? `1: this module's ${info.threads} threads; more: Web Workers. Same output.`
      : '1: this page; more: Web Workers. Same output.')),
  h('div', { class: 'controls' },
    h('label', {}, pure, ' --pure (no k-quant mixture)'), h('label', {}, requant, ' allow requantizing'), h('label', {}, leaveOut, ' leave output.weight as it is')),
  field('Tensor-type overrides (one regex=type per line, first match wins)', overrides),
  h('div', { class: 'controls' }, field('Importance matrix', imKind), imFileField), imTextBox,
  h('div', { class: 'controls' }, field('Write the result to', dest), planBtn, runBtn));

  cmpBtn.addEventListener('click', async () => {
    const r = await cmpPanel.run((signal, set) => w.call('compare', {
      original: picker.source(), quantized: result.source, ctx: intFrom(cmpCtx, 'Context', { min: 16, max: 4096 }), chunks: intFrom(cmpChunks, 'Chunks', { min: 0 }),
    }, { signal, onProgress: (p) => p.fraction !== undefined && set((p.model === 'original' ? 0 : 0.5) + p.fraction / 2, `${p.model}: perplexity ${Math.round(100 * p.fraction)} %`) }), { buttons: [cmpBtn] });
    if (!r) return;
    const b = r.base;
    const q = r.row;
    setMetrics(cmpOut, [
      ['PPL original', `${b.ppl.toFixed(4)} ± ${b.pplError.toFixed(4)}`, { big: true }],
      ['PPL quantized', `${q.ppl.toFixed(4)} ± ${q.pplError.toFixed(4)}`, { big: true }],
      ['ΔPPL', `${q.pplDiff >= 0 ? '+' : ''}${q.pplDiff.toFixed(4)} ± ${q.pplDiffError.toFixed(4)}`],
      ['mean KLD', `${q.kld.toFixed(5)} ± ${q.kldError.toFixed(5)}`],
      ['same top token', fmtPct(q.sameTop)],
      ['significantly worse?', q.significant ? `yes (p = ${q.pValue.toExponential(1)})` : `no (p = ${q.pValue.toFixed(3)})`],
    ], { status: 'done', basePpl: b.ppl, ppl: q.ppl, kld: q.kld });
  });

  root.append(
    h('h1', { id: 'quantize-title' }, 'Quantize a model'),
    h('p', { class: 'lede' }, 'llama-quantize in the browser: pick a GGUF model of any size (it is read tensor by tensor, never whole), choose the file type and options, check the plan, then quantize. The output is byte-for-byte what llama-quantize writes for the same options.'),
    card({ id: 'q-input', num: 1, title: 'Input' }, h('div', { class: 'controls' }, picker.el), headerPanel.el, headerOut),
    card({ id: 'q-options', num: 2, title: 'Options and plan' }, form, snippet, planPanel.el, planOut, planMsgs, planTable.el),
    card({ id: 'q-output', num: 3, title: 'Quantize' }, emptyOut, runPanel.el, runOut, download,
      canStream ? null : note('This browser has no File System Access API: the result is kept in memory and offered as a download when done, so very large outputs may not fit.', 'warn')),
    card({ id: 'q-check', num: 4, title: 'Check the result' }, h('p', {}, 'Perplexity of the original and of the new file on a text (the held-out stories for the built-in model), with the KL divergence between them. Both models are loaded into memory for this.'),
      h('div', { class: 'controls' }, field('Context (tokens)', cmpCtx), field('Chunks (0 = all)', cmpChunks), cmpBtn), cmpPanel.el, cmpOut),
  );
  readHeader();
}
