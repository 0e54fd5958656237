import { h } from '../lib/dom.js';
export function mount(root) {
  root.append(h('h1', { id: 'perplexity-title' }, 'perplexity'));
}
