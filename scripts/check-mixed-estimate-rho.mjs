// How well the fast estimates rank tensors against the exact KLD, per format:
// Spearman's rho over tensors of (a) the proxy alone (imatrix-weighted squared
// error) and (b) the smoothed estimate the partial scan uses for formats it
// does not measure: gain x proxy + floor, fitted per tensor (as
// src/quantize/sensitivity.cpp's fit_damage) to the KLDs of the web page's
// default exact formats (web/src/lib/mixed_defaults.js), then compared with
// the measured KLDs of every other format. Input: the table of a FULL exact
// scan, e.g.
//   quantlab sensitivity -m models/quantlab-stories-4M.gguf -f models/calibration.txt -o sens.json
//   node scripts/check-mixed-estimate-rho.mjs sens.json
import { readFileSync } from 'node:fs';
import { EXACT_DEFAULT } from '../web/src/lib/mixed_defaults.js';

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const fitted = EXACT_DEFAULT.filter((t) => t !== 'f16');

// Average ranks (ties share their mean rank), then Pearson on the ranks.
function ranks(v) {
  const idx = v.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]);
  const rk = new Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
    for (let k = i; k <= j; k++) rk[idx[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return rk;
}
function spearman(a, b) {
  const ra = ranks(a), rb = ranks(b), m = (a.length - 1) / 2;
  let s = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) { s += (ra[i] - m) * (rb[i] - m); sa += (ra[i] - m) ** 2; sb += (rb[i] - m) ** 2; }
  return s / Math.sqrt(sa * sb);
}
// Least squares on relative errors (weights 1/kld^2), gain and floor >= 0.
function fit(t) {
  let sw = 0, swp = 0, swpp = 0, swk = 0, swpk = 0;
  for (const c of t.cells) {
    if (!fitted.includes(c.type) || !(c.kld > 0) || !(c.proxy > 0)) continue;
    const w = 1 / (c.kld * c.kld);
    sw += w; swp += w * c.proxy; swpp += w * c.proxy ** 2; swk += w * c.kld; swpk += w * c.proxy * c.kld;
  }
  const det = swpp * sw - swp * swp, ok = det > 1e-12 * swpp * sw;
  let gain = ok ? (swpk * sw - swp * swk) / det : NaN, floor = ok ? (swpp * swk - swp * swpk) / det : 0;
  if (!ok || floor < 0) { gain = swpk / swpp; floor = 0; }
  if (gain < 0) { gain = 0; floor = swk / sw; }
  return { gain, floor };
}

const fits = r.tensors.map(fit);
console.log('| format | tensors | proxy ρ | smoothed estimate ρ |');
console.log('|---|---:|---:|---:|');
for (const type of r.types) {
  if (type === 'f16') continue;  // KLDs at the float noise floor: no ranking to speak of
  const proxy = [], estimate = [], kld = [];
  r.tensors.forEach((t, i) => {
    const c = t.cells.find((x) => x.type === type);
    if (!(c?.kld >= 0) || !(c.proxy >= 0)) return;
    proxy.push(c.proxy); kld.push(c.kld); estimate.push(fits[i].gain * c.proxy + fits[i].floor);
  });
  if (kld.length < 3) continue;
  const est = fitted.includes(type) ? 'measured (fitted to)' : spearman(estimate, kld).toFixed(2);
  console.log(`| ${type} | ${kld.length} | ${spearman(proxy, kld).toFixed(2)} | ${est} |`);
}
