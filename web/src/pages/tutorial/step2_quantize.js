// Step 2: quantize the tensor to any format: sizes, ratio, speed, and one
// block of the format drawn to scale (from formats()[i].layout).
import { codeBlock } from '../../lib/code.js';
import { field, h, select } from '../../lib/dom.js';
import { fmtBytes, fmtInt, fmtMs, typeLabel } from '../../lib/format.js';
import { progressPanel } from '../../lib/progress.js';
import { PALETTE } from '../../lib/theme.js';
import { card, metricsGrid, setMetrics } from '../../lib/ui.js';

const code = (type, rows, imatrix = false) => `
// ggml's exact bytes; rows tells the quantizer where rows end${imatrix ? '\n// imatrix: one importance weight per column (Float32Array), required for this type' : ''}
const q = ql.quantize(x, '${type}', { rows: ${rows}${imatrix ? ', imatrix' : ''} });   // Uint8Array
console.log(x.byteLength / q.length);                    // compression ratio
ql.format('${type}');  // {blockSize, typeSize, bitsPerWeight, layout, ...}`;

/** One block drawn to scale: a bar per field, width ∝ bytes. */
export function blockLayout(f, bytes = null) {
  if (!f.layout?.length) return h('p', { class: 'muted' }, `${typeLabel(f.name)}: ${f.typeSize} bytes per block of ${f.blockSize} values (field layout not described yet).`);
  let off = 0;
  const parts = f.layout.map((x, i) => {
    const part = { ...x, off, color: PALETTE[i % PALETTE.length] };
    off += x.bytes;
    return part;
  });
  const hex = (p) => (bytes ? Array.from(bytes.slice(p.off, p.off + Math.min(p.bytes, 8)), (b) => b.toString(16).padStart(2, '0')).join(' ') + (p.bytes > 8 ? ' …' : '') : '');
  return h('figure', { class: 'block-layout' },
    h('div', { class: 'layout', role: 'img', 'aria-label': `${typeLabel(f.name)} block: ${f.layout.map((x) => `${x.name} ${x.bytes} bytes`).join(', ')}` },
      parts.map((p) => h('div', { style: { flex: `${p.bytes} 0 0`, background: p.color }, title: `${p.name}: ${p.bytes} bytes` }, p.bytes / f.typeSize > 0.08 ? `${p.name} ${p.bytes}` : ''))),
    h('ul', { class: 'layout-legend' }, parts.map((p) => h('li', {}, h('i', { style: { background: p.color } }), h('code', {}, p.name), ` ${p.bytes} B — ${p.what}`, bytes ? h('span', { class: 'muted' }, ` [${hex(p)}]`) : null))),
    h('figcaption', {}, `${typeLabel(f.name)} = ${f.layout.map((x) => x.name + (x.bytes > 2 ? `[${x.bytes}]` : '')).join(', ')} = ${f.typeSize} bytes per ${f.blockSize} weight${f.blockSize > 1 ? 's' : ''} = ${f.bitsPerWeight.toFixed(4)} bits per weight.${bytes ? ' Brackets: the first bytes of block 0 of your tensor, in hex.' : ''}`));
}

export function step2(ctx) {
  const formats = ctx.info.formats.filter((f) => f.name !== 'f32');
  const fmtSel = select(formats.map((f) => ({ value: f.name, label: `${typeLabel(f.name)} · ${f.bitsPerWeight.toFixed(2)} bpw${f.hasVecDot === false ? ' (activation format)' : ''}` })), 'q4_K');
  const kernel = select([{ value: 'auto', label: 'auto (SIMD128)' }, { value: 'simd128', label: 'SIMD128' }, { value: 'ref', label: 'scalar reference' }], 'auto');
  const run = h('button', { type: 'submit', disabled: true }, 'Quantize');
  const out = metricsGrid({ id: 'step2-metrics', 'aria-label': 'Quantization results' });
  const layout = h('div', { id: 'step2-layout' }, blockLayout(ctx.info.formats.find((f) => f.name === 'q4_K') ?? formats[0]));
  const snippet = h('div', {}, codeBlock(code('q4_K', 4096)));
  const panel = progressPanel({ label: 'Quantizing' });
  const importanceNote = h('p', { class: 'note', id: 'step2-importance', hidden: true });
  fmtSel.addEventListener('change', () => layout.replaceChildren(blockLayout(ctx.info.formats.find((f) => f.name === fmtSel.value))));
  ctx.events.addEventListener('tensor', () => {
    run.disabled = false;
    out.replaceChildren();
    out.dataset.status = 'stale';
  });

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const type = fmtSel.value;
      const r = await panel.run((signal, set) => ctx.worker.call('quantizeTensor', { type, kernel: kernel.value }, {
        signal, onProgress: (p) => set(p.fraction ?? 0, `computing the built-in model\u2019s importance matrix on the held-out text: ${Math.round(100 * (p.fraction ?? 0))} %`),
      }), {
        buttons: [run], doneText: (r) => `Quantized ${fmtInt(r.n)} values to ${typeLabel(r.type)} in ${fmtMs(r.ms)}.`,
      });
      if (!r) {
        out.dataset.status = 'error';
        return;
      }
      importanceNote.hidden = !r.importance;
      importanceNote.textContent = r.importance ? `${typeLabel(type)} cannot be quantized without an importance matrix (ggml refuses): it was given ${r.importance}.` : '';
      const ratio = r.originalBytes / r.bytes;
      const bpw = (8 * r.bytes) / r.n;
      setMetrics(out, [
        ['FP32 size', fmtBytes(r.originalBytes)],
        [`${typeLabel(type)} size`, fmtBytes(r.bytes)],
        ['compression ratio', `${ratio.toFixed(2)}×`, { big: true, key: 'ratio' }],
        ['bits per weight', bpw.toFixed(4), { big: true }],
        ['time', fmtMs(r.ms)],
        ['throughput', `${(r.originalBytes / 1e6 / r.ms).toFixed(2)} GB/s of FP32`],
      ], { status: 'done', type, bytes: r.bytes, ratio, bpw, ms: r.ms });
      snippet.replaceChildren(codeBlock(code(type, ctx.tensor.rows, !!r.importance)));
      layout.replaceChildren(blockLayout(ctx.info.formats.find((f) => f.name === type), r.firstBlock));
      ctx.quantized = r;
      ctx.events.dispatchEvent(new CustomEvent('quantized', { detail: r }));
    },
  }, h('div', { class: 'controls' }, field('Format', fmtSel), field('Kernel', kernel, 'Every kernel writes the same bytes.'), run));

  return card({
    id: 'step-2', num: 2, title: 'Quantize it',
    intro: 'A quantized format cuts each row into blocks and stores every block as small integers plus one or two scales. ' +
      'K-quants (Q4_K …) group 256 values into a super-block whose sub-block scales are themselves quantized.',
  }, form, snippet, panel.el, importanceNote, out, h('h3', {}, 'One block, drawn to scale'), layout);
}
