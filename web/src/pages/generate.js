// Generate: the same prompt through the original model and quantized copies,
// streamed token by token, with prompt and generation tokens/s.
import { codeBlock } from '../lib/code.js';
import { field, h, intFrom, numberInput } from '../lib/dom.js';
import { modelPicker } from '../lib/files.js';
import { fmtBytes } from '../lib/format.js';
import { progressPanel } from '../lib/progress.js';
import { card } from '../lib/ui.js';
import { worker } from '../lib/workers.js';

const code = (prompt, n, temp) => `
const model = await ql.loadModel(file);
for await (const t of model.generate(${JSON.stringify(prompt)}, { nPredict: ${n}, temperature: ${temp} })) {
  output.textContent += t.piece;      // the first value is the prompt as the tokenizer saw it
}`;

export async function mount(root, app) {
  const info = await app.info;
  const w = worker('generate');
  const picker = modelPicker();
  const prompt = h('input', { type: 'text', value: 'Once upon a time', size: 40 });
  const nPredict = numberInput({ value: 60, min: 1, max: 1024 });
  const temp = h('input', { type: 'number', value: '0', min: '0', max: '2', step: '0.05' });
  const topK = numberInput({ value: 40, min: 0, max: 1000 });
  const topP = h('input', { type: 'number', value: '0.95', min: '0.01', max: '1', step: '0.01' });
  const seed = numberInput({ value: 1, min: 0, max: 2 ** 31 });
  const types = info.fileTypes.filter((t) => t.name !== 'F32');
  const boxes = types.map((t) => h('input', { type: 'checkbox', value: t.name, checked: ['Q4_K_M', 'Q2_K'].includes(t.name) }));
  const typeSet = h('fieldset', { class: 'checks' }, h('legend', {}, 'Also run quantized copies (made in this tab)'), types.map((t, i) => h('label', { title: t.description }, boxes[i], t.name)));
  const run = h('button', { type: 'submit' }, 'Generate');
  const panel = progressPanel({ label: 'Generating' });
  const out = h('div', { class: 'gen-grid', id: 'gen-out', 'aria-live': 'polite' });
  const snippet = h('div', {}, codeBlock(code('Once upon a time', 60, 0)));

  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      out.replaceChildren();
      out.dataset.status = 'running';
      const r = await panel.run(async (signal, set) => {
        const source = picker.source();
        const n = intFrom(nPredict, 'Tokens', { max: 1024 });
        const t = Number(temp.value);
        if (!(t >= 0 && t <= 2)) throw Object.assign(new Error('the temperature must be between 0 and 2'), { code: 'InvalidArgument' });
        const p = Number(topP.value);
        if (!(p > 0 && p <= 1)) throw Object.assign(new Error('top-p must be in (0, 1]'), { code: 'InvalidArgument' });
        snippet.replaceChildren(codeBlock(code(prompt.value, n, t)));
        const models = [null, ...boxes.filter((b) => b.checked).map((b) => b.value)];
        const results = [];
        for (const [i, type] of models.entries()) {
          const title = h('h3', {}, type ?? `original (${picker.describe()})`);
          const text = h('div', { class: 'gen-text' });
          const stats = h('p', { class: 'muted gen-stats' }, 'loading…');
          out.append(h('article', { class: 'gen-card', dataset: { model: type ?? 'original' } }, title, text, stats));
          const res = await w.call('generate', {
            source, type, prompt: prompt.value, nPredict: n, temperature: t, topK: intFrom(topK, 'Top-k', { min: 0, max: 1000 }), topP: p, seed: intFrom(seed, 'Seed', { min: 0, max: 2 ** 31 }),
          }, {
            signal,
            onProgress: (ev) => {
              if (ev.prompt !== undefined) text.append(h('span', { class: 'prompt' }, ev.prompt));
              if (ev.piece !== undefined) {
                text.append(ev.piece);
                set((i + ev.n / n) / models.length, `${type ?? 'original'}: ${ev.n} of ${n} tokens`, { eta: false });
              }
            },
          });
          stats.textContent = `${res.nGenerated} tokens at ${res.tokensPerSecond.toFixed(0)} tokens/s · prompt ${res.nPrompt} tokens at ${res.promptTokensPerSecond.toFixed(0)} tokens/s · ${res.bpw.toFixed(2)} bits/weight, ${fmtBytes(res.bytes)}${res.stop === 'eog' ? ' · stopped at end of text' : ''}`;
          stats.dataset.tps = String(res.tokensPerSecond);
          results.push(res);
        }
        return results;
      }, { buttons: [run] });
      out.dataset.status = r ? 'done' : 'error';
    },
  },
  h('div', { class: 'controls' }, picker.el, field('Prompt', prompt)),
  h('div', { class: 'controls' }, field('Tokens', nPredict), field('Temperature (0 = greedy)', temp), field('Top-k', topK), field('Top-p', topP), field('Seed', seed), run),
  typeSet);

  root.append(
    h('h1', { id: 'generate-title' }, 'Generate'),
    h('p', { class: 'lede' }, 'Read what the models write: the same prompt through the original and quantized copies. With temperature 0 (greedy) the differences come from quantization alone.'),
    card({ id: 'gen-card', title: 'Prompt and settings' }, form, snippet, panel.el),
    card({ id: 'gen-results', title: 'Output' }, out),
  );
}
