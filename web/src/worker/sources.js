// Where a model or text comes from, as the pages describe it:
//   {kind: 'builtin'}            the app's own model (an asset of the site)
//   {kind: 'file', file: File}   a file the user picked (read by slices, never whole)
//   {kind: 'blob', blob, name}   bytes made in this session (a quantized copy)
import { builtinModelUrl, calibrationTextUrl, heldoutTextUrl, BUILTIN_MODEL_NAME } from '../lib/assets.js';

let builtin = null;
let heldout = null;
let calibration = null;

async function fetchOk(url, what) {
  const r = await fetch(url);
  if (!r.ok) throw Object.assign(new Error(`could not load ${what} (HTTP ${r.status})`), { code: 'Io' });
  return r;
}

export async function builtinModel() {
  builtin ??= fetchOk(builtinModelUrl, 'the built-in model').then((r) => r.blob());
  return builtin;
}

export async function heldoutText() {
  heldout ??= fetchOk(heldoutTextUrl, 'the held-out text').then((r) => r.text());
  return heldout;
}

export async function calibrationText() {
  calibration ??= fetchOk(calibrationTextUrl, 'the calibration text').then((r) => r.text());
  return calibration;
}

/** The Blob/File behind a source. */
export async function sourceBlob(source) {
  if (!source || source.kind === 'builtin') return builtinModel();
  if (source.kind === 'file') {
    if (!(source.file instanceof Blob)) throw Object.assign(new Error('choose a GGUF file first'), { code: 'InvalidArgument' });
    return source.file;
  }
  if (source.kind === 'blob') return source.blob;
  throw Object.assign(new Error(`unknown model source '${source.kind}'`), { code: 'InvalidArgument' });
}

/** A stable key for caching what was computed from a source. */
export function sourceKey(source) {
  if (!source || source.kind === 'builtin') return 'builtin';
  if (source.kind === 'file') return `file:${source.file.name}:${source.file.size}:${source.file.lastModified}`;
  return `blob:${source.name ?? ''}:${source.blob.size}`;
}

export function sourceName(source) {
  if (!source || source.kind === 'builtin') return BUILTIN_MODEL_NAME;
  if (source.kind === 'file') return source.file.name;
  return source.name ?? 'model.gguf';
}

/** A short hash of a text, to key caches by the evaluation text. */
export function textKey(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${text.length}:${h.toString(16)}`;
}
