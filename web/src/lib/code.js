// A snippet of the npm API with a Copy button: each tutorial step shows the
// few lines of JavaScript that do what its Run button does.
import { h } from './dom.js';

export function codeBlock(code, { label = 'JavaScript' } = {}) {
  const pre = h('pre', { class: 'code', tabindex: '0', 'aria-label': `${label} example` }, h('code', {}, code.trim()));
  const status = h('span', { class: 'copy-status', role: 'status' });
  const btn = h('button', {
    type: 'button', class: 'secondary small',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(code.trim());
        status.textContent = 'Copied';
      } catch {
        const r = document.createRange();
        r.selectNodeContents(pre);
        getSelection().removeAllRanges();
        getSelection().addRange(r);
        status.textContent = 'Selected: press Ctrl+C to copy';
      }
    },
  }, 'Copy code');
  return h('div', { class: 'code-wrap' }, pre, h('div', { class: 'code-tools' }, btn, status));
}
