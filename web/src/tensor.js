// Deterministic synthetic weight tensors for the tutorial.

/** xorshift32: tiny, fast and reproducible across browsers. Returns uniform [0, 1). */
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

/**
 * A rows × cols Float32Array. 'outliers' mimics real LLM weights: a normal
 * bulk plus 0.1 % of values twenty times larger, which is what stresses
 * per-block scales.
 */
export function makeTensor({ rows, cols, dist, std, seed }) {
  const n = rows * cols;
  const rng = makeRng(seed);
  const out = new Float32Array(n);
  const normal = () => {
    // Box–Muller; 1 - u keeps log() finite.
    const u = 1 - rng();
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  for (let i = 0; i < n; i++) {
    if (dist === 'uniform') out[i] = (rng() * 2 - 1) * std * Math.sqrt(3);
    else out[i] = normal() * std;
  }
  if (dist === 'outliers') {
    const count = Math.max(1, Math.round(n / 1000));
    for (let k = 0; k < count; k++) out[Math.floor(rng() * n)] *= 20;
  }
  return out;
}

/** min, max, mean, standard deviation. */
export function describe(x) {
  let min = Infinity, max = -Infinity, sum = 0, sum2 = 0;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / x.length;
  return { min, max, mean, std: Math.sqrt(Math.max(0, sum2 / x.length - mean * mean)) };
}

/** Equal-width histogram of x over [lo, hi]. */
export function histogram(x, bins, lo, hi) {
  const counts = new Array(bins).fill(0);
  const w = (hi - lo) / bins || 1;
  for (const v of x) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)));
    counts[b]++;
  }
  return counts;
}
