// Mixed precision: measure how much each tensor suffers in each format (a
// sensitivity scan on a calibration text), see which tensors are sensitive,
// move a size budget and watch the chosen formats and the predicted quality
// change, compare with the standard file types at their own sizes, and
// download the planned file. Everything runs in this page's worker.
import { chartFigure, drawScatter } from '../lib/charts.js';
import { codeBlock } from '../lib/code.js';
import { field, h, intFrom, numberInput, select, setOptions } from '../lib/dom.js';
import { modelPicker } from '../lib/files.js';
import { fmt, fmtBytes, fmtDuration, typeLabel } from '../lib/format.js';
import { weightFormats } from '../lib/catalog.js';
import { defaultExactTypes, EXACT_DEFAULT } from '../lib/mixed_defaults.js';
import { progressPanel, showError } from '../lib/progress.js';
import { dataTable } from '../lib/table.js';
import { PALETTE } from '../lib/theme.js';
import { card, metricsGrid, note, setMetrics } from '../lib/ui.js';
import { worker } from '../lib/workers.js';

// The standard types drawn on the curve (those this build can make).
const REFERENCE_TYPES = ['Q2_K', 'Q3_K_M', 'Q4_K_M', 'Q5_K_M', 'Q6_K', 'Q8_0'];
// Tensor kinds in forward-pass order: the heat map's columns.
const KIND_ORDER = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'];

const code = `
const scan = await ql.scanSensitivity(file, { calibrationText, onProgress, signal });
scan.result.tensors;                      // KLD of each tensor alone, per format
const plan = scan.plan({ targetBytes: '2.2M' });   // best formats for the size, verified
const { blob } = await ql.quantizeModel(file, { plan });
plan.tensorTypes;                         // the same file with llama-quantize --tensor-type`;

// Sequential colours from light to dark (viridis stops): readable in both themes.
const RAMP = ['#fde725', '#5ec962', '#21918c', '#3b528b', '#440154'];
function rampRgb(t) {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i].match(/\w\w/g).map((c) => parseInt(c, 16));
  const b = RAMP[i + 1].match(/\w\w/g).map((c) => parseInt(c, 16));
  return a.map((v, k) => Math.round(v + (b[k] - v) * f));
}
// Black or white text, whichever contrasts more with the cell (WCAG relative luminance).
function cellStyle(t) {
  const rgb = rampRgb(t);
  const lin = rgb.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
  const L = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  const black = (L + 0.05) / 0.05, white = 1.05 / (L + 0.05);
  return { background: `rgb(${rgb.join(',')})`, color: black >= white ? '#000' : '#fff' };
}

/** Rows: "outside the blocks", then layer 0..n-1; columns: the kinds present. */
function gridOf(tensors) {
  const kinds = [...new Set(tensors.filter((t) => t.layer >= 0).map((t) => t.kind))]
    .sort((a, b) => (KIND_ORDER.indexOf(a) + 99 * (KIND_ORDER.indexOf(a) < 0)) - (KIND_ORDER.indexOf(b) + 99 * (KIND_ORDER.indexOf(b) < 0)));
  const layers = [...new Set(tensors.filter((t) => t.layer >= 0).map((t) => t.layer))].sort((a, b) => a - b);
  const outside = tensors.filter((t) => t.layer < 0);
  return { kinds, layers, outside, at: (layer, kind) => tensors.find((t) => t.layer === layer && t.kind === kind) };
}

/** A grid of cells (one per tensor) coloured by value(tensor) in [0, 1], with text(tensor). */
function tensorGrid({ caption, tensors, value, text, title, id }) {
  const g = gridOf(tensors);
  const cell = (t) => {
    if (!t) return h('td', { class: 'hm-empty' }, '—');
    const v = value(t);
    const style = v === null ? {} : cellStyle(v);
    return h('td', { class: 'hm-cell', style, title: title(t), dataset: { tensor: t.name } }, text(t));
  };
  const rows = [];
  if (g.outside.length) {
    rows.push(h('tr', {}, h('th', { scope: 'row' }, 'outside blocks'),
      h('td', { colspan: g.kinds.length, class: 'hm-outside' }, g.outside.map((t) => {
        const c = cell(t);
        return h('span', { class: 'hm-chip', style: c.getAttribute('style') ?? '', title: c.title, dataset: { tensor: t.name } }, `${t.kind}: `, c.textContent);
      }))));
  }
  for (const l of g.layers) rows.push(h('tr', {}, h('th', { scope: 'row' }, `layer ${l}`), g.kinds.map((k) => cell(g.at(l, k)))));
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: 'heatmap', id },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'layer'), g.kinds.map((k) => h('th', { scope: 'col' }, k)))),
      h('tbody', {}, rows)));
}

function legend(lo, hi, label) {
  return h('div', { class: 'hm-legend', 'aria-hidden': 'true' },
    h('span', {}, lo), h('span', { class: 'hm-ramp', style: { background: `linear-gradient(90deg, ${RAMP.join(',')})` } }), h('span', {}, hi), h('span', { class: 'hint' }, label));
}

/** The formats of a scan with a measured KLD (all of them unless it was a partial scan). */
function measuredTypes(result) {
  return result.types.filter((_, i) => result.tensors.some((t) => typeof t.cells[i]?.kld === 'number'));
}

export async function mount(root, app) {
  const info = await app.info;
  const w = worker('mixed');

  // ---- 1. scan
  const picker = modelPicker();
  const ctxLen = numberInput({ value: 256, min: 16, max: 4096 });
  const chunks = numberInput({ value: 1, min: 1, max: 64 });
  const formats = [...weightFormats(info).filter((f) => f.isQuantized), ...info.formats.filter((f) => f.name === 'f16')]
    .sort((a, b) => a.bitsPerWeight - b.bitsPerWeight);
  const boxes = formats.map((f) => h('input', { type: 'checkbox', value: f.name, checked: true }));
  const typeSet = h('fieldset', { class: 'checks' }, h('legend', {}, 'Candidate formats (from the module)'),
    formats.map((f, i) => h('label', { title: `${f.bitsPerWeight.toFixed(2)} bits per weight` }, boxes[i], typeLabel(f.name))));
  // Which candidates get a forward pass each: all 23 take ~90 s of one thread, so by default the
  // main format of each size tier is measured and the rest estimated (lib/mixed_defaults.js).
  const measureMode = select([
    { value: 'main', label: 'the main formats exactly, the others estimated (faster)' },
    { value: 'all', label: 'every format exactly (slower: about twice as long)' },
  ], 'main');
  const exactList = EXACT_DEFAULT.filter((t) => formats.some((f) => f.name === t)).map(typeLabel).join(', ');
  const measureField = h('div', {}, field('Measure', measureMode), h('p', { class: 'hint', id: 'mx-exact-hint' },
    `Measured exactly by default: ${exactList}. The other formats are estimated from the proxy (imatrix-weighted error), scaled per tensor to fit that tensor\u2019s measured ones: each is about as good as or beaten by a measured format of about its size, or lies far below Q3_K_M\u2019s size.`));
  const calib = h('textarea', { rows: 4, spellcheck: 'false' });
  const calibDefault = w.call('calibrationText').then((t) => {
    if (!calib.value) calib.value = t;
    return t;
  });
  const calibFile = h('input', { type: 'file', accept: '.txt,text/plain' });
  calibFile.addEventListener('change', async () => {
    const f = calibFile.files?.[0];
    if (f) calib.value = await f.text();
  });
  const scanBtn = h('button', { type: 'submit' }, 'Scan sensitivity');
  const scanPanel = progressPanel({ label: 'Sensitivity scan' });
  const scanInfo = metricsGrid({ id: 'mx-scan-info', 'aria-label': 'Scan summary' });

  // ---- 2. heat map
  const heatType = select([], 'q4_K');
  const heatBox = h('div', { id: 'mx-heat' });
  const rhoOut = h('p', { class: 'hint', id: 'mx-rho' });

  // ---- 3. budget
  // Step 1: budgets are exact byte counts (a standard type's size is hit exactly).
  const slider = h('input', { type: 'range', id: 'mx-slider', min: 0, max: 1, step: 1, value: 0, disabled: true, 'aria-label': 'File size budget' });
  const sizeButtons = h('div', { class: 'row', id: 'mx-size-buttons' });
  const planOut = metricsGrid({ id: 'mx-plan', 'aria-label': 'Plan at this size' });
  const planGrid = h('div', { id: 'mx-plan-grid' });
  const typeCounts = h('p', { class: 'hint', id: 'mx-type-counts' });

  // ---- 4. curve
  const compareBtn = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Measure the standard file types');
  const comparePanel = progressPanel({ label: 'Comparing with the standard file types' });
  const curveFig = chartFigure({ caption: 'File size against mean KL divergence from the original on the calibration chunks: the plans\u2019 predicted curve, the standard file types measured, and the plan at each of their sizes measured the same way. Lower left is better.', label: 'File size against KL divergence', height: 300 });
  const compareTable = dataTable({
    id: 'mx-compare',
    caption: 'Standard file types and the plan at the same size (KLD measured on the calibration chunks)',
    columns: [
      { key: 'type', label: 'file type' },
      { key: 'bytes', label: 'size', numeric: true, format: (v) => fmtBytes(v) },
      { key: 'fixedKld', label: 'KLD of the type', numeric: true, format: (v) => fmt(v, 3) },
      { key: 'mixedBytes', label: 'plan size', numeric: true, format: (v) => (v === undefined ? '—' : fmtBytes(v)) },
      { key: 'mixedKld', label: 'KLD of the plan', numeric: true, format: (v) => (typeof v === 'string' ? v : fmt(v, 3)) },
      { key: 'ratio', label: 'plan ÷ type', numeric: true, format: (v) => (v === undefined ? '—' : `${v.toFixed(2)}×`) },
    ],
    empty: 'Scan, then press “Measure the standard file types”.',
  });

  // ---- 5. file
  const makeBtn = h('button', { type: 'button', disabled: true }, 'Make this file');
  const makePanel = progressPanel({ label: 'Quantizing' });
  const downloads = h('div', { id: 'mx-downloads' });

  let scanned = null; // {result, curve, modelBytes}
  let plan = null;
  let compared = [];
  const urls = [];

  function drawHeat() {
    if (!scanned) return;
    const ti = scanned.result.types.indexOf(heatType.value);
    const cellOf = (t) => t.cells[ti];
    const vals = scanned.result.tensors.map((t) => cellOf(t)?.kld).filter((v) => v > 0);
    const lo = Math.log10(Math.min(...vals)), hi = Math.log10(Math.max(...vals));
    heatBox.replaceChildren(
      tensorGrid({
        id: 'mx-heatmap',
        caption: `KL divergence when only that tensor is in ${typeLabel(heatType.value)} (log colour scale)`,
        tensors: scanned.result.tensors,
        value: (t) => (cellOf(t)?.kld > 0 ? (Math.log10(cellOf(t).kld) - lo) / Math.max(1e-9, hi - lo) : null),
        text: (t) => (cellOf(t)?.rejected ? 'n/a' : fmt(cellOf(t)?.kld, 2)),
        title: (t) => `${t.name} in ${heatType.value}: ${cellOf(t)?.rejected ?? `KLD ${fmt(cellOf(t)?.kld, 3)}, ${fmtBytes(cellOf(t)?.bytes)}`}`,
      }),
      legend(fmt(10 ** lo, 2), fmt(10 ** hi, 2), 'mean KLD, less → more damage'));
    const rho = scanned.result.spearman?.[heatType.value];
    rhoOut.textContent = rho === undefined || rho === null ? ''
      : `How well the cheap proxy (imatrix-weighted squared error) ranks these tensors against the measured KLD: Spearman ρ = ${rho.toFixed(2)} for ${heatType.value}, ${scanned.result.spearman.all.toFixed(2)} over every tensor and format.`;
  }

  function drawPlan(p) {
    plan = p;
    const bpwOf = new Map(info.formats.map((f) => [f.name, f.bitsPerWeight]));
    const bpws = p.tensors.map((t) => bpwOf.get(t.type) ?? 0);
    const lo = Math.log2(Math.min(...bpws)), hi = Math.log2(Math.max(...bpws));
    const byName = new Map(p.tensors.map((t) => [t.name, t]));
    const tensors = scanned.result.tensors.map((t) => ({ ...t, planned: byName.get(t.name) }));
    const used = [...new Set(p.tensors.map((t) => t.type))].sort((a, b) => bpwOf.get(a) - bpwOf.get(b));
    const key = h('div', { class: 'hm-legend', id: 'mx-plan-key' }, h('span', {}, 'fewer bits'),
      used.map((t) => h('span', { class: 'hm-chip', style: cellStyle((Math.log2(bpwOf.get(t)) - lo) / Math.max(1e-9, hi - lo)) },
        `${typeLabel(t)} · ${bpwOf.get(t).toFixed(2)} bpw`)), h('span', {}, 'more bits'));
    planGrid.replaceChildren(tensorGrid({
      id: 'mx-plan-map',
      caption: 'The format chosen for each tensor (colour: bits per weight)',
      tensors,
      value: (t) => (t.planned ? (Math.log2(bpwOf.get(t.planned.type)) - lo) / Math.max(1e-9, hi - lo) : null),
      text: (t) => t.planned?.type ?? '—',
      title: (t) => `${t.name}: ${t.planned?.type}, ${fmtBytes(t.planned?.bytes)}, predicted KLD ${fmt(t.planned?.damage, 3)}`,
    }), key);
    const counts = {};
    for (const t of p.tensors) counts[t.type] = (counts[t.type] ?? 0) + 1;
    typeCounts.textContent = `Tensors per format: ${Object.entries(counts).sort((a, b) => (bpwOf.get(a[0]) ?? 0) - (bpwOf.get(b[0]) ?? 0)).map(([k, v]) => `${k} × ${v}`).join(', ')}.`;
    setMetrics(planOut, [
      ['file size', fmtBytes(p.fileBytes), { big: true, key: 'bytes' }],
      ['bits per weight', p.bitsPerWeight.toFixed(3), { key: 'bpw' }],
      ['predicted KLD', fmt(p.predicted, 3), { big: true, key: 'predicted' }],
      ['of the original', `${(100 * p.fileBytes / scanned.modelBytes).toFixed(1)} %`],
      ['label (general.file_type)', p.ftype],
    ], { bytes: p.fileBytes, predicted: p.predicted, target: p.targetBytes });
    scheduleCurve();
  }

  // The curve is redrawn in its own task, at most once per burst of plans.
  let curvePending = false;
  function scheduleCurve() {
    if (curvePending) return;
    curvePending = true;
    setTimeout(() => {
      curvePending = false;
      drawCurve();
    }, 0);
  }

  // Slider: plans are table lookups in the worker; at most one in flight, the latest wins.
  let busy = false, wanted = null;
  async function planAt(bytes) {
    wanted = bytes;
    if (busy) return;
    busy = true;
    try {
      while (wanted !== null) {
        const b = wanted;
        wanted = null;
        drawPlan(await w.call('mixedPlan', { targetBytes: b }));
      }
    } catch (e) {
      showError(scanPanel.error, e);
    } finally {
      busy = false;
    }
  }
  slider.addEventListener('input', () => planAt(Number(slider.value)));

  function drawCurve() {
    if (!scanned) return;
    const mib = (b) => b / 2 ** 20;
    // At most ~300 steps drawn (a scan gives hundreds to thousands): a step
    // narrower than a pixel or two is invisible and only costs drawing time.
    const pts = scanned.curve.points.filter((p) => p[1] > 0);
    const minStep = pts.length > 300 ? (pts[pts.length - 1][0] - pts[0][0]) / 300 : 0;
    const drawn = pts.filter((p, i) => i === 0 || i === pts.length - 1 || p[0] - pts[i - 1][0] >= minStep || i % Math.ceil(pts.length / 300) === 0);
    const series = [{ label: 'plans (predicted)', points: drawn.map(([b, d]) => ({ x: mib(b), y: d })), showLine: true, stepped: 'after', pointRadius: 0, color: PALETTE[0], labels: false }];
    const fixed = compared.filter((r) => r.fixed && r.fixed.kld > 0);
    const plans = compared.filter((r) => r.plan);
    if (fixed.length) series.push({ label: 'standard file types', points: fixed.map((r) => ({ x: mib(r.fixed.fileBytes), y: r.fixed.kld, name: r.type })), color: PALETTE[5], pointRadius: 5, pointStyle: 'rect' });
    if (plans.length) series.push({ label: 'plan at the same size (measured)', points: plans.map((r) => ({ x: mib(r.plan.fileBytes), y: r.plan.calibrationKld })), color: PALETTE[2], pointRadius: 5, labels: false });
    if (plan) series.push({ label: 'this plan (predicted)', points: [{ x: mib(plan.fileBytes), y: plan.predicted, name: 'chosen size' }], color: PALETTE[3], pointRadius: 7, pointStyle: 'triangle' });
    drawScatter(curveFig, { series, xTitle: 'file size (MiB)', yTitle: 'mean KLD (nats/token, log scale)', yLog: true });
  }

  const scanForm = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      for (const u of urls.splice(0)) URL.revokeObjectURL(u);
      downloads.replaceChildren();
      const r = await scanPanel.run(async (signal, set) => {
        const source = picker.source();
        const nCtx = intFrom(ctxLen, 'Chunk length', { min: 16, max: 4096 });
        const n = intFrom(chunks, 'Chunks', { min: 1, max: 64 });
        const types = boxes.filter((b) => b.checked).map((b) => b.value);
        if (types.length === 0) throw Object.assign(new Error('choose at least one candidate format'), { code: 'InvalidArgument' });
        const text = calib.value === (await calibDefault) ? '' : calib.value;
        const exactTypes = measureMode.value === 'all' ? types : defaultExactTypes(types);
        const phases = { imatrix: 'importance matrix', base: 'the original model', tensors: 'tensor × format' };
        return w.call('mixedScan', { source, text, nCtx, chunks: n, types, exactTypes }, {
          signal,
          onProgress: (p) => set(p.step / p.nSteps, `${phases[p.phase] ?? p.phase}: step ${p.step} of ${p.nSteps}${p.tensor ? ` (${p.tensor} in ${p.type})` : ''}`),
        });
      }, {
        buttons: [scanBtn, compareBtn, makeBtn],
        doneText: (v, s) => `Measured ${v.result.tensors.length} tensors × ${v.result.types.length} formats${measuredTypes(v.result).length < v.result.types.length ? ` (${measuredTypes(v.result).length} exactly, the rest estimated)` : ''} (${v.result.nChunks} chunk${v.result.nChunks > 1 ? 's' : ''} of ${v.result.nCtx} tokens, ${v.result.nScored} positions) in ${fmtDuration(s)}.`,
      });
      if (!r) return;
      scanned = r;
      compared = [];
      compareTable.setRows([]);
      setMetrics(scanInfo, [
        ['model', r.name],
        ['tensors decided', String(r.result.tensors.length)],
        ['formats', String(r.result.types.length)],
        ['measured exactly', String(measuredTypes(r.result).length), { key: 'exact' }],
        ['scored positions', String(r.result.nScored), { key: 'positions' }],
        ['scan time', fmtDuration(r.result.seconds), { key: 'seconds' }],
        ['threads', String(r.result.threads), { key: 'threads' }],
        ['original PPL (calibration)', r.result.basePpl.toFixed(4)],
      ], { seconds: r.result.seconds });
      // The heat map shows measured KLDs: only the formats measured exactly.
      const shown = measuredTypes(r.result);
      setOptions(heatType, shown.map((t) => ({ value: t, label: typeLabel(t) })), shown.includes('q4_K') ? 'q4_K' : shown[Math.floor(shown.length / 2)]);
      await new Promise((done) => setTimeout(done, 0));
      drawHeat();
      await new Promise((done) => setTimeout(done, 0));
      slider.min = String(r.curve.minBytes);
      slider.max = String(r.curve.maxBytes);
      slider.disabled = false;
      compareBtn.disabled = false;
      makeBtn.disabled = false;
      const start = Math.round((r.curve.minBytes + r.curve.maxBytes) / 3 / 1024) * 1024;
      slider.value = String(start);
      sizeButtons.replaceChildren();
      await planAt(Number(slider.value));
    },
  },
  h('div', { class: 'controls' }, picker.el, field('Chunk length (tokens)', ctxLen), field('Chunks', chunks, 'Every position of a chunk is scored. More chunks: steadier figures, longer scan.'), scanBtn),
  typeSet,
  measureField,
  h('div', { class: 'text-picker' }, field('Calibration text (keep it apart from the text you evaluate on)', calib),
    h('div', { class: 'row' }, field('…or load a .txt file', calibFile))));

  heatType.addEventListener('change', drawHeat);

  compareBtn.addEventListener('click', async () => {
    const types = REFERENCE_TYPES.filter((t) => info.fileTypes.some((f) => f.name === t));
    compared = [];
    compareTable.setRows([]);
    compareTable.setStatus?.('running');
    const r = await comparePanel.run((signal, set) => w.call('mixedCompare', { types }, {
      signal,
      onProgress: (p) => {
        compared.push(p.row);
        set((p.index + 1) / p.total, `${p.row.type} measured`);
        compareTable.setRows(compared.filter((x) => x.fixed).map((x) => (x.plan ? {
          type: x.type, bytes: x.fixed.fileBytes, fixedKld: x.fixed.kld, mixedBytes: x.plan.fileBytes, mixedKld: x.plan.calibrationKld,
          ratio: x.plan.calibrationKld / x.fixed.kld, _data: { type: x.type, fixed: x.fixed.kld, mixed: x.plan.calibrationKld },
        } : {
          // No plan at that size (e.g. below every candidate's smallest mix): said in the plan's columns.
          type: x.type, bytes: x.fixed.fileBytes, fixedKld: x.fixed.kld,
          mixedKld: x.planError.code === 'InvalidArgument' ? 'smaller than any plan' : x.planError.message,
          _data: { type: x.type, fixed: x.fixed.kld, error: x.planError.code },
        })));
        sizeButtons.replaceChildren(...compared.filter((x) => x.plan).map((x) => h('button', {
          type: 'button', class: 'secondary small',
          onclick: () => {
            slider.value = String(x.fixed.fileBytes);
            planAt(x.fixed.fileBytes);
          },
        }, `${x.type} size`)));
        scheduleCurve();
      },
    }), { buttons: [compareBtn, scanBtn, makeBtn], doneText: (v, s) => `Measured ${v.length} file types and their plans in ${fmtDuration(s)}.` });
    if (r) compareTable.setStatus?.('done');
  });

  makeBtn.addEventListener('click', async () => {
    const target = plan?.targetBytes ?? Number(slider.value);
    for (const u of urls.splice(0)) URL.revokeObjectURL(u);
    downloads.replaceChildren();
    const r = await makePanel.run((signal, set) => w.call('mixedQuantize', { targetBytes: target }, {
      signal, onProgress: (p) => set(p.fraction, `quantizing: ${Math.round(100 * p.fraction)} %`),
    }), { buttons: [makeBtn, scanBtn, compareBtn], doneText: (v) => `Made ${v.name}: ${fmtBytes(v.blob.size)}, KLD on the calibration chunks ${fmt(v.plan.calibrationKld, 3)} (predicted ${fmt(v.plan.predicted, 3)}).` });
    if (!r) return;
    const link = (blob, name, id, text) => {
      const u = URL.createObjectURL(blob);
      urls.push(u);
      return h('a', { href: u, download: name, class: 'button-link', id }, text);
    };
    // One option a line (a shell continuation each), so the command reads without scrolling sideways.
    const cmd = ['llama-quantize', `--imatrix ${r.imatrixName}`, ...r.plan.tensorTypes.map((a) => `--tensor-type '${a}'`),
      ...r.plan.overrideKv.map((a) => `--override-kv '${a}'`), `model.gguf ${r.name} ${r.plan.ftype}`].join(' \\\n  ');
    downloads.replaceChildren(
      h('div', { class: 'row' },
        link(r.blob, r.name, 'mx-download', `Download ${r.name} (${fmtBytes(r.blob.size)})`),
        link(r.planBlob, r.name.replace(/\.gguf$/, '.plan.json'), 'mx-download-plan', 'the plan (JSON)'),
        r.imatrixBlob ? link(r.imatrixBlob, r.imatrixName, 'mx-download-imatrix', 'its importance matrix') : null),
      h('p', {}, 'The same file from the original with llama-quantize or quantlab quantize:'),
      codeBlock(cmd, { label: 'Shell' }));
    downloads.dataset.bytes = String(r.blob.size);
  });

  root.append(
    h('h1', { id: 'mixed-title' }, 'Mixed precision'),
    h('p', { class: 'lede' }, 'The standard file types (Q4_K_M …) give every tensor a format by fixed rules. Here each tensor\u2019s sensitivity is measured instead: quantize that tensor alone in each format, measure how far the model\u2019s next-token distribution moves (KL divergence), then choose one format per tensor so that the predicted damage is smallest for the size you allow.'),
    card({ id: 'mx-scan', num: 1, title: 'Measure each tensor\u2019s sensitivity' }, scanForm, codeBlock(code), scanPanel.el, scanInfo,
      note('A step quantizes one tensor in one format and reruns the model from that tensor\u2019s layer on; the built-in model is 30 tensors × the formats measured exactly (an estimated format costs one quantization per tensor, no forward pass). Calibration is a separate text (stories the held-out text does not contain).')),
    card({ id: 'mx-sensitivity', num: 2, title: 'Which tensors are sensitive' }, field('Format', heatType), heatBox, rhoOut),
    card({ id: 'mx-budget', num: 3, title: 'Choose a size' },
      field('File size budget', slider, 'Drag: the best formats for the size are chosen from the scan (an exact knapsack over every tensor\u2019s formats).'),
      sizeButtons, planOut, planGrid, typeCounts),
    card({ id: 'mx-curve', num: 4, title: 'Size against quality' }, compareBtn, comparePanel.el, curveFig.el, compareTable.el,
      note('Both the file types and the plans are measured on the calibration chunks here; docs/quantization-table.md has them on the held-out text.')),
    card({ id: 'mx-file', num: 5, title: 'Make the file' }, makeBtn, makePanel.el, downloads),
  );
}
