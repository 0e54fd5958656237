// What an npm user gets: `npm pack` the package, install the tarball into a
// brand-new project, then import it from Node and from a Vite app in Chromium.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedFiles } from '../../scripts/check-package.mjs';
import { startStaticServer } from '../../scripts/serve-web.mjs';
import { launchChromium } from '../browser/chromium.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
let work, tarball, project, packed;

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'quantlab-pack-'));
  packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root))[0];
  tarball = join(work, packed.filename);
  project = join(work, 'consumer');
  run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  it('ships the wasm, both entries and the types, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(
      [
        'README.md',
        'dist/browser.mjs',
        'dist/byte_source.mjs',
        'dist/errors.mjs',
        'dist/mixed_precision.mjs',
        'dist/model.mjs',
        'dist/module_variant.mjs',
        'dist/node.mjs',
        'dist/node_pthreads.mjs',
        'dist/quantize_model.mjs',
        'dist/quantize_worker.mjs',
        'dist/quantlab.d.ts',
        'dist/quantlab.mjs',
        'dist/quantlab_wasm.mjs',
        'dist/quantlab_wasm.wasm',
        'dist/quantlab_wasm_relaxed.mjs',
        'dist/quantlab_wasm_relaxed.wasm',
        'dist/wasm_variant.mjs',
        'dist/quantlab_wasm_mt.mjs',
        'dist/quantlab_wasm_mt.wasm',
        'dist/quantlab_wasm_mt.worker.js',
        'dist/quantlab_wasm_mt_relaxed.mjs',
        'dist/quantlab_wasm_mt_relaxed.wasm',
        'dist/quantlab_wasm_mt_relaxed.worker.js',
        'package.json',
      ].sort(),
    );
    expect(existsSync(join(project, 'node_modules/quantlab/dist/quantlab_wasm.wasm'))).toBe(true);
  });

  it('holds every file the exports map, main, browser and types name', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const named = namedFiles(pkg);
    expect(named).toEqual(expect.arrayContaining(['dist/node.mjs', 'dist/browser.mjs', 'dist/quantlab.d.ts', 'dist/quantlab_wasm.wasm',
      'dist/quantlab_wasm_relaxed.wasm', 'dist/quantlab_wasm_mt.mjs', 'dist/quantlab_wasm_mt.wasm', 'dist/quantlab_wasm_mt.worker.js',
      'dist/quantlab_wasm_mt_relaxed.mjs', 'dist/quantlab_wasm_mt_relaxed.wasm', 'dist/quantlab_wasm_mt_relaxed.worker.js']));
    const packedFiles = new Set(packed.files.map((f) => f.path));
    for (const f of named) expect(packedFiles.has(f), f).toBe(true);
    // And the modules those import (relative imports inside dist/) are packed too.
    for (const f of packed.files.map((x) => x.path).filter((x) => x.endsWith('.mjs'))) {
      const src = readFileSync(join(project, 'node_modules/quantlab', f), 'utf8');
      for (const m of src.matchAll(/(?:import|from)\s*\(?\s*['"](\.\/[^'"]+)['"]/g)) {
        expect(packedFiles.has(join('dist', m[1])), `${f} imports ${m[1]}`).toBe(true);
      }
    }
  });

  it('refuses loudly to pack a package whose dist/ is missing', () => {
    // prepack's check, against a copy of the package metadata without dist/.
    const bare = join(work, 'bare');
    mkdirSync(bare);
    copyFileSync(join(root, 'package.json'), join(bare, 'package.json'));
    const r = spawnSync('node', [join(root, 'scripts/check-package.mjs'), bare], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/quantlab_wasm.wasm');
    expect(r.stderr).toMatch(/refusing to pack/);
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toContain('"prepack": "bash scripts/prepack.sh"');
  });

  it('imports and quantizes a Float32Array in Node', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { loadQuantlab, QuantlabError } from 'quantlab';
const ql = await loadQuantlab();
const x = new Float32Array(64).map((_, i) => Math.cos(i) * 0.5);
const q = ql.quantize(x, 'q8_0');
const y = ql.dequantize(q, 'q8_0', x.length);
let code = null;
try { ql.quantize(x.subarray(0, 40), 'q8_0'); } catch (e) { code = e instanceof QuantlabError ? e.code : 'wrong class'; }
const one = await loadQuantlab({ threads: 1 });
const same = one.quantize(x, 'q8_0').every((b, i) => b === q[i]);
console.log(JSON.stringify({ bytes: q.length, maxAbs: ql.errorStats(x, y).maxAbs, code, threads: ql.threads, pthreads: ql.pthreads,
  oneThread: [one.threads, one.pthreads], same }));
`,
    );
    // Node gets the threaded module (one thread per CPU; 2 or more threads
    // wherever this suite runs) and still exits by itself when done.
    const out = JSON.parse(run('node', ['use.mjs'], project));
    expect(out.pthreads).toBe(true);
    expect(out.threads).toBe(Math.min(16, availableParallelism()));
    expect(out.oneThread).toEqual([1, false]);
    expect(out.same).toBe(true);
    expect(out.bytes).toBe(68);
    expect(out.maxAbs).toBeGreaterThan(0);
    expect(out.maxAbs).toBeLessThan(0.5 / 127);
    expect(out.code).toBe('BadLength');
  });

  it('bundles with Vite and runs in Chromium', async () => {
    writeFileSync(join(project, 'index.html'), '<!doctype html><link rel="icon" href="data:,"><p id="result">loading</p><script type="module" src="./main.js"></script>');
    writeFileSync(
      join(project, 'main.js'),
      `import { loadQuantlab } from 'quantlab';
const ql = await loadQuantlab();
const x = new Float32Array(256).map((_, i) => Math.sin(i));
const q = ql.quantize(x, 'q8_0');
document.getElementById('result').textContent = 'PASS ' + q.length + ' ' + ql.defaultKernel + ' threads=' + ql.threads;
`,
    );
    await build({ root: project, configFile: false, logLevel: 'warn', build: { target: 'es2022', outDir: 'dist' } });
    const assets = readdirSync(join(project, 'dist/assets'));
    expect(assets.some((f) => f.endsWith('.wasm'))).toBe(true);
    // The threaded build's module and wasm are copied as they are (its 2 KB
    // worker script Vite inlines as a data: URL, which loadQuantlab turns
    // into a same-origin blob: URL).
    for (const ext of ['.mjs', '.wasm']) {
      expect(assets.some((f) => f.startsWith('quantlab_wasm_mt') && f.endsWith(ext)), ext).toBe(true);
    }

    // Without COOP/COEP the single-threaded module; with them the threaded
    // one, one thread per core (Chromium reports this machine's CPUs).
    for (const isolation of [false, true]) {
      const server = await startStaticServer({ root: join(project, 'dist'), isolation });
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        await page.goto(server.url);
        const cores = await page.evaluate(() => navigator.hardwareConcurrency);
        const threads = isolation ? Math.min(16, cores) : 1;
        await expect.poll(() => page.textContent('#result'), { timeout: 30_000 }).toBe(`PASS 272 simd128 threads=${threads}`);
      } finally {
        await browser.close();
        await server.close();
      }
    }
  });
});
