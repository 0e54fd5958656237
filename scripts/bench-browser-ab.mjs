// Several builds of the module side by side in ONE headless Chromium page,
// called in alternation, so that a page's speed state (docs/benchmarks.md,
// "Issue 14, eighth session": the same module runs at two speeds from page
// load to page load) hits every build alike. Prints each build's min and
// median and, per round, the first build's time divided by each build's.
//   node scripts/bench-browser-ab.mjs <dist> <dist>... -- pp <model> <threads> <rounds> [reps]
//       pp256 of ../shared/bench/models/synth512-<model>.gguf (<model> builtin:
//       this checkout's models/quantlab-stories-4M.gguf); per round the best
//       of `reps` (3) runs of each build.
//   node scripts/bench-browser-ab.mjs <dist> <dist>... -- tg <model> <threads> <rounds> [reps]
//       the same for tg64: 64 single-token evaluations after an 8-token prompt.
//   node scripts/bench-browser-ab.mjs <dist> <dist>... -- matmul <type> <rows> <cols> <nTokens> <threads> <rounds>
//       ql.benchMatmul in each build's threaded module.
// A <dist> is a directory with browser.mjs and the modules: this checkout's
// dist/ (scripts/build.sh dist), or another commit's, built in its own
// worktree. Builds older than loadQuantlab's threads option still load.
// <dist>@<threads> runs that entry at its own thread count (pp and tg), so
// dist@1 dist@2 compares one thread with two in the same page;
// <dist>@<module threads>:<model threads> loads the module for one count and
// runs the model at another (dist@2:1: the threaded module on one thread).
// A trailing +simd128 or +relaxed-simd forces that module (loadQuantlab's
// wasmVariant): dist@1+simd128 dist@1 compares the two one-thread modules.
// A benchmark, not a test (docs/benchmarks.md, "Issue 14, eleventh session").
import { resolve } from 'node:path';
import { openBenchSite } from './lib/bench-page-site.mjs';

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const entries = split > 0 ? argv.slice(0, split) : [];
const ENTRY = /@(\d+)(?::(\d+))?$/;
const VARIANT = /\+(simd128|relaxed-simd)$/;
const entryVariants = entries.map((e) => (VARIANT.test(e) ? e.match(VARIANT)[1] : undefined));
const bare = entries.map((e) => e.replace(VARIANT, ''));
const dists = bare.map((e) => resolve(e.replace(ENTRY, '')));
const entryThreads = bare.map((e) => (ENTRY.test(e) ? Number(e.match(ENTRY)[1]) : 0));
const entryModelThreads = bare.map((e, i) => (ENTRY.test(e) && e.match(ENTRY)[2] ? Number(e.match(ENTRY)[2]) : entryThreads[i]));
const [mode, ...rest] = split > 0 ? argv.slice(split + 1) : [];
if (dists.length < 1 || !['pp', 'tg', 'matmul'].includes(mode)) {
  console.error('usage: bench-browser-ab.mjs <dist>... -- pp|tg <model> <threads> <rounds> [reps] | matmul <type> <rows> <cols> <nTokens> <threads> <rounds>');
  process.exit(2);
}
const args = rest.map((x) => (Number.isNaN(Number(x)) ? x : Number(x)));

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
window.load = async (i, threads, wasmVariant) => (await import('/d' + i + '/browser.mjs')).loadQuantlab({ threads, wasmVariant });
window.ready = true;
</script>`;
const { url: siteUrl, browser, close } = await openBenchSite(PAGE, Object.fromEntries(dists.map((d, i) => ['d' + i, d])));
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(siteUrl);
  await page.waitForFunction(() => window.ready);
  // Builds run in the order 0..n-1 in even rounds and reversed in odd ones.
  const times = await page.evaluate(async ([n, mode, args, entryThreads, entryModelThreads, entryVariants]) => {
    const ids = [...Array(n).keys()];
    const out = ids.map(() => []);
    const order = (r) => (r % 2 ? [...ids].reverse() : ids);
    if (mode === 'pp' || mode === 'tg') {
      const [model, threads, rounds, reps = 3] = args;
      const runs = [];
      for (const i of ids) {
        const t = entryThreads[i] || threads;
        const ql = await window.load(i, t, entryVariants[i]);
        const url = model === 'builtin' ? '/builtin.gguf' : `/models/synth512-${model}.gguf`;
        const m = await ql.loadModel(await (await fetch(url)).blob(), { nCtx: 512, threads: entryModelThreads[i] || t });
        let tokens = Array.from(m.tokenize('Once upon a time there was a little girl who lived in a village near the forest.'));
        while (tokens.length < 256) tokens = tokens.concat(tokens.slice(1));
        tokens = tokens.slice(0, 256);
        const tg = () => {  // tg64 after an 8-token prompt; any valid ids (speed does not depend on them)
          m.evaluate(tokens.slice(0, 8), { reset: true });
          let ms = 0;
          for (let k = 0; k < 64; k++) ms += m.evaluate([tokens[8 + k]], { reset: false });
          return ms;
        };
        const run = mode === 'tg' ? tg : () => m.evaluate(tokens, { reset: true });
        for (let k = 0; k < 3; k++) run();  // warm-up: V8 tiers up
        runs.push(run);
      }
      for (let r = 0; r < rounds; r++) {
        for (const i of order(r)) {
          let best = Infinity;
          for (let k = 0; k < reps; k++) best = Math.min(best, runs[i]());
          out[i].push(best);
        }
      }
    } else {
      const [type, rows, cols, nTokens, threads, rounds] = args;
      const qls = [];
      for (const i of ids) qls.push(await window.load(i, Math.max(2, threads), entryVariants[i]));
      for (let r = 0; r < rounds; r++) {
        for (const i of order(r)) out[i].push(qls[i].benchMatmul(type, { rows, cols, nTokens, threads, minMs: 200 }).seconds * 1e3);
      }
    }
    return out;
  }, [dists.length, mode, args, entryThreads, entryModelThreads, entryVariants]);
  const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(`${mode} ${rest.join(' ')}: ms per run; ratio = build 0's time / this build's, per round`);
  dists.forEach((_, i) => {
    const ratios = times[i].map((t, r) => times[0][r] / t).sort((a, b) => a - b);
    console.log(`  ${i} ${entries[i]}: min ${Math.min(...times[i]).toFixed(3)} median ${median(times[i]).toFixed(3)}` +
      (i ? `; ratio median ${median(ratios).toFixed(3)} [${ratios.map((x) => x.toFixed(2)).join(' ')}]` : ''));
  });
  // QUANTLAB_AB_RAW=1: every round's times, to see which build moved when a ratio did.
  if (process.env.QUANTLAB_AB_RAW) {
    times[0].forEach((_, r) => console.log(`  round ${r}: ${times.map((t) => t[r].toFixed(1)).join(' ')}`));
  }
} finally {
  await close();
}
