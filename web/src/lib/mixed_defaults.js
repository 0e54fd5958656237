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
// Estimated (checked on a full exact scan of the built-in model, 1 chunk of
// 256 tokens, docs/mixed-precision.md): formats at a measured one's size and
// no better there (q3_K ~ iq3_s and iq4_nl ~ q4_K, each lower on about half
// the tensors; mxfp4 worse than iq4_xs on 30/30 tensors, q4_0 than q4_K on
// 22/30, q5_0 than q5_K on 19/30), formats a slightly bigger measured one
// beats (q4_1 by q5_K on 30/30, q5_1 by q6_K on 28/30), and the 1-2.6 bpw
// lattice and ternary formats, chosen only far below Q3_K_M's size. The
// plans at the sizes of Q3_K_M, Q4_K_M and Q5_K_M of that full scan used
// only measured formats (iq3_xxs iq3_s iq4_xs q4_K q5_K q6_K).
export const EXACT_DEFAULT = ['q2_K', 'iq3_xxs', 'iq3_s', 'iq4_xs', 'q4_K', 'q5_K', 'q6_K', 'q8_0', 'f16'];

/** The formats of `candidates` the page measures exactly by default (all when none of them is in the list). */
export function defaultExactTypes(candidates) {
  const exact = candidates.filter((t) => EXACT_DEFAULT.includes(t));
  return exact.length > 0 ? exact : [...candidates];
}
