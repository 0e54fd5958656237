// Page building blocks: cards, metric grids, notes.
import { h } from './dom.js';

/** A section card with a heading; `id` makes it linkable (#/page/id). */
export function card({ id, title, num, intro }, ...children) {
  return h('section', { class: 'card', id, 'aria-labelledby': id ? `${id}-h` : undefined },
    h('h2', { id: id ? `${id}-h` : undefined }, num ? h('span', { class: 'step-num', 'aria-hidden': 'true' }, String(num)) : null, title),
    intro ? (typeof intro === 'string' ? h('p', {}, intro) : intro) : null,
    ...children);
}

/**
 * Fill a metrics grid: items [[label, value, {big, key}]]. Each value also
 * lands in data-<key> on the grid (raw numbers, for tests and copy/paste).
 */
export function setMetrics(el, items, data = {}) {
  el.replaceChildren(...items.map(([k, v, o = {}]) =>
    h('div', { class: `metric${o.big ? ' big' : ''}` }, h('div', { class: 'k' }, k), h('div', { class: 'v', dataset: o.key ? { key: o.key } : undefined }, v))));
  for (const [k, v] of Object.entries(data)) el.dataset[k] = String(v);
}

export function metricsGrid(attrs = {}) {
  return h('div', { class: 'metrics', role: 'group', ...attrs });
}

export function note(text, kind = '') {
  return h('p', { class: `note ${kind}` }, text);
}
