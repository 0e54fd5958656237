// What two busy cores give this machine, measured with the engine itself:
// two independent one-thread pages computing pp256 AT THE SAME TIME, against
// each page alone and against one page running the same pp256 on 2 threads.
// If each of two concurrent one-thread runs is slower than a run alone, the
// cores (or the host behind them) do not give two cores' worth of work, and
// no threading of the engine can reach 2.0x: the ceiling for 2t / 1t is
// 2 x (alone ÷ concurrent).
//   node scripts/bench-browser-pair.mjs <dist> <model> <rounds> [reps]
// <model>: synth512-<model>.gguf from ../shared/bench/models, or builtin.
// Per round, in rotated order: A alone, B alone, A and B together, 2 threads
// (in a third page); each the best of `reps` (3) runs. Prints the medians and
// the median per-round ceiling and 2t ÷ 1t. A benchmark, not a test
// (docs/benchmarks.md, "Issue 14, fifteenth session").
import { openBenchSite } from './lib/bench-page-site.mjs';

const [distArg, model, roundsArg, repsArg] = process.argv.slice(2);
if (!distArg || !model || !roundsArg) {
  console.error('usage: bench-browser-pair.mjs <dist> <model> <rounds> [reps]');
  process.exit(2);
}
const rounds = Number(roundsArg), reps = Number(repsArg ?? 3);
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
window.setup = async (threads, url) => {
  const ql = await (await import('/d/browser.mjs')).loadQuantlab({ threads });
  const m = await ql.loadModel(await (await fetch(url)).blob(), { nCtx: 512, threads });
  let tokens = Array.from(m.tokenize('Once upon a time there was a little girl who lived in a village near the forest.'));
  while (tokens.length < 256) tokens = tokens.concat(tokens.slice(1));
  tokens = tokens.slice(0, 256);
  window.pp = (reps) => { let best = Infinity; for (let k = 0; k < reps; k++) best = Math.min(best, m.evaluate(tokens, { reset: true })); return best; };
  for (let k = 0; k < 3; k++) window.pp(1);  // warm-up: V8 tiers up
};
window.ready = true;
</script>`;
const { url: siteUrl, browser, close } = await openBenchSite(PAGE, { d: distArg });
try {
  const url = model === 'builtin' ? '/builtin.gguf' : `/models/synth512-${model}.gguf`;
  const open = async (threads) => {
    const page = await (await browser.newContext()).newPage();  // own context: own renderer process
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(siteUrl);
    await page.waitForFunction(() => window.ready);
    await page.evaluate(([t, u]) => window.setup(t, u), [threads, url]);
    return page;
  };
  const [a, b, two] = [await open(1), await open(1), await open(2)];
  const pp = (page) => page.evaluate((n) => window.pp(n), reps);
  const res = { aloneA: [], aloneB: [], pairA: [], pairB: [], two: [] };
  const steps = [
    async () => res.aloneA.push(await pp(a)),
    async () => res.aloneB.push(await pp(b)),
    async () => { const [x, y] = await Promise.all([pp(a), pp(b)]); res.pairA.push(x); res.pairB.push(y); },
    async () => res.two.push(await pp(two)),
  ];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < steps.length; k++) await steps[(k + r) % steps.length]();
  }
  const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
  const alone = res.aloneA.map((x, r) => (x + res.aloneB[r]) / 2);
  const pair = res.pairA.map((x, r) => Math.max(x, res.pairB[r]));
  const ceiling = alone.map((x, r) => (2 * x) / pair[r]);
  const scaling = alone.map((x, r) => x / res.two[r]);
  const f = (v) => `median ${median(v).toFixed(1)} min ${Math.min(...v).toFixed(1)}`;
  console.log(`pp256 ${model}, ${rounds} rounds, best of ${reps}: ms`);
  console.log(`  one page alone (mean of A, B): ${f(alone)}`);
  console.log(`  two one-thread pages at once (the slower): ${f(pair)}`);
  console.log(`  one page, 2 threads: ${f(res.two)}`);
  console.log(`  ceiling 2 x alone / together: median ${median(ceiling).toFixed(3)} [${ceiling.map((x) => x.toFixed(2)).sort().join(' ')}]`);
  console.log(`  2t / 1t: median ${median(scaling).toFixed(3)} [${scaling.map((x) => x.toFixed(2)).sort().join(' ')}]`);
} finally {
  await close();
}
