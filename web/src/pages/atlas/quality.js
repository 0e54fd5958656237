// The tutorial's format table with its "quality" column measured: the
// built-in model quantized to each file type and scored on its held-out
// text (PPL and KL divergence vs the F32 original), then the four
// recommendations derived from those numbers.
import { chartFigure, drawScatter } from '../../lib/charts.js';
import { field, h, intFrom, numberInput } from '../../lib/dom.js';
import { fmtBytes, fmtPct } from '../../lib/format.js';
import { hasFileType, NOT_YET, TUTORIAL_TABLE } from '../../lib/catalog.js';
import { progressPanel } from '../../lib/progress.js';
import { BANDS, cached, measureQuality, QUALITY_SETTINGS, qualityWord, recommend } from '../../lib/quality.js';
import { dataTable } from '../../lib/table.js';
import { PALETTE } from '../../lib/theme.js';
import { card, note } from '../../lib/ui.js';

export function qualitySection(info) {
  const rowsDef = TUTORIAL_TABLE.map((t) => ({ ...t, available: hasFileType(info, t.fileType) }));
  const measurable = rowsDef.filter((r) => r.available && r.fileType !== 'F32').map((r) => r.fileType);
  const run = h('button', { type: 'button' }, 'Measure quality on the built-in model');
  const chunks = numberInput({ value: 0, min: 0, max: 1000 });
  const settings = () => ({ ctx: QUALITY_SETTINGS.ctx, chunks: intFrom(chunks, 'Chunks', { min: 0, max: 1000 }) });
  let current = { ...QUALITY_SETTINGS };
  const panel = progressPanel({ label: 'Measuring quality' });
  const recs = h('div', { class: 'rec-grid', id: 'recommendations', role: 'list' });
  const imNote = h('p', { class: 'note warn', hidden: true });
  const fig = chartFigure({ caption: 'Each measured file type of the built-in model: its size against how far its predictions drift from the original.', label: 'Bits per weight against mean KL divergence', height: 280 });
  const table = dataTable({
    id: 'quality-table',
    caption: 'The tutorial\u2019s format table, measured',
    columns: [
      { key: 'label', label: 'format' },
      { key: 'bpw', label: 'bits/weight', numeric: true, format: (v) => (v ? v.toFixed(2) : '—') },
      { key: 'bytes', label: 'built-in model size', numeric: true, format: (v) => (v ? fmtBytes(v) : '—') },
      { key: 'ppl', label: 'PPL', numeric: true, format: (v, r) => (v ? `${v.toFixed(4)} ± ${r.pplError.toFixed(4)}` : '—') },
      { key: 'dppl', label: 'ΔPPL', numeric: true, format: (v) => (v === undefined ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)} %`) },
      { key: 'kld', label: 'mean KLD', numeric: true, format: (v, r) => (v === undefined ? '—' : r.kldError ? `${v.toFixed(5)} ± ${r.kldError.toFixed(5)}` : v.toFixed(5)) },
      { key: 'sameTop', label: 'same top token', numeric: true, format: (v) => (v === undefined ? '—' : fmtPct(v)) },
      { key: 'quality', label: 'quality (measured)' },
      { key: 'use', label: 'use case' },
    ],
  });

  function render(base) {
    const rows = rowsDef.map((t) => {
      if (!t.available) return { label: t.label, quality: NOT_YET, use: t.use, _class: 'na', _data: { type: t.fileType, na: 'true' } };
      if (t.fileType === 'F32' && base) {
        return { label: t.label, bpw: base.bpw, bytes: base.bytes, ppl: base.ppl, pplError: base.pplError, dppl: 0, kld: 0, sameTop: 1, quality: 'reference', use: t.use, _data: { type: 'F32' } };
      }
      const m = cached(info, t.fileType, current);
      if (!m || m.error) return { label: t.label, quality: m?.error ? `failed: ${m.error.message}` : 'not measured yet', use: t.use, _data: { type: t.fileType } };
      return {
        label: t.label, bpw: m.bpw, bytes: m.bytes, ppl: m.ppl, pplError: m.pplError, dppl: base ? (100 * (m.ppl - base.ppl)) / base.ppl : undefined,
        kld: m.kld, kldError: m.kldError, sameTop: m.sameTop, quality: qualityWord(m.kld) + (m.imatrix ? ' (imatrix)' : ''), use: t.use, imatrix: m.imatrix, _data: { type: t.fileType, kld: m.kld },
      };
    });
    table.setRows(rows);
    const measured = rows.filter((r) => r.kld !== undefined && r.label !== 'FP32');
    // Recommendations choose among quantized types (FP16 is the usual starting point, not a choice).
    const rec = recommend(measured.filter((r) => !['FP16', 'BF16'].includes(r.label)).map((r) => ({ ...r, type: r.label })));
    const im = measured.filter((r) => r.imatrix).map((r) => r.label);
    imNote.hidden = im.length === 0;
    imNote.textContent = `${im.join(', ')} ${im.length === 1 ? 'was' : 'were'} quantized with an importance matrix computed in this page from the held-out text (model.computeImatrix, as llama-imatrix; same context and chunks as the scores), as llama.cpp users quantize the lattice types. The other rows use none.`;
    fig.el.hidden = !rec;
    if (!rec) {
      recs.replaceChildren(h('p', { class: 'muted' }, 'Recommendations appear once the formats are measured.'));
      return;
    }
    const item = (key, title, r, why) => h('div', { class: 'rec', role: 'listitem', dataset: { rec: key, type: r?.label ?? '' } },
      h('h3', {}, title), h('div', { class: 'pick' }, r ? r.label : 'none qualifies'),
      h('p', { class: 'muted' }, r ? `${r.bpw.toFixed(2)} bits/weight, KLD ${r.kld.toFixed(5)}. ${why}` : why));
    recs.replaceChildren(
      item('best', 'Best quality', rec.best, 'The lowest KL divergence of the quantized types.'),
      item('balanced', 'Balanced', rec.balanced, 'The smallest format rated very good or better (KLD < 0.004).'),
      item('memory', 'Memory-constrained', rec.memory, 'The smallest format rated good or better (KLD < 0.015).'),
      item('extreme', 'Extreme compression', rec.extreme, 'The smallest format measured, whatever its loss.'),
    );
    // The chart in its own task: a table and a chart in one task could block the page > 100 ms.
    setTimeout(() => drawScatter(fig, {
      series: [{ label: 'file types', points: measured.filter((r) => r.kld > 0).map((r) => ({ x: r.bpw, y: r.kld, name: r.label })), color: PALETTE[2], pointRadius: 5 }],
      xTitle: 'bits per weight (whole file)', yTitle: 'mean KL divergence vs F32 (nats/token, log scale)', yLog: true,
    }), 0);
  }

  run.addEventListener('click', async () => {
    table.setStatus('running');
    const res = await panel.run((signal, set) => {
      current = settings();
      return measureQuality(info, measurable, { settings: current, signal, onRow: () => render(cached(info, '__base', current)), onProgress: set });
    }, { buttons: [run] });
    if (res) {
      render(res.base);
      table.setStatus('done');
    }
  });
  render(cached(info, '__base', current));

  return card({
    id: 'atlas-quality', title: 'Which format to pick: measured on a real model',
    intro: h('p', {}, 'The tutorial\u2019s format table. Its quality column is not a claim: it comes from quantizing the built-in model to each file type in this tab and scoring it on the held-out stories ' +
      `(context ${QUALITY_SETTINGS.ctx}, all chunks unless you choose fewer) against the F32 original, as llama-perplexity --kl-divergence does. ` +
      'The lattice types (IQ1_*, IQ2_*, IQ3_*) are quantized with an importance matrix computed here from the same held-out text; the others without. Results are kept for this browser session.'),
  }, h('div', { class: 'controls' }, field('Chunks of 256 tokens (0 = all)', chunks, 'Fewer chunks: faster, wider error bars.'), run), panel.el, table.el, imNote,
  note(`Quality bands by mean KL divergence (nats per token): ${BANDS.map((b) => `${b.word} < ${b.max === Infinity ? '∞' : b.max}`).join(', ')}. On a model this small perplexity moves little, so KLD is the measure that separates formats.`),
  h('h3', {}, 'Recommendations'), recs, fig.el);
}
