// Why the Mixed precision page measures only some formats exactly
// (web/src/lib/mixed_defaults.js): a full exact scan of the built-in model at
// the page's settings in Node, then each format's summed KLD over the tensors,
// how often a measured format is at least as good as an estimated one of
// about its size, and which formats the plans at the standard types' sizes use.
//   node scripts/check-mixed-exact-defaults.mjs      (needs scripts/build.sh dist; a few minutes)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { loadQuantlab } = await import(root + 'dist/node.mjs');
const ql = await loadQuantlab();
const model = await ql.loadModel(root + 'models/quantlab-stories-4M.gguf');
const calibrationText = readFileSync(root + 'models/calibration.txt', 'utf8');
const scan = await ql.scanSensitivity(model, { calibrationText, chunks: 1, nCtx: 256, imatrixChunks: 8 });
const r = scan.result;
const sum = {}, n = {};
r.types.forEach((t, i) => { sum[t] = 0; n[t] = 0; for (const x of r.tensors) { const c = x.cells[i]; if (typeof c?.kld === 'number') { sum[t] += c.kld; n[t]++; } } });
console.log(r.types.map((t) => `${t}: sum KLD ${sum[t].toExponential(3)} over ${n[t]}`).join('\n'));
const pairs = [['q3_K','iq3_s'],['mxfp4','iq4_xs'],['q4_0','q4_K'],['iq4_nl','q4_K'],['q5_0','q5_K'],['q4_1','q5_K'],['q5_1','q6_K']];
for (const [a, b] of pairs) {
  const ia = r.types.indexOf(a), ib = r.types.indexOf(b);
  let wins = 0, both = 0;
  for (const x of r.tensors) { const ka = x.cells[ia]?.kld, kb = x.cells[ib]?.kld; if (typeof ka === 'number' && typeof kb === 'number') { both++; if (kb <= ka) wins++; } }
  console.log(`${b} <= ${a} on ${wins}/${both} tensors`);
}
const plan = scan.plan({ targetBytes: scan.measureFileType('Q4_K_M').fileBytes, verify: false });
console.log('types in the Q4_K_M-size plan:', [...new Set(plan.tensors.map((t) => t.type))].join(' '));
for (const ft of ['Q3_K_M', 'Q5_K_M']) { const p = scan.plan({ targetBytes: scan.measureFileType(ft).fileBytes, verify: false }); console.log(ft, [...new Set(p.tensors.map((t) => t.type))].join(' ')); }
