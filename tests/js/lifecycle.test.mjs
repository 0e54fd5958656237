// The life of a Quantlab instance in Node: terminate() (and dispose /
// Symbol.dispose) releases the threaded module's pthread workers and the
// workers of a running quantizeModel, after which every call throws
// 'Terminated'; a threaded module that cannot load falls back to the
// single-threaded one with a warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { watchPthreadStart } from '../../dist/module_variant.mjs';
import { livePthreadWorkers } from '../../dist/node_pthreads.mjs';
import { errorOf, ref, rejection } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'quantlab-life-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const x = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i));

function expectTerminated(e) {
  expect(e).toBeInstanceOf(QuantlabError);
  expect(e.code).toBe('Terminated');
}

describe('terminate', () => {
  it('releases the pthread workers; later calls on the instance and its models throw Terminated', async () => {
    const before = livePthreadWorkers();
    const q = await loadQuantlab({ threads: 3 });
    expect([q.pthreads, q.threads]).toEqual([true, 3]);
    expect(livePthreadWorkers()).toBe(before + 2);
    const model = await q.loadModel(ref('stories260K-f32.gguf'), { nCtx: 64 });
    const want = model.tokenize('Once upon a time');
    expect(want.length).toBeGreaterThan(3);
    q.terminate();
    expect(q.terminated).toBe(true);
    expect(livePthreadWorkers()).toBe(before);
    for (const call of [
      () => q.quantize(x, 'q4_0'),
      () => q.formats(),
      () => q.format('q8_0'),
      () => q.quantizeTypes(),
      () => q.memoryUsage(),
      () => model.tokenize('Once'),
    ]) {
      expectTerminated(errorOf(call));
    }
    expectTerminated(await rejection(q.quantizeModel(ref('stories260K-f32.gguf'), { type: 'Q8_0' })));
    expectTerminated(await rejection(q.loadModel(ref('stories260K-f32.gguf'))));
    // Freeing what the instance made, and terminating again, are no-ops.
    model.dispose();
    q.terminate();
    q.dispose();
  });

  it('dispose and Symbol.dispose terminate too, on either build', async () => {
    for (const threads of [1, 2]) {
      const q = await loadQuantlab({ threads });
      expect(q.quantize(x, 'q8_0').length).toBe(q.quantizedSize('q8_0', 256));
      (threads === 1 ? () => q.dispose() : () => q[Symbol.dispose]())();
      expectTerminated(errorOf(() => q.quantize(x, 'q8_0')));
    }
  });

  it('stops a running quantizeModel and its workers', async () => {
    for (const workers of [1, 2]) {
      const q = await loadQuantlab({ threads: 1 });
      const e = await rejection(
        q.quantizeModel(ref('stories260K-f32.gguf'), {
          type: 'Q4_K_M',
          workers,
          chunkValues: 4096,
          onProgress: (p) => p.index === 3 && q.terminate(),
        }),
      );
      expectTerminated(e);
    }
  });

  it('lets a Node process that used the threaded module exit', () => {
    const node = new URL('../../dist/node.mjs', import.meta.url).href;
    const script = `
      import { loadQuantlab } from ${JSON.stringify(node)};
      const q = await loadQuantlab({ threads: 2 });
      const r = await q.quantizeModel(${JSON.stringify(ref('stories260K-f32.gguf'))}, { type: 'Q8_0', tensorTypes: ['ffn_down=f16'] });
      console.log(q.pthreads, r.bytesWritten);
      q.terminate();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^true \d+/);
  });
});

describe('fallback to the single-threaded module', () => {
  async function expectFallback(options, simulate = async (load) => load()) {
    const warnings = [];
    const q = await simulate(() => loadQuantlab({ threads: 2, ...options, onWarning: (m) => warnings.push(m) }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/threaded WebAssembly build did not load .*using the single-threaded build/);
    expect(q.loadWarning).toBe(warnings[0]);
    expect([q.pthreads, q.threads, q.wasmVariant]).toEqual([false, 1, 'simd128']);
    expect(q.dequantize(q.quantize(x, 'q8_0'), 'q8_0', 256).length).toBe(256);
    q.terminate();
    return warnings[0];
  }

  it('when a pthread worker script fails to start', async () => {
    const broken = join(tmp, 'broken.worker.js');
    writeFileSync(broken, "throw new Error('served wrongly');\n");
    const before = livePthreadWorkers();
    const w = await expectFallback({ threadedFiles: { worker: pathToFileURL(broken).href } });
    expect(w).toMatch(/pthread worker failed to start/);
    expect(livePthreadWorkers()).toBe(before);
  });

  it('when the worker script is missing or the module script cannot be imported', async () => {
    const missing = pathToFileURL(join(tmp, 'missing.worker.js')).href;
    expect(await expectFallback({ threadedFiles: { worker: missing } })).toMatch(/pthread worker failed to start/);
    await expectFallback({ threadedFiles: { js: pathToFileURL(join(tmp, 'missing.mjs')).href } });
  });

  it('when SharedArrayBuffer is missing', async () => {
    await expectFallback({}, async (load) => {
      const saved = globalThis.SharedArrayBuffer;
      delete globalThis.SharedArrayBuffer;
      try {
        return await load();
      } finally {
        globalThis.SharedArrayBuffer = saved;
      }
    });
  });

  it('warns on the console without onWarning; a bad onWarning is an InvalidArgument', async () => {
    const seen = [];
    const warn = console.warn;
    console.warn = (m) => seen.push(String(m));
    try {
      const q = await loadQuantlab({ threads: 2, threadedFiles: { js: pathToFileURL(join(tmp, 'missing.mjs')).href } });
      expect(q.pthreads).toBe(false);
      q.terminate();
    } finally {
      console.warn = warn;
    }
    expect(seen.filter((m) => /single-threaded build/.test(m))).toHaveLength(1);
    expect((await rejection(loadQuantlab({ onWarning: 'loud' }))).code).toBe('InvalidArgument');
  });

  it('a pthread pool that never starts is given up after the timeout and terminated', async () => {
    let terminated = 0;
    const listeners = [];
    const module = {
      PThread: {
        unusedWorkers: [{ addEventListener: (type, fn) => listeners.push([type, fn]) }],
        terminateAllThreads: () => terminated++,
      },
    };
    const e = await rejection(watchPthreadStart(module, new Promise(() => {}), 20));
    expect(e.message).toMatch(/did not start within/);
    expect(terminated).toBe(1);
    // An 'error' event fails the load at once.
    const failing = watchPthreadStart(module, new Promise(() => {}), 60_000);
    for (const [type, fn] of listeners.slice(1)) if (type === 'error') fn({ message: 'blocked by COEP' });
    expect((await rejection(failing)).message).toMatch(/blocked by COEP/);
    expect(terminated).toBe(2);
    // A load that finishes resolves with the module.
    expect(await watchPthreadStart(module, Promise.resolve('m'), 60_000)).toBe('m');
  });
});
