// The Mixed precision page's default scan: which candidate formats are
// measured exactly (a forward pass per tensor and format) and which are
// estimated from the proxy (the imatrix-weighted error, scaled per tensor by
// the gain and floor fitted to that tensor's exact measurements: the
// 'smoothed' damage model, src/quantize/sensitivity.h). Every format stays a
// candidate; measuring all 23 exactly takes ~90 s of one thread in a browser,
// over the 60 s the page aims for (docs/mixed-precision.md, "Time").
// No DOM here: scripts/bench-mixed-browser.mjs imports it to time the page's scan.
//
// Measured exactly: one format per size tier where plans at the standard
// types' sizes choose (Q3_K_M … Q5_K_M), and each tier's likely best:
//   q2_K, iq3_xxs, iq3_s, iq4_xs, q4_K, q5_K, q6_K, q8_0, f16.
// Estimated: formats at the same size as a measured one and usually worse
// there (q3_K beside iq3_s, mxfp4 beside iq4_xs, q4_0 and iq4_nl beside q4_K,
// q5_0 beside q5_K),
// formats a bigger measured one beats for little more size (q4_1, q5_1), and
// the 1–2.6 bpw lattice and ternary formats, chosen only far below Q3_K_M's
// size (iq1_s, iq1_m, tq1_0, iq2_xxs, tq2_0, iq2_xs, iq2_s).
export const EXACT_DEFAULT = ['q2_K', 'iq3_xxs', 'iq3_s', 'iq4_xs', 'q4_K', 'q5_K', 'q6_K', 'q8_0', 'f16'];

/** The formats of `candidates` the page measures exactly by default (all when none of them is in the list). */
export function defaultExactTypes(candidates) {
  const exact = candidates.filter((t) => EXACT_DEFAULT.includes(t));
  return exact.length > 0 ? exact : [...candidates];
}
