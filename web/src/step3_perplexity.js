// Step 3: quantize a whole model in the tab, then perplexity + KL divergence
// of every copy against the original on held-out text.
import { drawPoints } from './charts.js';
import { defaultModelUrl, defaultTextUrl } from './default_model.js';
import { fmtBytes, showError, table } from './ui.js';

const FORMATS = ['Q8_0', 'Q6_K', 'Q5_K_M', 'Q4_K_M', 'Q4_0', 'Q3_K_M', 'Q2_K'];
const DEFAULT_ON = new Set(['Q8_0', 'Q4_K_M', 'Q2_K']);

// Tokens evaluated per second of a perplexity run (every chunk runs ctx
// tokens through the model in one batch; KLD work is included).
function evalSpeed(result, ctx, ms) {
  return `${Math.round((result.nChunks * ctx) / (ms / 1000))} tokens/s`;
}

export function setupStep3(state) {
  const ql = state.quantlab;
  const $ = (id) => document.getElementById(id);
  const form = $('ppl-form');
  const bar = $('ppl-bar');
  const status = $('ppl-status');
  const out = $('ppl-table');
  const cancelBtn = $('ppl-cancel');
  const runBtn = $('ppl-run');
  let controller = null;

  for (const f of FORMATS) {
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" value="${f}"${DEFAULT_ON.has(f) ? ' checked' : ''}/> ${f}`;
    $('ppl-types').append(label);
  }
  $('model-source').addEventListener('change', () => {
    $('model-file-label').hidden = $('model-source').value !== 'file';
  });
  fetch(defaultTextUrl)
    .then((r) => r.text())
    .then((t) => {
      if (!$('ppl-text').value) $('ppl-text').value = t;
    });

  async function baseModelBlob() {
    if ($('model-source').value === 'file') {
      const f = $('model-file').files[0];
      if (!f) throw new Error('choose a GGUF file first');
      return f;
    }
    return (await fetch(defaultModelUrl)).blob();
  }

  const setProgress = (fraction, text) => {
    bar.style.width = `${Math.round(100 * Math.min(1, fraction))}%`;
    status.textContent = text;
  };

  async function run() {
    controller = new AbortController();
    const signal = controller.signal;
    cancelBtn.disabled = false;
    runBtn.disabled = true;
    out.dataset.status = 'running';
    const types = [...$('ppl-types').querySelectorAll('input:checked')].map((i) => i.value);
    const ctx = Number($('ppl-ctx').value);
    const chunks = Number($('ppl-chunks').value);
    const text = $('ppl-text').value;
    const rows = [];
    const points = [];
    const steps = 1 + 2 * types.length;
    let step = 0;
    const disposeAll = () => {
      for (const m of state.models.values()) m.dispose();
      state.models.clear();
    };
    try {
      disposeAll();
      const blob = await baseModelBlob();
      setProgress(0, 'loading the original model…');
      const base = await ql.loadModel(blob, { nCtx: ctx, signal });
      state.models.set('original', base);
      let t0 = performance.now();
      const basePpl = await base.perplexity(text, {
        ctx,
        chunks,
        keepLogprobs: true,
        signal,
        onProgress: (p) => setProgress((step + p.chunk / p.nChunks) / steps, `original: chunk ${p.chunk}/${p.nChunks}, PPL ${p.runningPpl.toFixed(4)}`),
      });
      const baseSpeed = evalSpeed(basePpl, ctx, performance.now() - t0);
      step++;
      const baseBpw = base.info.bitsPerWeight;
      rows.push(['original (' + (base.info.bitsPerWeight > 20 ? 'F32' : 'F16') + ')', fmtBytes(blob.size), baseBpw.toFixed(2), `${basePpl.ppl.toFixed(4)} ± ${basePpl.pplError.toFixed(4)}`, '—', '—', '—', '—', baseSpeed]);
      points.push({ x: baseBpw, y: basePpl.ppl, name: 'original' });
      renderTable(rows);

      for (const type of types) {
        setProgress(step / steps, `quantizing to ${type}…`);
        const q = await ql.quantizeModel(blob, {
          type,
          signal,
          onProgress: (p) => setProgress((step + p.bytesRead / p.bytesTotal) / steps, `quantizing to ${type}: ${p.tensor ?? ''}`),
        });
        step++;
        const qm = await ql.loadModel(q.blob, { nCtx: ctx, signal });
        state.models.set(type, qm);
        t0 = performance.now();
        const r = await qm.perplexity(text, {
          ctx,
          chunks,
          base,
          signal,
          onProgress: (p) => setProgress((step + p.chunk / p.nChunks) / steps, `${type}: chunk ${p.chunk}/${p.nChunks}, PPL ${p.runningPpl.toFixed(4)}`),
        });
        step++;
        const k = r.kld;
        rows.push([
          type,
          fmtBytes(q.blob.size),
          qm.info.bitsPerWeight.toFixed(2),
          `${r.ppl.toFixed(4)} ± ${r.pplError.toFixed(4)}`,
          `${k.pplDiff >= 0 ? '+' : ''}${k.pplDiff.toFixed(4)} ± ${k.pplDiffError.toFixed(4)}`,
          `${k.kldMean.toFixed(5)} ± ${k.kldError.toFixed(5)}`,
          `${(100 * k.sameTop).toFixed(2)} %`,
          k.significant ? `yes (p = ${k.pValue.toExponential(1)})` : `no (p = ${k.pValue.toFixed(2)})`,
          evalSpeed(r, ctx, performance.now() - t0),
        ]);
        points.push({ x: qm.info.bitsPerWeight, y: r.ppl, name: type });
        renderTable(rows);
      }
      drawPoints($('ppl-chart'), { points, xLabel: 'bits per weight', yLabel: 'perplexity', label: 'perplexity', color: '#3358d4' });
      setProgress(1, `done: ${types.length} formats compared on ${basePpl.nScored} scored tokens`);
      out.dataset.status = 'done';
      out.dataset.rows = String(rows.length);
      $('gen-run').disabled = false;
    } catch (e) {
      if (e.code === 'Cancelled') {
        setProgress(0, 'cancelled');
        out.dataset.status = 'cancelled';
      } else {
        showError(status, e);
        out.dataset.status = 'error';
      }
    } finally {
      cancelBtn.disabled = true;
      runBtn.disabled = false;
      controller = null;
    }
  }

  function renderTable(rows) {
    out.replaceChildren(
      table(['model', 'file size', 'bits/weight', 'PPL', 'ΔPPL', 'mean KLD', 'same top token', 'significantly worse?', 'eval speed'], rows),
    );
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  cancelBtn.addEventListener('click', () => controller?.abort());
}
