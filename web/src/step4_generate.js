// Step 4: the same prompt through every model loaded in Step 3.
import { showError } from './ui.js';

export function setupStep4(state) {
  const $ = (id) => document.getElementById(id);
  $('gen-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('gen-out');
    out.replaceChildren();
    out.dataset.status = 'running';
    try {
      for (const [name, model] of state.models) {
        const card = document.createElement('div');
        card.className = 'card';
        card.innerHTML = '<h4></h4><div></div>';
        card.firstChild.textContent = name;
        out.append(card);
        const body = card.lastChild;
        for await (const t of model.generate($('gen-prompt').value, {
          nPredict: Number($('gen-n').value),
          temperature: Number($('gen-temp').value),
          seed: 1,
        })) {
          body.textContent += t.piece;
        }
      }
      out.dataset.status = 'done';
    } catch (e) {
      showError(out, e);
    }
  });
}
