// Step 4: perplexity of the built-in model (or a picked GGUF) before and
// after quantization, with KL divergence and a significance test in words.
import { codeBlock } from '../../lib/code.js';
import { field, h, intFrom, numberInput, select } from '../../lib/dom.js';
import { modelPicker } from '../../lib/files.js';
import { fmtBytes, fmtPct } from '../../lib/format.js';
import { progressPanel } from '../../lib/progress.js';
import { card, metricsGrid, note, setMetrics } from '../../lib/ui.js';

const code = (type, ctxLen) => `
const base = await ql.loadModel(file, { nCtx: ${ctxLen} });
const before = await base.perplexity(text, { ctx: ${ctxLen}, keepLogprobs: true });
const { blob } = await ql.quantizeModel(file, { type: '${type}' });
const quant = await ql.loadModel(blob, { nCtx: ${ctxLen} });
const after = await quant.perplexity(text, { ctx: ${ctxLen}, base });
// before.ppl, after.ppl, after.kld.kldMean, after.kld.sameTop, after.kld.significant`;

/** The verdict of the paired test, in words. */
export function verdict(row) {
  const pct = (100 * (row.ppl - row.basePpl)) / row.basePpl;
  const p = row.pValue < 1e-4 ? row.pValue.toExponential(1) : row.pValue.toFixed(4);
  if (!row.significant) {
    return `No significant difference: the ${pct >= 0 ? 'increase' : 'change'} of ${pct.toFixed(3)} % is within what chance alone produces on this text (p = ${p}).`;
  }
  return pct > 0
    ? `The quantized model is measurably worse: perplexity is ${pct.toFixed(3)} % higher, and the paired test says that is not chance (p = ${p}).`
    : `The quantized model scores measurably lower perplexity (${pct.toFixed(3)} %) on this text (p = ${p}); quantization noise happened to help here.`;
}

export function step4(ctx) {
  const types = ctx.info.fileTypes.filter((t) => !['F32'].includes(t.name));
  const typeSel = select(types.map((t) => ({ value: t.name, label: `${t.name} — ${t.description}` })), types.some((t) => t.name === 'Q4_K_M') ? 'Q4_K_M' : types[0]?.name);
  const picker = modelPicker();
  const ctxLen = numberInput({ value: 256, min: 16, max: 4096 });
  const chunks = numberInput({ value: 0, min: 0, max: 100000 });
  const run = h('button', { type: 'submit' }, 'Measure perplexity');
  const panel = progressPanel({ label: 'Measuring perplexity' });
  const out = metricsGrid({ id: 'step4-metrics', 'aria-label': 'Perplexity results' });
  const words = h('p', { id: 'step4-verdict', class: 'note', hidden: true });
  const imNote = note('', 'warn');
  imNote.hidden = true;
  const snippet = h('div', {}, codeBlock(code('Q4_K_M', 256)));

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const type = typeSel.value;
      const c = intFrom(ctxLen, 'Context', { min: 16, max: 4096 });
      const n = intFrom(chunks, 'Chunks', { min: 0 });
      snippet.replaceChildren(codeBlock(code(type, c)));
      const res = await panel.run((signal, set) => ctx.worker.call('measure', { source: picker.source(), ctx: c, chunks: n, types: [type] }, {
        signal,
        onProgress: (p) => {
          const what = p.type === 'original' ? 'original model' : type;
          const phase = { ppl: 'perplexity', quantize: 'quantizing', imatrix: 'importance matrix' }[p.phase] ?? '';
          if (p.fraction !== undefined) set((p.index + p.fraction) / p.total, `${what}: ${phase} ${Math.round(100 * p.fraction)} %${p.runningPpl ? ` (running PPL ${p.runningPpl.toFixed(4)})` : ''}`);
        },
      }), { buttons: [run] });
      if (!res) return;
      const b = res.base;
      const r = res.rows[0];
      if (r.error) {
        panel.error.hidden = false;
        panel.error.textContent = `${r.error.code}: ${r.error.message}`;
        return;
      }
      const deg = (100 * (r.ppl - b.ppl)) / b.ppl;
      setMetrics(out, [
        ['PPL before (original)', `${b.ppl.toFixed(4)} ± ${b.pplError.toFixed(4)}`, { big: true }],
        [`PPL after (${type})`, `${r.ppl.toFixed(4)} ± ${r.pplError.toFixed(4)}`, { big: true }],
        ['degradation', `${deg >= 0 ? '+' : ''}${deg.toFixed(3)} %`],
        ['mean KL divergence', `${r.kld.toFixed(6)} ± ${r.kldError.toFixed(6)}`],
        ['same top token', `${fmtPct(r.sameTop)} ± ${fmtPct(r.sameTopError)}`],
        ['file size', `${fmtBytes(b.bytes)} → ${fmtBytes(r.bytes)}`],
        ['bits per weight', `${b.bpw.toFixed(2)} → ${r.bpw.toFixed(2)}`],
        ['tokens scored', b.nScored.toLocaleString('en-US')],
      ], { status: 'done', type, basePpl: b.ppl, ppl: r.ppl, kld: r.kld, sameTop: r.sameTop, significant: r.significant, pValue: r.pValue });
      words.hidden = false;
      words.textContent = `${verdict({ ...r, basePpl: b.ppl })} KL divergence ${r.kld.toFixed(5)} nats per token: ` +
        `the quantized model picks the same most likely next token ${fmtPct(r.sameTop, 1)} of the time.`;
      imNote.hidden = !r.imatrix;
      imNote.textContent = `${type} needs an importance matrix: it was computed in this page from the held-out text (model.computeImatrix), so these figures are slightly flattering (the model was calibrated on the text it is scored on).`;
    },
  }, h('div', { class: 'controls' }, picker.el, field('File type', typeSel), field('Context (tokens)', ctxLen), field('Chunks (0 = all)', chunks), run));

  return card({
    id: 'step-4', num: 4, title: 'Measure the impact on perplexity',
    intro: 'Errors in one tensor do not tell you how much worse a model gets. Perplexity does: how surprised the model is by held-out text (lower is better). ' +
      'The whole model is quantized here in the tab, then both copies score the same text the way llama-perplexity does, and the KL divergence ' +
      'compares their next-token distributions position by position.',
  }, form, snippet, panel.el, out, words, imNote);
}
