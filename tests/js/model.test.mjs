// The model API in Node against llama.cpp's figures for stories260K.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { sharedDir } from './golden.mjs';

const ref = (name) => `${sharedDir}/reference/${name}`;
const expected =
  ' Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';
let ql, f32;

beforeAll(async () => {
  ql = await loadQuantlab();
  f32 = await ql.loadModel(ref('stories260K-f32.gguf'), { nCtx: 128 });
});
afterAll(() => f32?.dispose());

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('loading', () => {
  it('reads the header and hyperparameters', () => {
    expect(f32.info).toMatchObject({ arch: 'llama', nVocab: 512, nEmbd: 64, nLayer: 5, nHead: 8, nHeadKv: 4, nCtx: 128 });
    expect(f32.header.tensors).toHaveLength(48);
    expect(f32.header.metadata['general.architecture']).toBe('llama');
  });

  it('loads from bytes and from a Blob with progress', async () => {
    const bytes = readFileSync(ref('stories260K-q8_0.gguf'));
    let last = null;
    const m = await ql.loadModel(new Blob([bytes]), { nCtx: 128, onProgress: (p) => (last = p) });
    expect(last.loaded).toBe(last.total);
    expect(m.info.nParams).toBeGreaterThan(250_000);
    m.dispose();
    const m2 = await ql.loadModel(new Uint8Array(bytes), { nCtx: 128 });
    expect(m2.tokenize('Once upon a time')).toEqual(f32.tokenize('Once upon a time'));
    m2.dispose();
  });

  it('takes a thread count: Node loads the threaded module, and threads change nothing but speed', async () => {
    // One thread per CPU by default; the model runs with the module's threads.
    expect(ql.pthreads).toBe(true);
    expect(ql.threads).toBe(Math.min(16, availableParallelism()));
    expect(f32.info.threads).toBe(ql.threads);
    const text = readFileSync(ref('eval.txt'), 'utf8');
    const r0 = await f32.perplexity(text, { ctx: 128, chunks: 2 });
    // A second model at the module's thread count shares f32's pool: it runs
    // on every thread too, and so do a matmul benchmark and a whole-model
    // quantization meanwhile (each pool of its own would find the module's
    // Web Workers taken and run on one thread, as a different count still does).
    const shared = await ql.loadModel(ref('stories260K-f32.gguf'), { nCtx: 128 });
    expect(shared.info.threads).toBe(ql.threads);
    expect((await shared.perplexity(text, { ctx: 128, chunks: 2 })).ppl).toBe(r0.ppl);
    expect(ql.benchMatmul('q8_0', { rows: 48, cols: 256, minMs: 1, maxReps: 3, threads: ql.threads }).threads).toBe(ql.threads);
    expect((await ql.quantizeModel(ref('stories260K-f32.gguf'), { type: 'Q4_K_M' })).threads).toBe(ql.threads);
    shared.dispose();
    const m = await ql.loadModel(ref('stories260K-f32.gguf'), { nCtx: 128, threads: 3 });
    expect(m.info.threads).toBe(1);
    expect((await m.perplexity(text, { ctx: 128, chunks: 2 })).ppl).toBe(r0.ppl);
    m.dispose();
    // A module loaded for 3 threads runs 3; one loaded for 1 is the single-threaded build.
    for (const [threads, pthreads] of [[3, true], [1, false]]) {
      const q = await loadQuantlab({ threads });
      expect([q.threads, q.pthreads]).toEqual([threads, pthreads]);
      const mq = await q.loadModel(ref('stories260K-f32.gguf'), { nCtx: 128 });
      expect(mq.info.threads).toBe(threads);
      expect((await mq.perplexity(text, { ctx: 128, chunks: 2 })).ppl).toBe(r0.ppl);
      mq.dispose();
    }
    for (const threads of [-1, 1.5, 'two', 1000]) {
      const e = await rejection(ql.loadModel(ref('stories260K-f32.gguf'), { threads }));
      expect(e.code, String(threads)).toBe('InvalidArgument');
    }
  });

  it('rejects a file that is not a GGUF model and keeps working', async () => {
    const e = await rejection(ql.loadModel(new Uint8Array(64).fill(7)));
    expect(e).toBeInstanceOf(QuantlabError);
    expect(e.code).toBe('Format');
    expect(e.message).toMatch(/bad magic/);
    const cut = readFileSync(ref('stories260K-f32.gguf')).subarray(0, 300_000);
    expect((await rejection(ql.loadModel(cut))).code).toBe('Format');
    const ac = new AbortController();
    ac.abort();
    expect((await rejection(ql.loadModel(ref('stories260K-f32.gguf'), { signal: ac.signal }))).code).toBe('Cancelled');
    expect(f32.tokenize('hi').length).toBeGreaterThan(1);
  });
});

describe('tokenize and generate', () => {
  it('tokenizes eval.txt into llama.cpp\'s 10,590 tokens', () => {
    const text = readFileSync(ref('eval.txt'), 'utf8');
    const ids = f32.tokenize(text);
    expect(ids.length).toBe(10590);
    expect(ids[0]).toBe(1);
    expect(f32.detokenize(ids.subarray(1))).toBe(text);
  });

  it('greedy generation reproduces llama.cpp\'s text for F32, Q8_0 and Q4_K_M', async () => {
    for (const name of ['f32', 'q8_0', 'q4_k_m']) {
      const m = name === 'f32' ? f32 : await ql.loadModel(ref(`stories260K-${name}.gguf`), { nCtx: 128 });
      const r = await m.generateText('Once upon a time', { nPredict: 40, temperature: 0 });
      expect(r.promptText + r.text, name).toBe(expected);
      expect(r.tokens).toHaveLength(40);
      if (m !== f32) m.dispose();
    }
  });

  it('sampling is reproducible from a seed and streams tokens', async () => {
    const opts = { nPredict: 20, temperature: 0.9, topK: 40, topP: 0.95, seed: 7 };
    const seen = [];
    const a = await f32.generateText('The cat', { ...opts, onToken: (p) => seen.push(p) });
    const b = await f32.generateText('The cat', opts);
    expect(a.text).toBe(b.text);
    expect(seen.join('')).toBe(a.text);
    const c = await f32.generateText('The cat', { ...opts, seed: 8 });
    expect(c.text).not.toBe(a.text);
  });
});

describe('perplexity', () => {
  const text = () => readFileSync(ref('eval.txt'), 'utf8');

  it('F32 equals llama-perplexity: 5.4922 ± 0.1451 over 82 chunks', async () => {
    const progress = [];
    const r = await f32.perplexity(text(), { ctx: 128, keepLogprobs: true, onProgress: (p) => progress.push(p) });
    expect(r.nChunks).toBe(82);
    expect(r.nScored).toBe(82 * 63);
    expect(r.ppl.toPrecision(4)).toBe('5.492');
    expect(r.pplError).toBeCloseTo(0.1451, 3);
    expect(progress).toHaveLength(82);
    expect(r.runningPpl[0]).toBeCloseTo(2.8841, 3);
  });

  it('Q8_0 against the F32 base: KLD and same-top within 2 % of llama.cpp', async () => {
    const q = await ql.loadModel(ref('stories260K-q8_0.gguf'), { nCtx: 128 });
    const r = await q.perplexity(text(), { ctx: 128, base: f32 });
    expect(r.kld.kldMean / 0.00086).toBeGreaterThan(0.98);
    expect(r.kld.kldMean / 0.00086).toBeLessThan(1.02);
    expect(r.kld.sameTop / 0.98335).toBeGreaterThan(0.98);
    expect(r.kld.pplBase.toPrecision(4)).toBe('5.492');
    expect(typeof r.kld.significant).toBe('boolean');
    q.dispose();
  });

  it('can be cancelled, and rejects bad options', async () => {
    const ac = new AbortController();
    const e = await rejection(
      f32.perplexity(text(), { ctx: 128, signal: ac.signal, onProgress: (p) => p.chunk === 2 && ac.abort() }),
    );
    expect(e.code).toBe('Cancelled');
    expect((await rejection(f32.perplexity('too short', { ctx: 128 }))).code).toBe('InvalidArgument');
    expect((await rejection(f32.perplexity(text(), { ctx: 4096 }))).code).toBe('InvalidArgument');
    const r = await f32.perplexity(text(), { ctx: 128, chunks: 2 });
    expect(r.nChunks).toBe(2);
  });
});
