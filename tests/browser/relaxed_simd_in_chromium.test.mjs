// The relaxed-SIMD Catch2 suite, in Chromium: Node 20 cannot run it (V8 11.3
// has i32x4.relaxed_dot_i8x16_i7x16_add_s only behind a flag, with
// pre-standard results; docs/engine.md). It is built once, in the threaded
// relaxed build (build/wasm-mt-relaxed, QUANTLAB_RELAXED_TESTS=1
// scripts/build.sh wasm-mt-relaxed): the one-thread relaxed module has the
// same kernel code, without -pthread. The page is cross-origin isolated (its
// pthread workers need SharedArrayBuffer); it loads the suite's ES module,
// writes the test data into its in-memory file system at the absolute paths
// compiled into it, and runs main on the kernel, engine and thread tags: the
// gemm and vec_dot equality tests, the cross-target logits fingerprints at 1,
// 2, 3 and 4 threads, and the thread-count independence of logits,
// perplexity and imatrix sums, so the relaxed kernels are held to the same
// bits as every other target at every thread count. (The pool's own tests and
// the quantizer's run in the SIMD128 threaded build under Node: no kernel of
// theirs differs here.)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer } from '../../scripts/serve-web.mjs';
import { sharedDir } from '../js/golden.mjs';
import { launchChromium, root } from './chromium.mjs';

const buildDir = `${root}/build/wasm-mt-relaxed`;
// [simd]: every SIMD kernel against its reference, gemm = vec_dot bit for bit;
// [engine]: the engine suites with test_engine_targets.cpp's fingerprints;
// [threads]: thread-count independence, in the files those tags bring.
// ([matmul]'s bench_matmul timing test cannot pass here: a page that is not
// cross-origin isolated gets a 100 µs clock.)
const TAGS = '[simd],[engine],[dot],[threads]';

// Every file the tagged tests may open, under the absolute path they use.
function dataFiles() {
  const dirs = [`${sharedDir}/reference`, `${sharedDir}/golden`, `${sharedDir}/bench/models`, `${root}/tests/formats/golden`, `${root}/models`];
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (statSync(p).size < 64 << 20) files.push(resolve(p));
    }
  };
  for (const d of dirs) walk(d);
  return files;
}

let browser, server;

beforeAll(async () => {
  // Incremental: a no-op when `npm test` has built it.
  execFileSync('bash', ['scripts/build.sh', 'wasm-mt-relaxed'], { cwd: root, stdio: 'inherit', env: { ...process.env, QUANTLAB_RELAXED_TESTS: '1' } });
  server = await startStaticServer({ root: buildDir, isolation: true });
  browser = await launchChromium();
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('relaxed-SIMD build in Chromium', () => {
  it('passes the kernel-equality and logits-fingerprint tests', async () => {
    const page = await browser.context.newPage();
    const files = dataFiles();
    await page.route('**/__data/**', (r) => {
      const p = decodeURIComponent(new URL(r.request().url()).pathname.slice('/__data'.length));
      if (!files.includes(p)) return r.fulfill({ status: 404 });
      return r.fulfill({ body: readFileSync(p) });
    });
    await page.route('**/__page', (r) => r.fulfill({
      contentType: 'text/html',
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      body: '<!doctype html><title>relaxed suite</title>',
    }));
    await page.goto(`${server.url}/__page`);
    const r = await page.evaluate(
      async ({ files, tags }) => {
        const out = [];
        // (import() through Function: Vitest rewrites a literal one in this source)
        const { default: create } = await new Function('u', 'return import(u)')('/tests/quantlab_tests.mjs');
        const M = await create({ print: (s) => out.push(s), printErr: (s) => out.push(s), noExitRuntime: false });
        for (const f of files) {
          M.FS.mkdirTree(f.slice(0, f.lastIndexOf('/')));
          M.FS.writeFile(f, new Uint8Array(await (await fetch(`/__data${f}`)).arrayBuffer()));
        }
        let code;
        try {
          code = M.callMain([tags]);
        } catch (e) {
          code = e?.status ?? String(e);
        }
        const wasm = await (await fetch('/quantlab_wasm_mt_relaxed.wasm')).arrayBuffer();
        return { code, out: out.join('\n'), isolated: crossOriginIsolated, relaxed: WebAssembly.validate(new Uint8Array(wasm)) };
      },
      { files, tags: TAGS },
    );
    const summary = r.out.split('\n').filter((l) => /test cases|assertions/.test(l)).join(' | ');
    console.log(`relaxed-SIMD Catch2 ${TAGS} in Chromium: ${summary}`);
    expect(r.isolated).toBe(true);
    expect(r.relaxed).toBe(true);
    expect(r.out, r.out.slice(-4000)).toMatch(/All tests passed/);
    expect(r.code).toBe(0);
    await page.close();
  }, 1_800_000);
});
