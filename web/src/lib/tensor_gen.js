// Deterministic synthetic weight tensors (pure functions: used by the
// worker, and by the tests in Node to compute the same tensor).

/** xorshift32: tiny, fast and reproducible everywhere. Returns uniform [0, 1). */
export function makeRng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export const DISTRIBUTIONS = [
  { value: 'outliers', label: 'normal + 0.1 % outliers (20×)' },
  { value: 'normal', label: 'normal' },
  { value: 'heavy', label: 'heavy-tailed (Student t, 3 d.o.f.)' },
  { value: 'uniform', label: 'uniform' },
];

/**
 * rows × cols values with standard deviation ≈ std. 'outliers' mimics real
 * LLM weights: a normal bulk plus 0.1 % of values twenty times larger, which
 * is what stresses per-block scales; 'heavy' is Student's t with 3 degrees
 * of freedom (scaled to the same std), whose tails are heavy everywhere.
 */
export function makeTensor({ rows, cols, dist = 'outliers', std = 0.02, seed = 42 }) {
  const n = rows * cols;
  const rng = makeRng(seed);
  const out = new Float32Array(n);
  const normal = () => {
    const u = 1 - rng(); // (0, 1]: log stays finite
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  if (dist === 'uniform') {
    const a = std * Math.sqrt(3);
    for (let i = 0; i < n; i++) out[i] = (rng() * 2 - 1) * a;
  } else if (dist === 'heavy') {
    // t = z / sqrt(chi2_3 / 3); Var(t_3) = 3, so divide by sqrt(3).
    const s = std / Math.sqrt(3);
    for (let i = 0; i < n; i++) {
      const z = normal();
      const c = normal() ** 2 + normal() ** 2 + normal() ** 2;
      out[i] = (s * z) / Math.sqrt(c / 3 + 1e-12);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = normal() * std;
    if (dist === 'outliers') {
      // Each chosen value once: a value picked twice would grow 400×.
      const count = Math.max(1, Math.round(n / 1000));
      const done = new Uint8Array(n);
      for (let k = 0; k < count; k++) {
        const j = Math.floor(rng() * n);
        if (!done[j]) out[j] *= 20;
        done[j] = 1;
      }
    } else if (dist !== 'normal') {
      throw Object.assign(new Error(`unknown distribution '${dist}'`), { code: 'InvalidArgument' });
    }
  }
  return out;
}

/** min, max, mean, standard deviation (sums in double). */
export function describe(x) {
  let min = Infinity, max = -Infinity, sum = 0, sum2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / x.length;
  return { min, max, mean, std: Math.sqrt(Math.max(0, sum2 / x.length - mean * mean)) };
}

/** Percentiles of x from an evenly strided sample of at most `sample` values. */
export function percentiles(x, ps, sample = 200_000) {
  const step = Math.max(1, Math.floor(x.length / sample));
  const s = new Float32Array(Math.ceil(x.length / step));
  for (let i = 0, j = 0; i < x.length; i += step) s[j++] = x[i];
  s.sort();
  return ps.map((p) => s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))]);
}

/**
 * A histogram that shows the bulk: bins span the [pLo, pHi] percentiles
 * (symmetric around zero when the data are), and values outside are counted
 * as outliers below/above instead of stretching the axis.
 */
export function bulkHistogram(x, { bins = 60, pLo = 0.1, pHi = 99.9 } = {}) {
  let [lo, hi] = percentiles(x, [pLo, pHi]);
  if (lo < 0 && hi > 0) {
    const m = Math.max(-lo, hi);
    lo = -m;
    hi = m;
  }
  if (!(hi > lo)) {
    hi = lo + 1e-6;
  }
  const counts = new Array(bins).fill(0);
  const w = (hi - lo) / bins;
  let below = 0, above = 0, minOut = Infinity, maxOut = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < lo) {
      below++;
      if (v < minOut) minOut = v;
    } else if (v > hi) {
      above++;
      if (v > maxOut) maxOut = v;
    } else {
      counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
    }
  }
  return { lo, hi, counts, below, above, pLo, pHi, minOut: below ? minOut : null, maxOut: above ? maxOut : null };
}
