// Summary of `scripts/bench-engine.sh --rounds N`: every cell's median over the
// rounds, and the issue-14 ratios computed inside each round (a round runs one
// model's engines close together in time, so ratios within it are comparable;
// ratios across rounds are not).
//   usage: node scripts/lib/bench-engine-rounds.mjs build/bench-results/rounds
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bench-engine-rounds.mjs DIR');
const quantlab = (e) => e.startsWith('quantlab');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x, d = 0) => (x == null || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

// rounds[r][model] = { 'engine|threads': { pp, tg } }
const cells = new Map(); // `${model}|${kind}|${key}` -> [tps per round]
const rounds = [];
for (const name of fs.readdirSync(dir).sort()) {
  const m = /^r(\d+)-(.+)$/.exec(name);
  const file = path.join(dir, name, 'latest.json');
  if (!m || !fs.existsSync(file)) continue;
  const [round, model] = [Number(m[1]), m[2]];
  const res = JSON.parse(fs.readFileSync(file, 'utf8'));
  const row = {};
  for (const b of res.bench) {
    if (b.error) continue;
    row[b.key] = { pp: b.pp?.median_tps, tg: b.tg?.median_tps };
    for (const kind of ['pp', 'tg']) {
      const k = `${model}|${kind}|${b.key}`;
      if (!cells.has(k)) cells.set(k, []);
      cells.get(k).push(row[b.key][kind]);
    }
  }
  rounds.push({ round, model, row, order: res.bench.filter((b) => quantlab(b.engine ?? b.key)).map((b) => b.key) });
}
if (!rounds.length) throw new Error(`no rounds in ${dir}`);
const models = [...new Set(rounds.map((r) => r.model))];
const keys = [...new Set([...cells.keys()].map((k) => k.split('|').slice(2).join('|')))];

let md = `# Engine rounds: ${Math.max(...rounds.map((r) => r.round))} rounds, ${models.join(', ')}\n\n`;
md += 'quantlab engines and thread counts rotate between rounds (scripts/bench-engine.sh --rounds).\n\n';
md += '## tokens/s, median over rounds [min–max]\n\n';
md += `| model | test | ${keys.map((k) => k.replace('|', ' ') + 't').join(' | ')} |\n|---|---|${keys.map(() => '---:').join('|')}|\n`;
for (const model of models) for (const kind of ['pp', 'tg']) {
  const vals = keys.map((k) => {
    const xs = (cells.get(`${model}|${kind}|${k}`) ?? []).filter(Number.isFinite);
    return xs.length ? `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]` : 'n/a';
  });
  md += `| ${model} | ${kind} | ${vals.join(' | ')} |\n`;
}

// Within each round: best quantlab module at 2 threads against the best at 1,
// against the best other engine at 2, and the threaded relaxed module against the
// threaded SIMD128 one.
const best = (row, pred, kind) => {
  const xs = Object.entries(row).filter(([k]) => pred(k)).map(([, v]) => v[kind]).filter(Number.isFinite);
  return xs.length ? Math.max(...xs) : NaN;
};
const ratios = [
  ['2t ÷ 1t (best quantlab modules)', { pp: 1.8, tg: 1.4 }, (row, kind) =>
    best(row, (k) => quantlab(k) && k.endsWith('|2'), kind) / best(row, (k) => quantlab(k) && k.endsWith('|1'), kind)],
  ['quantlab 2t ÷ best other engine 2t', { pp: 3, tg: 2 }, (row, kind) =>
    best(row, (k) => quantlab(k) && k.endsWith('|2'), kind) / best(row, (k) => !quantlab(k) && k.endsWith('|2'), kind)],
  ['threaded relaxed ÷ threaded SIMD128', null, (row, kind) => row['quantlab|2']?.[kind] / row['quantlab-simd128|2']?.[kind]],
  ['relaxed ÷ SIMD128, 1 thread', null, (row, kind) => row['quantlab|1']?.[kind] / row['quantlab-simd128|1']?.[kind]],
];
md += '\n## Ratios within each round\n\n| ratio | model | test | median | rounds (in order) | target | rounds at target |\n|---|---|---|---:|---|---:|---:|\n';
for (const [name, target, fn] of ratios) for (const model of models) for (const kind of ['pp', 'tg']) {
  const xs = rounds.filter((r) => r.model === model).sort((a, b) => a.round - b.round).map((r) => fn(r.row, kind));
  const ok = xs.filter(Number.isFinite);
  if (!ok.length) continue;
  const t = target?.[kind];
  md += `| ${name} | ${model} | ${kind} | ${f(median(ok), 2)} | ${xs.map((x) => f(x, 2)).join(', ')} | ${t ? '≥ ' + t : ''} | ${t ? `${ok.filter((x) => x >= t).length} of ${ok.length}` : ''} |\n`;
}
md += '\nquantlab order per round (first model): ' + rounds.filter((r) => r.model === models[0]).sort((a, b) => a.round - b.round).map((r) => `r${r.round}: ${r.order.join(', ')}`).join('; ') + '\n';
process.stdout.write(md);
