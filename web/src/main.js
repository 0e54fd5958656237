// Entry: navigation, routing and the runtime line in the header. The wasm
// module itself only ever loads in workers (lib/workers.js).
import { pages } from './pages/index.js';
import { startRouter } from './router.js';
import { worker } from './lib/workers.js';
import { h } from './lib/dom.js';
import './style.css';

// For the console (and the API tests): the npm API on this thread, loaded on
// demand as a separate chunk: `const ql = await loadQuantlab()`.
window.loadQuantlab = (options) => import('quantlab').then((m) => m.loadQuantlab(options));

const info = worker('app').call('info');
const app = { info, pages };

async function showRuntime() {
  const el = document.getElementById('runtime');
  try {
    const i = await info;
    const isolation = i.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated';
    el.replaceChildren(
      h('span', { class: 'badge', id: 'wasm-variant', dataset: { variant: i.wasmVariant ?? '' },
        title: 'which build of the module runs: relaxed SIMD (where the browser has it) or plain SIMD128' },
        !i.simd128 ? 'WebAssembly (scalar)' : i.wasmVariant === 'relaxed-simd' ? 'WebAssembly relaxed SIMD' : 'WebAssembly SIMD128'),
      h('span', { class: 'badge', id: 'thread-count', dataset: { threads: i.threads } }, `${i.threads} thread${i.threads === 1 ? '' : 's'}`),
      h('span', { class: 'badge', title: 'COOP/COEP headers: needed for a threaded module' }, isolation),
    );
    document.body.dataset.ready = 'true';
  } catch (e) {
    el.textContent = `The WebAssembly module failed to load: ${e.message}`;
    el.classList.add('error-box');
    document.body.dataset.ready = 'error';
  }
}

showRuntime();
startRouter({ pages, main: document.getElementById('main'), nav: document.getElementById('nav'), app, fallback: 'tutorial' });
