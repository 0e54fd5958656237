// Entry of the tutorial page: load the wasm module, then wire up the steps.
import { loadQuantlab } from 'quantlab';
import { setupStep1 } from './step1_tensor.js';
import { setupStep2 } from './step2_quantize.js';
import { setupStep3 } from './step3_perplexity.js';
import { setupStep4 } from './step4_generate.js';
import './style.css';

async function main() {
  const backend = document.getElementById('backend');
  const state = { quantlab: await loadQuantlab(), tensor: null, models: new Map() };
  backend.textContent = state.quantlab.simd128 ? 'SIMD128' : 'scalar';
  // The API is on window for anyone who opens the console (and for the browser tests).
  window.quantlab = state.quantlab;
  document.body.dataset.ready = 'true';

  const step2 = setupStep2(state);
  const step1 = setupStep1(state, () => step2.enable());
  step1.run(); // start with a tensor on screen
  setupStep3(state);
  setupStep4(state);
}

main().catch((e) => {
  document.body.dataset.ready = 'error';
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = `quantlab failed to start: ${e.message}`;
  document.querySelector('main').prepend(p);
});
