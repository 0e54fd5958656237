// Mixed precision in JS: a sensitivity scan over a loaded model, driven one
// small step per wasm call (progress, AbortSignal, a responsive page), then
// plans at any budget from the same scan. See src/quantize/mixed_precision.h.
import { checkSignal, fail, makeYielder, unwrap } from './errors.mjs';
import { disposeSymbol, Model } from './model.mjs';
import { readAll } from './quantize_model.mjs';

function withHeap(ql, bytes, fn) {
  if (!bytes || bytes.length === 0) return fn(0, 0);
  const p = ql._alloc(bytes.length);
  try {
    ql._m.HEAPU8.set(bytes, p);
    return fn(p, bytes.length);
  } finally {
    ql._free(p);
  }
}

function targetOf(options) {
  const hasBytes = options.targetBytes !== undefined && options.targetBytes !== null;
  const hasBpw = options.targetBpw !== undefined && options.targetBpw !== null;
  if (hasBytes === hasBpw) fail('InvalidArgument', 'give exactly one of targetBytes and targetBpw');
  if (hasBpw) {
    if (typeof options.targetBpw !== 'number' || !(options.targetBpw > 0)) fail('InvalidArgument', 'targetBpw must be a positive number');
    return { targetBpw: options.targetBpw };
  }
  let b = options.targetBytes;
  if (typeof b === 'string') b = parseTargetSize(b);
  if (!Number.isSafeInteger(b) || b <= 0) fail('InvalidArgument', 'targetBytes must be a positive integer or a size such as "2.1M"');
  return { targetBytes: b };
}

/** "2289312", "2.1M", "512K", "1.5G" (1024-based) -> bytes. */
export function parseTargetSize(text) {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*(k|kb|kib|m|mb|mib|g|gb|gib|b)?\s*$/i.exec(String(text));
  if (!m) fail('InvalidArgument', `bad target size '${text}' (bytes, or a number with K, M or G)`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit];
  const bytes = Math.floor(Number(m[1]) * mult);
  if (!(bytes >= 1)) fail('InvalidArgument', `bad target size '${text}'`);
  return bytes;
}

/** The result of ql.scanSensitivity: see quantlab.d.ts. */
export class SensitivityScan {
  constructor(ql, scan, model, ownsModel, imatrix) {
    this._ql = ql;
    this._scan = scan;
    this._model = model;
    this._owns = ownsModel;
    this._imatrix = imatrix; // {bytes, name} given or computed
    this.result = unwrap(scan.result());
  }

  _live() {
    this._ql._check();
    if (!this._scan) fail('InvalidArgument', 'this scan was disposed');
    return this._scan;
  }

  /** A plan at a budget; verify (default true for exact scans) measures it on the calibration chunks. */
  plan(options = {}) {
    if (options === null || typeof options !== 'object') fail('InvalidArgument', 'options must be an object');
    const verify = options.verify ?? this.result.exact;
    const plan = unwrap(this._live().plan(targetOf(options), !!verify));
    if (this._imatrix) {
      plan.imatrix = this._imatrix.bytes;
      plan.imatrixName = this._imatrix.name;
    }
    return plan;
  }

  /** Predicted damage against file size: {points: [[bytes, damage]], minBytes, maxBytes}. */
  curve() {
    return unwrap(this._live().curve());
  }

  /** A standard file type (e.g. "Q4_K_M") measured on the calibration chunks: {ftype, fileBytes, kld, ppl, basePpl}. */
  measureFileType(name) {
    if (typeof name !== 'string') fail('InvalidArgument', 'name must be a file type such as "Q4_K_M"');
    return unwrap(this._live().measureFtype(name));
  }

  /** The importance matrix candidates were quantized with (GGUF bytes), or null. */
  imatrix() {
    return this._imatrix?.bytes ?? null;
  }

  dispose() {
    if (!this._ql.terminated) this._scan?.delete(); // as Model.dispose
    this._scan = null;
    if (this._owns) this._model?.dispose();
    this._model = null;
  }

  /** The same as dispose(), for `using scan = await ql.scanSensitivity(...)`. */
  [disposeSymbol]() {
    this.dispose();
  }
}

/** ql.scanSensitivity: see quantlab.d.ts. */
export async function scanSensitivity(ql, model, options = {}) {
  if (options === null || typeof options !== 'object') fail('InvalidArgument', 'options must be an object');
  const { calibrationText, onProgress, signal } = options;
  if (typeof calibrationText !== 'string' || calibrationText.length === 0) {
    fail('InvalidArgument', 'calibrationText must be a non-empty string');
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('InvalidArgument', 'onProgress must be a function');
  checkSignal(signal);
  const owns = !(model instanceof Model);
  const m = owns ? await ql.loadModel(model, { signal }) : model;
  let scan = null;
  try {
    const given = options.imatrix === undefined || options.imatrix === null ? null : await readAll(options.imatrix);
    checkSignal(signal);
    const wasmOptions = {
      types: options.types,
      exactTypes: options.exactTypes,
      damage: options.damage,
      exact: options.exact,
      nCtx: options.nCtx,
      chunks: options.chunks,
      firstScored: options.firstScored,
      imatrixChunks: options.imatrixChunks,
      imatrixName: options.imatrixName ?? (typeof options.imatrix === 'string' ? options.imatrix : undefined),
      calibrationName: options.calibrationName,
    };
    for (const k of Object.keys(wasmOptions)) if (wasmOptions[k] === undefined) delete wasmOptions[k];
    scan = withHeap(ql, given, (p, n) => new ql._m.MixedScan(m._live().handle(), calibrationText, wasmOptions, p, n));
    const started = unwrap(scan.start());
    const t0 = performance.now();
    const pause = makeYielder();
    for (;;) {
      ql._check();
      checkSignal(signal);
      const s = unwrap(scan.step());
      if (onProgress) {
        const elapsed = (performance.now() - t0) / 1000;
        onProgress({ ...s, nTensors: started.nTensors, elapsedSeconds: elapsed, etaSeconds: (elapsed * (s.nSteps - s.step)) / s.step });
      }
      if (s.done) break;
      await pause();
    }
    const computed = unwrap(scan.imatrixBytes());
    const name = scan.imatrixName();
    const imatrix = computed ? { bytes: computed, name } : given ? { bytes: given, name } : null;
    const result = new SensitivityScan(ql, scan, m, owns, imatrix);
    scan = null;
    return result;
  } catch (e) {
    if (!ql.terminated) scan?.delete();
    if (owns) m.dispose();
    throw e;
  }
}

/** ql.planMixedPrecision: scan, plan at the target, verify; see quantlab.d.ts. */
export async function planMixedPrecision(ql, model, options = {}) {
  if (options === null || typeof options !== 'object') fail('InvalidArgument', 'options must be an object');
  const target = targetOf(options);
  const scan = await scanSensitivity(ql, model, options);
  try {
    return scan.plan({ ...target, verify: options.verify });
  } finally {
    scan.dispose();
  }
}
