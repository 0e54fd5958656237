// A tiny element builder: h('button', {type: 'button', onclick}, 'Run').
// Attributes starting with "on" become listeners, `dataset` and `style`
// objects are assigned, everything else is setAttribute; children may be
// strings, nodes, arrays or null.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

let uid = 0;
/** A document-unique id with a readable prefix. */
export function uniqueId(prefix) {
  return `${prefix}-${++uid}`;
}

/** A labelled form control: <label>text <input …></label> with a stable id. */
export function field(label, control, hint) {
  control.id ||= uniqueId('f');
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

export function numberInput({ value, min, max, step = 1, name }) {
  return h('input', { type: 'number', inputmode: 'numeric', value: String(value), min, max, step, name });
}

export function select(options, value) {
  const s = h('select', {});
  setOptions(s, options, value);
  return s;
}

/** options: [{value, label, disabled?}] or [value]. */
export function setOptions(s, options, value) {
  s.replaceChildren(...options.map((o) => {
    const opt = typeof o === 'object' ? o : { value: o, label: o };
    return h('option', { value: opt.value, disabled: opt.disabled }, opt.label);
  }));
  if (value !== undefined) s.value = value;
}

/** Read a positive integer from an input, or throw a message naming the field. */
export function intFrom(input, what, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw Object.assign(new Error(`${what} must be a whole number from ${min} to ${max.toLocaleString('en-US')}`), { code: 'InvalidArgument' });
  }
  return v;
}
