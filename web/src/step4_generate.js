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
        // Generation speed from the first generated token to the last (the
        // prompt's batch is not counted).
        let n = 0;
        let tFirst = 0;
        for await (const t of model.generate($('gen-prompt').value, {
          nPredict: Number($('gen-n').value),
          temperature: Number($('gen-temp').value),
          seed: 1,
        })) {
          body.textContent += t.piece;
          if (t.prompt) continue;
          if (n++ === 0) tFirst = performance.now();
        }
        if (n > 1) {
          const tps = Math.round((n - 1) / ((performance.now() - tFirst) / 1000));
          card.firstChild.textContent = `${name} · ${n} tokens, ${tps} tokens/s`;
        }
      }
      out.dataset.status = 'done';
    } catch (e) {
      showError(out, e);
    }
  });
}
