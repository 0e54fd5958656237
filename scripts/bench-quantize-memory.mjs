// Whole-model quantization in Node: time and peak memory of each way to run
// it, one child process per run so every peak RSS is that run's own (VmHWM
// counts the main thread, the worker threads and every wasm heap).
//   node scripts/bench-quantize-memory.mjs [--big] [--type Q8_0] [--reps 2]
// Mid-size model by default: a synthetic F32 llama 2048 wide, 4 layers,
// vocab 32000 (1.35 GB); --big: 4096 wide, 5 layers (5.1 GB, docs/benchmarks.md).
// Needs dist/ (scripts/build.sh dist); QUANTLAB_DIST=/path/to/dist measures
// another build, and --dists A,B (paths of dist/ directories) measures each
// run of each build in turn, for a same-run A/B. Runs are interleaved rep by
// rep; every run must produce the same output hash.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = [
  { name: 'one thread (single-threaded module)', load: { threads: 1 }, run: { workers: 1 } },
  { name: 'workers: 2 (row chunks)', load: { threads: 1 }, run: { workers: 2 } },
  { name: 'threaded module, threads: 2', load: { threads: 2 }, run: {} },
];
const MID = { nEmbd: 2048, nFf: 5632, nLayer: 4, nVocab: 32000, nHead: 16, nHeadKv: 16 };
const BIG = { nEmbd: 4096, nFf: 11008, nLayer: 5, nVocab: 32000, nHead: 32, nHeadKv: 32 };

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const mib = (b) => b / 2 ** 20;

async function child(spec) {
  const dist = spec.dist ? new URL(`file://${resolve(spec.dist)}/`) : new URL('../dist/', import.meta.url);
  const { loadQuantlab } = await import(new URL('node.mjs', dist).href);
  const { syntheticLlama } = await import('../tests/js/gguf_builder.mjs');
  const src = syntheticLlama(spec.shape);
  const ql = await loadQuantlab(spec.load);
  const hash = createHash('sha256');
  let written = 0;
  const r = await ql.quantizeModel(src, {
    type: spec.type,
    ...spec.run,
    output: { write: (c) => void (hash.update(c), (written += c.length)) },
  });
  if (written !== r.plan.outputSize) throw new Error(`wrote ${written}, planned ${r.plan.outputSize}`);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1] * 1024;
  const values = (t) => t.shape.reduce((a, b) => a * b, 1);
  const largest = r.plan.tensors.reduce((a, t) => (values(t) > values(a) ? t : a));
  process.stdout.write(JSON.stringify({
    seconds: r.seconds,
    inputBytes: src.size,
    outputBytes: written,
    hash: hash.digest('hex'),
    peakRss: hwm,
    heapPeak: ql.memoryUsage().heapPeak,
    largestF32: 4 * values(largest),
    largestOut: largest.newBytes,
  }));
  ql.terminate?.();  // (an older build, for an A/B, may not have it)
}

async function main() {
  const shape = process.argv.includes('--big') ? BIG : MID;
  const type = arg('--type', 'Q8_0');
  const reps = Number(arg('--reps', 2));
  const self = fileURLToPath(import.meta.url);
  const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`model ${JSON.stringify(shape)} -> ${type}; ${reps} reps interleaved; load average at start ${uptime()}`);
  const hashes = new Set();
  const rows = [];
  const dists = arg('--dists', process.env.QUANTLAB_DIST ?? '').split(',');
  for (let rep = 0; rep < reps; ++rep) {
    for (const r of RUNS.flatMap((run) => dists.map((dist) => ({ ...run, dist })))) {
      const spec = JSON.stringify({ shape, type, dist: r.dist, load: r.load, run: r.run });
      const p = spawnSync(process.execPath, [self, '--child', spec], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (p.status !== 0) throw new Error(`${r.name} failed: ${p.stderr}`);
      const m = JSON.parse(p.stdout);
      hashes.add(m.hash);
      rows.push({ rep, ...r, ...m, load: uptime() });
      const bound = 2 * m.largestF32 + m.largestOut;
      console.log(
        `rep ${rep} | ${r.name}${r.dist ? ` (${r.dist})` : ''} | ${m.seconds.toFixed(1)} s | ${(m.inputBytes / 1e6 / m.seconds).toFixed(0)} MB/s | ` +
          `peak RSS ${mib(m.peakRss).toFixed(0)} MiB | module heap peak ${mib(m.heapPeak).toFixed(0)} MiB | ` +
          `bound 2x${mib(m.largestF32).toFixed(0)}+${mib(m.largestOut).toFixed(0)} = ${mib(bound).toFixed(0)} MiB | load ${uptime()}`,
      );
    }
  }
  console.log(`input ${(rows[0].inputBytes / 1e9).toFixed(3)} GB, output ${(rows[0].outputBytes / 1e9).toFixed(3)} GB; ` +
    `${hashes.size === 1 ? `every run wrote the same bytes (sha256 ${[...hashes][0].slice(0, 16)}…)` : 'OUTPUTS DIFFER'}`);
  if (hashes.size !== 1) process.exit(1);
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]));
else await main();
