// Choosing a model: the built-in one, or a GGUF from this computer (a File is
// only ever read in slices, so any size works). Files can also be dropped.
import { field, h, select } from './dom.js';
import { BUILTIN_MODEL_NAME } from './assets.js';
import { fmtBytes } from './format.js';

/**
 * A model source picker: {el, source(), onChange(fn)}. source() is
 * {kind: 'builtin'} or {kind: 'file', file} (throws a named error when
 * "file" is chosen but none is picked).
 */
export function modelPicker({ label = 'Model', allowBuiltin = true } = {}) {
  const kind = select([
    ...(allowBuiltin ? [{ value: 'builtin', label: `${BUILTIN_MODEL_NAME} (built in, 3.7 M parameters, F32)` }] : []),
    { value: 'file', label: 'a GGUF file from this computer…' },
  ]);
  const input = h('input', { type: 'file', accept: '.gguf,application/octet-stream' });
  const info = h('small', { class: 'hint' });
  const fileField = field('GGUF file', input, 'Read in slices: files of any size work. You can also drop a file here.');
  fileField.append(info);
  fileField.hidden = allowBuiltin;
  const listeners = new Set();
  const changed = () => {
    fileField.hidden = kind.value !== 'file';
    const f = input.files?.[0];
    info.textContent = f ? `${f.name}, ${fmtBytes(f.size)}` : '';
    for (const fn of listeners) fn();
  };
  kind.addEventListener('change', changed);
  input.addEventListener('change', changed);
  const el = h('div', { class: 'picker' }, field(label, kind), fileField);
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.classList.add('drop');
  });
  el.addEventListener('dragleave', () => el.classList.remove('drop'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    el.classList.remove('drop');
    if (e.dataTransfer?.files?.length) {
      input.files = e.dataTransfer.files;
      kind.value = 'file';
      changed();
    }
  });
  return {
    el,
    input,
    kind,
    source() {
      if (kind.value === 'builtin') return { kind: 'builtin' };
      const file = input.files?.[0];
      if (!file) throw Object.assign(new Error('choose a GGUF file first'), { code: 'InvalidArgument' });
      return { kind: 'file', file };
    },
    describe() {
      return kind.value === 'builtin' ? BUILTIN_MODEL_NAME : input.files?.[0]?.name ?? 'no file chosen';
    },
    onChange(fn) {
      listeners.add(fn);
    },
  };
}

/** A text source: the held-out text, pasted text, or a picked .txt file. */
export function textPicker({ label = 'Evaluation text', heldout }) {
  const area = h('textarea', { rows: 5, spellcheck: 'false' });
  const input = h('input', { type: 'file', accept: '.txt,text/plain' });
  const count = h('small', { class: 'hint', role: 'status' });
  const update = () => {
    count.textContent = `${area.value.length.toLocaleString('en-US')} characters${area.value === heldoutValue ? ' (the built-in model\u2019s held-out stories)' : ''}`;
  };
  let heldoutValue = '';
  heldout?.then((t) => {
    heldoutValue = t;
    if (!area.value) area.value = t;
    update();
  });
  area.addEventListener('input', update);
  input.addEventListener('change', async () => {
    const f = input.files?.[0];
    if (f) {
      area.value = await f.text();
      update();
    }
  });
  const reset = h('button', { type: 'button', class: 'secondary small', onclick: () => { area.value = heldoutValue; update(); } }, 'Use the held-out text');
  const el = h('div', { class: 'text-picker' }, field(label, area), h('div', { class: 'row' }, field('…or load a .txt file', input), reset), count);
  return { el, area, text: () => area.value };
}
