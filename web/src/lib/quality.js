// The built-in model measured per file type (perplexity and KL divergence on
// its held-out text): the atlas's "quality" column and its recommendations.
// Measured on demand in a worker, cached for the browser session.
import { worker } from './workers.js';

/** Context 256 over all chunks of the held-out text, as docs/quantization-table.md (chunks: fewer is faster). */
export const QUALITY_SETTINGS = { ctx: 256, chunks: 0 };

function key(info, type, s) {
  // A different build (new formats, new kernels) measures afresh.
  const build = `${info.formats.length}.${info.fileTypes.length}.${info.simd128}`;
  return `quantlab.quality.v2|${build}|${s.ctx}|${s.chunks}|${type}`;
}

export function cached(info, type, settings = QUALITY_SETTINGS) {
  try {
    const v = sessionStorage.getItem(key(info, type, settings));
    return v ? JSON.parse(v) : null;
  } catch {
    return null;
  }
}

/**
 * Measure `types` (skipping cached ones); onRow(row) for each finished row,
 * onProgress(fraction, text). Resolves to {base, rows}.
 */
export async function measureQuality(info, types, { settings = QUALITY_SETTINGS, signal, onRow, onProgress }) {
  const todo = types.filter((t) => !cached(info, t, settings));
  let base = cached(info, '__base', settings);
  if (todo.length || !base) {
    const res = await worker('quality').call('measure', { source: { kind: 'builtin' }, ...settings, types: todo }, {
      signal,
      onProgress: (p) => {
        if (p.base) {
          base = p.base;
          sessionStorage.setItem(key(info, '__base', settings), JSON.stringify(p.base));
        }
        if (p.row && !p.row.error) {
          sessionStorage.setItem(key(info, p.type, settings), JSON.stringify(p.row));
          onRow?.(p.row);
        } else if (p.row) onRow?.(p.row);
        if (p.fraction !== undefined) onProgress?.((p.index + p.fraction) / p.total, `${p.type}: ${p.phase === 'quantize' ? 'quantizing' : p.phase === 'imatrix' ? 'computing an importance matrix' : 'perplexity'} ${Math.round(100 * p.fraction)} %`);
      },
    });
    base = res.base;
  }
  return { base, rows: types.map((t) => cached(info, t, settings)).filter(Boolean) };
}

// Bands of mean KL divergence (nats per token) for the "quality" words. KLD
// is the measure that separates formats on a model this small (its PPL moves
// little): see docs/quantization-table.md.
export const BANDS = [
  { max: 0.001, word: 'near-lossless' },
  { max: 0.004, word: 'very good' },
  { max: 0.015, word: 'good' },
  { max: 0.05, word: 'noticeable loss' },
  { max: Infinity, word: 'large loss' },
];

export function qualityWord(kld) {
  return BANDS.find((b) => kld < b.max).word;
}

/**
 * The tutorial's four recommendations from measured rows
 * [{type, bpw, kld}]: best quality = lowest KLD; balanced = smallest with
 * KLD < 0.004 (very good or better); memory-constrained = smallest with
 * KLD < 0.015 (good or better); extreme compression = smallest measured.
 */
export function recommend(rows) {
  const ok = rows.filter((r) => r && !r.error && Number.isFinite(r.kld));
  if (!ok.length) return null;
  const smallest = (list) => list.reduce((a, b) => (b.bpw < a.bpw ? b : a), list[0]);
  const pick = (max) => {
    const l = ok.filter((r) => r.kld < max);
    return l.length ? smallest(l) : null;
  };
  return {
    best: ok.reduce((a, b) => (b.kld < a.kld ? b : a)),
    balanced: pick(0.004),
    memory: pick(0.015),
    extreme: smallest(ok),
  };
}
