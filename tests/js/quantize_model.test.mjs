// ql.quantizeModel in Node: byte-identical to llama-quantize's files for
// stories260K, every output kind, workers, cancellation and typed errors;
// then a synthetic model larger than 4 GB streamed through wasm32.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { syntheticLlama } from './gguf_builder.mjs';
import { sharedDir } from './golden.mjs';

const ref = (name) => `${sharedDir}/reference/${name}`;
const F32 = ref('stories260K-f32.gguf');
// ffn_down rows (172 values) fit no 32-block type: llama-quantize's
// reference files for the 32-block ftypes were made with this override.
const FFN_DOWN_F16 = ['ffn_down=f16'];
let ql, tmp;

beforeAll(async () => {
  ql = await loadQuantlab();
  tmp = mkdtempSync(join(tmpdir(), 'quantlab-qm-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const bytesOf = async (blob) => new Uint8Array(await blob.arrayBuffer());
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

describe('stories260K like llama-quantize', () => {
  for (const [type, file, tensorTypes] of [
    ['Q8_0', 'stories260K-q8_0.gguf', FFN_DOWN_F16],
    ['Q4_0', 'stories260K-q4_0.gguf', FFN_DOWN_F16],
    ['Q4_K_M', 'stories260K-q4_k_m.gguf', undefined],
  ]) {
    it(`${type} is byte-identical to the reference file`, async () => {
      const events = [];
      const r = await ql.quantizeModel(F32, { type, tensorTypes, onProgress: (p) => events.push(p) });
      const want = readFileSync(ref(file));
      const got = await bytesOf(r.blob);
      expect(got.length).toBe(want.length);
      expect(sha256(got)).toBe(sha256(want));
      expect(r.bytesWritten).toBe(want.length);
      expect(r.plan.outputSize).toBe(want.length);
      // Rows and padding tile the file: each tensor ends where the next begins, padded to 32 bytes.
      expect(wholeRows(r)).toBe(true);
      for (const [i, t] of r.plan.tensors.entries()) {
        expect(t.outputBytes).toBe(t.newBytes + t.paddingBytes);
        expect(t.paddingBytes).toBeLessThan(32);
        expect((t.outputOffset + t.outputBytes) % 32).toBe(0);
        if (i + 1 < r.plan.tensors.length) expect(r.plan.tensors[i + 1].outputOffset).toBe(t.outputOffset + t.outputBytes);
      }
      expect(events).toHaveLength(48);
      expect(events.map((e) => e.index)).toEqual([...Array(48).keys()]);
      const last = events.at(-1);
      expect(last).toMatchObject({ nTensors: 48, bytesWritten: want.length, outputSize: want.length });
      expect(last.bytesRead).toBe(last.bytesTotal);
      expect(last.etaSeconds).toBe(0);
    });
  }

  it('reads Blobs, ArrayBuffers and {size, read} sources and writes to every kind of output', async () => {
    const input = readFileSync(F32);
    const want = readFileSync(ref('stories260K-q8_0.gguf'));
    const opts = { type: 'q8_0', tensorTypes: FFN_DOWN_F16 };
    // Blob in, {write} sink out.
    const chunks = [];
    const r1 = await ql.quantizeModel(new Blob([input]), { ...opts, output: { write: (c) => void chunks.push(c.slice()) } });
    expect(r1.blob).toBeUndefined();
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(want));
    // ArrayBuffer in, WritableStream out.
    const parts = [];
    let closed = false;
    const stream = new WritableStream({ write: (c) => void parts.push(c.slice()), close: () => void (closed = true) });
    const ab = input.buffer.slice(input.byteOffset, input.byteOffset + input.length);
    await ql.quantizeModel(ab, { ...opts, output: stream });
    expect(closed).toBe(true);
    expect(sha256(Buffer.concat(parts))).toBe(sha256(want));
    // {size, read} in, path out.
    const src = { size: input.length, read: async (o, n) => input.subarray(o, o + n) };
    const out = join(tmp, 'q8.gguf');
    const r3 = await ql.quantizeModel(src, { ...opts, output: out });
    expect(r3.bytesWritten).toBe(want.length);
    expect(sha256(readFileSync(out))).toBe(sha256(want));
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('loads and generates the text llama.cpp does', async () => {
    const r = await ql.quantizeModel(F32, { type: 'Q4_K_M' });
    const m = await ql.loadModel(r.blob, { nCtx: 128 });
    const g = await m.generateText('Once upon a time', { nPredict: 40, temperature: 0 });
    m.dispose();
    expect(g.promptText + g.text).toBe(
      ' Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.',
    );
  });
});

describe('plans', () => {
  it('a dry run reports the plan, writes nothing and reads only the header', async () => {
    const input = readFileSync(F32);
    let maxEnd = 0;
    const src = { size: input.length, read: async (o, n) => ((maxEnd = Math.max(maxEnd, o + n)), input.subarray(o, o + n)) };
    const out = join(tmp, 'dry.gguf');
    const r = await ql.quantizeModel(src, { type: 'Q4_K_M', dryRun: true, output: out });
    expect(r.bytesWritten).toBe(0);
    expect(r.blob).toBeUndefined();
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
    expect(maxEnd).toBeLessThanOrEqual(1 << 20);
    const p = r.plan;
    expect(p).toMatchObject({ type: 'Q4_K_M', arch: 'llama', dryRun: true, outputSize: 304096 });
    expect(p.tensors).toHaveLength(48);
    const byName = Object.fromEntries(p.tensors.map((t) => [t.name, t]));
    expect(byName['blk.0.ffn_down.weight']).toMatchObject({ oldType: 'f32', newType: 'f16', fellBack: true, shape: [172, 64] });
    expect(byName['blk.2.attn_v.weight'].newType).toBe('q8_0');
    expect(byName['blk.0.attn_q.weight']).toMatchObject({ newType: 'q5_0', fellBack: true, fallbackFrom: 'q4_K' });
    expect(byName['output_norm.weight']).toMatchObject({ newType: 'f32', convert: false });
    expect(p.bitsPerWeight).toBeGreaterThan(4);
    expect(p.bitsPerWeight).toBeLessThan(p.inputBitsPerWeight);
  });

  it('reports which tensors every tensorTypes entry decided, including ones that match nothing', async () => {
    const r = await ql.quantizeModel(F32, {
      type: 'Q4_0',
      dryRun: true,
      tensorTypes: ['ffn_down=f16', 'attn_(q|k)=q8_0', 'norm=q8_0', 'nosuchtensor=q5_0'],
    });
    const o = r.plan.overrides;
    expect(o.map((x) => x.pattern)).toEqual(['ffn_down', 'attn_(q|k)', 'norm', 'nosuchtensor']);
    expect(o[0].applied).toHaveLength(5);
    expect(o[1]).toMatchObject({ type: 'q8_0' });
    expect(o[1].applied).toHaveLength(10);
    expect(o[2].applied).toEqual([]);
    expect(o[2].notQuantizable.length).toBeGreaterThan(0);
    expect(o[3].applied).toEqual([]);
    expect(o[3].notQuantizable).toEqual([]);
    expect(r.plan.tensors.find((t) => t.name === 'blk.1.attn_k.weight')).toMatchObject({ newType: 'q8_0', override: 'attn_(q|k)' });
    expect(r.plan.messages.length).toBeGreaterThan(0);
  });
});

// A legacy .dat (llama-imatrix's old layout) for the given tensors: stored
// sums over 2 calls, so each column's weight is 1 + j % 7.
function legacyImatrix(tensors) {
  const enc = new TextEncoder();
  const parts = [];
  const i32 = (v) => parts.push(new Uint8Array(new Int32Array([v]).buffer));
  i32(tensors.length);
  for (const t of tensors) {
    const name = enc.encode(t.name);
    i32(name.length);
    parts.push(name);
    i32(2); // ncall: stored values are sums over calls
    i32(t.shape[0]);
    parts.push(new Uint8Array(Float32Array.from({ length: t.shape[0] }, (_, j) => 2 * (1 + (j % 7))).buffer));
  }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

describe('importance matrix', () => {
  it('is parsed from bytes, changes the output and is recorded in the metadata', async () => {
    const h = await ql.readGgufHeader(F32);
    const weights = h.tensors.filter((t) => t.shape.length === 2 && t.name !== 'output.weight');
    const imatrix = legacyImatrix(weights);
    const plain = await ql.quantizeModel(F32, { type: 'Q4_K_M' });
    for (const workers of [1, 2]) {
      const r = await ql.quantizeModel(F32, { type: 'Q4_K_M', imatrix: new Blob([imatrix]), imatrixName: 'test.dat', workers });
      expect(r.plan.imatrixMissing).toEqual(['output.weight']);
      const out = await bytesOf(r.blob);
      expect(out.length).toBe(r.plan.outputSize);
      expect(r.plan.outputTensorBytes).toBe(plain.plan.outputTensorBytes);
      expect(sha256(out)).not.toBe(sha256(await bytesOf(plain.blob)));
      const meta = (await ql.readGgufHeader(out)).metadata;
      expect(meta['quantize.imatrix.file']).toBe('test.dat');
      expect(meta['quantize.imatrix.entries_count']).toBe(weights.length);
    }
    const bad = await rejection(ql.quantizeModel(F32, { type: 'Q4_K_M', imatrix: imatrix.subarray(0, 30) }));
    expect(bad).toBeInstanceOf(QuantlabError);
    expect(bad.code).toBe('Format');
  });
});

describe('workers', () => {
  it('2 and 3 workers write the same bytes as one', async () => {
    const want = readFileSync(ref('stories260K-q4_k_m.gguf'));
    for (const workers of [2, 3]) {
      const events = [];
      const r = await ql.quantizeModel(F32, { type: 'Q4_K_M', workers, onProgress: (p) => events.push(p.index) });
      expect(sha256(await bytesOf(r.blob))).toBe(sha256(want));
      expect(events).toEqual([...Array(48).keys()]);
    }
    const q8 = await ql.quantizeModel(new Blob([readFileSync(F32)]), { type: 'Q8_0', tensorTypes: FFN_DOWN_F16, workers: 2 });
    expect(sha256(await bytesOf(q8.blob))).toBe(sha256(readFileSync(ref('stories260K-q8_0.gguf'))));
    expect(q8.threads).toBe(2);  // one per converter worker
  });

  it('workers get chunks of rows: any chunk size and worker count writes the same bytes', async () => {
    const want = sha256(readFileSync(ref('stories260K-q4_k_m.gguf')));
    // 64-value rows: 200 (1000) values make chunks of 3 (15) rows, which split every matrix.
    for (const [workers, chunkValues] of [[1, 200], [2, 1000]]) {
      const events = [];
      const r = await ql.quantizeModel(F32, { type: 'Q4_K_M', workers, chunkValues, onProgress: (p) => events.push(p.index) });
      expect(sha256(await bytesOf(r.blob)), `workers ${workers}, chunkValues ${chunkValues}`).toBe(want);
      expect(events).toEqual([...Array(48).keys()]);
    }
    expect(wholeRows(await ql.quantizeModel(F32, { type: 'Q4_K_M', dryRun: true }))).toBe(true);
    expect((await rejection(ql.quantizeModel(F32, { type: 'Q8_0', chunkValues: 0 }))).code).toBe('InvalidArgument');
  });

  it('an i-quant with an imatrix is the same in chunks of rows on 2 workers as whole on one thread', async () => {
    const src = syntheticLlama({ nEmbd: 256, nFf: 768, nLayer: 1, nVocab: 512, nHead: 8, nHeadKv: 2 });
    const source = (await ql.readGgufHeader(src)).tensors.filter((t) => t.shape.length === 2 && t.name !== 'token_embd.weight');
    const imatrix = new Blob([legacyImatrix(source)]);
    const whole = await ql.quantizeModel(src, { type: 'IQ2_XXS', imatrix });
    const rows = await ql.quantizeModel(src, { type: 'IQ2_XXS', imatrix, workers: 2, chunkValues: 256 * 5 });
    expect(sha256(await bytesOf(rows.blob))).toBe(sha256(await bytesOf(whole.blob)));
  });

  it('threads 1, 2 and 3 split each tensor\'s rows inside the threaded module: the same bytes, the heap bounded', async () => {
    const want = readFileSync(ref('stories260K-q4_k_m.gguf'));
    for (const threads of [1, 2, 3]) {
      const q = await loadQuantlab({ threads: 3 });  // a fresh heap per run: heapPeak only grows
      expect(q.pthreads).toBe(true);
      // A dry run holds what every run holds (the header prefix, the plan).
      const plan = (await q.quantizeModel(F32, { type: 'Q4_K_M', dryRun: true })).plan;
      const planned = q.memoryUsage().heapPeak;
      const r = await q.quantizeModel(F32, { type: 'Q4_K_M', threads });
      expect(sha256(await bytesOf(r.blob))).toBe(sha256(want));
      // Beyond that, at most the largest tensor's F32 values twice (its input
      // bytes and the staging buffer) plus its output.
      const largest = Math.max(...plan.tensors.map((t) => 4 * t.shape.reduce((a, b) => a * b, 1) + t.newBytes));
      const extra = q.memoryUsage().heapPeak - planned;
      expect(extra, `threads=${threads}`).toBeLessThanOrEqual(2 * largest);
    }
  });

  it('a conversion error rejects with its code, from a worker and from the module\u2019s pool, and frees what it held', async () => {
    // A source that changes between the header and the data: the NaN fails
    // validation inside a worker, or in the rows the pool converts while the
    // next chunk is read and copied in (workers: 1, chunks of 64 rows).
    const input = new Uint8Array(readFileSync(F32));
    const h = await ql.readGgufHeader(input);
    const t = h.tensors.find((x) => x.name === 'blk.3.attn_q.weight');
    new DataView(input.buffer).setFloat32(t.fileOffset + 40, NaN, true);
    const q = await loadQuantlab({ threads: 2 });
    const good = await q.quantizeModel(F32, { type: 'Q8_0', tensorTypes: FFN_DOWN_F16 });
    const heapInUse = q.memoryUsage().heapInUse;
    for (const opts of [{ workers: 2 }, { workers: 1 }, { workers: 1, chunkValues: 64 * 64 }]) {
      const e = await rejection(q.quantizeModel(input, { type: 'Q8_0', tensorTypes: FFN_DOWN_F16, ...opts }));
      expect(e).toBeInstanceOf(QuantlabError);
      expect(e.code).toBe('NonFinite');
      expect(e.message).toMatch(/blk\.3\.attn_q\.weight/);
      expect(q.memoryUsage().heapInUse, JSON.stringify(opts)).toBe(heapInUse);
      expect(q.memoryUsage().liveQuantizeSessions).toBe(0);
    }
    const again = await q.quantizeModel(F32, { type: 'Q8_0', tensorTypes: FFN_DOWN_F16 });
    expect(Buffer.from(await again.blob.arrayBuffer()).equals(Buffer.from(await good.blob.arrayBuffer()))).toBe(true);
    q.terminate();
  });
});

describe('the session under quantizeModel', () => {
  it('deleted with rows started, it finishes them before its memory goes, and the module goes on', async () => {
    const { beginSession } = await import('../../dist/quantize_model.mjs');
    const q = await loadQuantlab({ threads: 2 });
    const m = q._m;
    const input = new Uint8Array(readFileSync(F32));
    let heapInUse = null; // after the first session: its statics stay
    for (let rep = 0; rep < 20; ++rep) {
      if (rep === 1) heapInUse = q.memoryUsage().heapInUse;
      const { session, begun } = beginSession(m, [input], [input.length], { type: 'Q4_K_M' }, null);
      expect(begun.complete).toBe(true);
      const index = begun.plan.tensors.findIndex((t) => t.name === 'token_embd.weight'); // the largest
      const t = begun.plan.tensors[index];
      const ptr = m._malloc(t.oldBytes);
      m.HEAPU8.set(input.subarray(t.inputOffset, t.inputOffset + t.oldBytes), ptr);
      expect(session.startRows(index, 0, t.rows, ptr, t.oldBytes).error).toBeUndefined();
      expect(session.startRows(index, 0, t.rows, ptr, t.oldBytes).error.message).toMatch(/finish them first/);
      session.delete(); // no finishRows: the rows are converted into memory that is still there
      m._free(ptr);
    }
    expect(q.memoryUsage().liveQuantizeSessions).toBe(0);
    expect(q.memoryUsage().heapInUse).toBe(heapInUse);
    const r = await q.quantizeModel(input, { type: 'Q4_K_M' });
    const sha = (b) => createHash('sha256').update(b).digest('hex');
    expect(sha(new Uint8Array(await r.blob.arrayBuffer()))).toBe(sha(readFileSync(ref('stories260K-q4_k_m.gguf'))));
    q.terminate();
  });
});

// The plan's rows: every tensor's byte counts are whole rows of the sizes it reports.
function wholeRows({ plan }) {
  return plan.tensors.every((t) => t.rows === t.shape.slice(1).reduce((a, b) => a * b, 1) &&
    t.oldBytes === t.rows * t.inputRowBytes && t.newBytes === t.rows * t.outputRowBytes);
}

describe('cancellation and errors', () => {
  it('an AbortSignal cancels, and a path output leaves no file behind', async () => {
    for (const workers of [1, 2]) {
      const ac = new AbortController();
      const out = join(tmp, `cancel${workers}.gguf`);
      const e = await rejection(
        ql.quantizeModel(F32, { type: 'Q4_K_M', workers, output: out, onProgress: (p) => p.index === 5 && ac.abort() , signal: ac.signal }),
      );
      expect(e).toBeInstanceOf(QuantlabError);
      expect(e.code).toBe('Cancelled');
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.partial`)).toBe(false);
    }
    const ac = new AbortController();
    ac.abort();
    expect((await rejection(ql.quantizeModel(F32, { type: 'Q8_0', signal: ac.signal }))).code).toBe('Cancelled');
  });

  it('bad inputs are QuantlabErrors with codes, and the module keeps working', async () => {
    const notGguf = await rejection(ql.quantizeModel(new Uint8Array(64).fill(7), { type: 'Q8_0' }));
    expect(notGguf).toBeInstanceOf(QuantlabError);
    expect(notGguf.code).toBe('Format');
    expect(notGguf.message).toMatch(/bad magic/);
    const unknown = await rejection(ql.quantizeModel(F32, { type: 'Q9_X' }));
    expect(unknown.code).toBe('UnknownType');
    expect(ql.quantizeTypes().map((t) => t.name)).toEqual(expect.arrayContaining(['Q8_0', 'Q4_0', 'Q4_K_M']));
    expect((await rejection(ql.quantizeModel(F32, {}))).code).toBe('InvalidArgument');
    expect((await rejection(ql.quantizeModel(F32, { type: 'Q8_0', tensorTypes: ['ffn_down=q9'] }))).code).toBe('UnknownType');
    expect((await rejection(ql.quantizeModel(F32, { type: 'Q8_0', workers: 0 }))).code).toBe('InvalidArgument');
    // 172-value rows of ffn_down have no 32-block fallback, as in llama-quantize.
    const noFallback = await rejection(ql.quantizeModel(F32, { type: 'Q8_0' }));
    expect(noFallback).toBeInstanceOf(QuantlabError);
    expect(noFallback.message).toMatch(/fallback/);
    const q8 = ref('stories260K-q8_0.gguf');
    const requant = await rejection(ql.quantizeModel(q8, { type: 'Q4_0', tensorTypes: FFN_DOWN_F16, output: join(tmp, 'rq.gguf') }));
    expect(requant).toBeInstanceOf(QuantlabError);
    expect(requant.message).toMatch(/requantiz/);
    expect(existsSync(join(tmp, 'rq.gguf.partial'))).toBe(false);
    const cut = readFileSync(F32).subarray(0, 600_000);
    expect((await rejection(ql.quantizeModel(cut, { type: 'Q8_0', tensorTypes: FFN_DOWN_F16 }))).code).toBe('Format');
    // Still usable: a requantization that is allowed, then the reference again.
    const rq = await ql.quantizeModel(q8, { type: 'Q4_0', tensorTypes: FFN_DOWN_F16, allowRequantize: true });
    expect(rq.plan.nRequantize).toBeGreaterThan(0);
    const r = await ql.quantizeModel(F32, { type: 'Q4_K_M' });
    expect(sha256(await bytesOf(r.blob))).toBe(sha256(readFileSync(ref('stories260K-q4_k_m.gguf'))));
  });
});

describe('llama-quantize options', () => {
  it('overrideKv, pruneLayers, includeWeights and excludeWeights', async () => {
    const kv = await ql.quantizeModel(F32, {
      type: 'Q4_K_M',
      overrideKv: ['general.name=str:renamed', 'llama.context_length=int:-77', 'test.flag=bool:true'],
    });
    const meta = (await ql.readGgufHeader(kv.blob)).metadata;
    expect(meta['general.name']).toBe('renamed');
    expect(meta['llama.context_length']).toBe(77); // llama-quantize writes int overrides as u32 of |value|
    expect(meta['test.flag']).toBe(true);
    for (const bad of [['nokey'], ['k=long:1'], ['general.alignment=int:64']]) {
      expect((await rejection(ql.quantizeModel(F32, { type: 'Q4_K_M', dryRun: true, overrideKv: bad }))).code).toBe('InvalidArgument');
    }

    for (const pruneLayers of [[3, 1, 1], '1,3']) {
      const p = (await ql.quantizeModel(F32, { type: 'Q4_K_M', dryRun: true, pruneLayers })).plan;
      expect(p.blockCount).toBe(3);
      expect(p.pruned).toHaveLength(18);
      expect(p.tensors).toHaveLength(30);
      expect(p.tensors.find((t) => t.name === 'blk.1.attn_q.weight').inputName).toBe('blk.2.attn_q.weight');
      expect(p.tensors.find((t) => t.name === 'blk.2.ffn_up.weight').inputName).toBe('blk.4.ffn_up.weight');
    }
    const pruned = await ql.quantizeModel(F32, { type: 'Q4_K_M', pruneLayers: [1, 3] });
    expect((await ql.readGgufHeader(pruned.blob)).metadata['llama.block_count']).toBe(3);
    for (const bad of [[-1], [1.5], 'x']) {
      expect((await rejection(ql.quantizeModel(F32, { type: 'Q4_K_M', dryRun: true, pruneLayers: bad }))).code).toBe('InvalidArgument');
    }

    const h = await ql.readGgufHeader(F32);
    const weights = h.tensors.filter((t) => t.shape.length === 2);
    const enc = new TextEncoder();
    const parts = [new Int32Array([weights.length])];
    for (const t of weights) {
      const name = enc.encode(t.name);
      parts.push(new Int32Array([name.length]), name, new Int32Array([1, t.shape[0]]));
      parts.push(Float32Array.from({ length: t.shape[0] }, (_, j) => 1 + (j % 5)));
    }
    const dat = new Blob(parts);
    const inc = await ql.quantizeModel(F32, { type: 'Q4_K_M', imatrix: dat, includeWeights: ['attn_'], dryRun: true });
    expect(inc.plan.imatrixMissing.every((n) => !n.includes('attn_'))).toBe(true);
    expect(inc.plan.imatrixMissing).toContain('blk.0.ffn_down.weight');
    const exc = await ql.quantizeModel(F32, { type: 'Q4_K_M', imatrix: dat, excludeWeights: ['ffn_'] });
    expect(exc.plan.imatrixMissing).toHaveLength(15);
    expect((await ql.readGgufHeader(exc.blob)).metadata['quantize.imatrix.entries_count']).toBe(weights.length - 15);
    const both = await rejection(ql.quantizeModel(F32, { type: 'Q4_K_M', imatrix: dat, includeWeights: ['a'], excludeWeights: ['b'] }));
    expect(both.code).toBe('InvalidArgument');
  });
});

describe('file types', () => {
  const NEW_TYPES = ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ2_M', 'IQ3_XXS', 'IQ3_XS', 'IQ3_S', 'IQ3_M', 'IQ1_S', 'IQ1_M', 'Q2_K_S', 'TQ1_0', 'TQ2_0'];

  it('quantizeTypes lists the lattice and ternary file types with llama.cpp ids', () => {
    const byName = Object.fromEntries(ql.quantizeTypes().map((t) => [t.name, t.id]));
    for (const t of NEW_TYPES) expect(byName[t]).toBeTypeOf('number');
    expect(byName).toMatchObject({ IQ2_XXS: 19, IQ2_XS: 20, IQ3_XS: 22, IQ3_XXS: 23, IQ1_S: 24, IQ2_M: 29, IQ1_M: 31, TQ1_0: 36, TQ2_0: 37 });
  });

  it("IQ2_XS on a GQA llama: llama-quantize's mix in a dry run, refused without an imatrix", async () => {
    const src = syntheticLlama({ nEmbd: 256, nFf: 768, nLayer: 8, nVocab: 512, nHead: 8, nHeadKv: 2 });
    const r = await ql.quantizeModel(src, { type: 'IQ2_XS', dryRun: true });
    const types = Object.fromEntries(r.plan.tensors.map((t) => [t.name, t.newType]));
    // llama_tensor_get_type_impl's IQ1/IQ2 branch (tests/quantize/llama_quantize_types.inc has every tensor).
    expect(types).toMatchObject({
      'output.weight': 'q5_K',
      'token_embd.weight': 'q2_K',
      'blk.0.attn_q.weight': 'iq2_xs',
      'blk.0.attn_v.weight': 'q4_K',
      'blk.0.ffn_down.weight': 'q2_K',
      'blk.1.ffn_down.weight': 'iq2_xs',
      'blk.5.attn_output.weight': 'iq2_xs',
    });
    expect(r.plan.needsImatrix).toBe(true);
    expect(r.plan.warnings.join()).toMatch(/quantlab imatrix/);
    const e = await rejection(ql.quantizeModel(src, { type: 'IQ2_XS', output: { write() {} } }));
    expect(e).toBeInstanceOf(QuantlabError);
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toMatch(/importance matrix.*quantlab imatrix/);
  });

  // File types whose kernels are on main (and need no imatrix): the
  // whole-model output (byte-identical to llama-quantize's natively,
  // scripts/compare-llama-quantize.sh) is, in wasm too, each source tensor
  // quantized to its planned type.
  for (const type of ['TQ1_0', 'TQ2_0', 'IQ3_S']) {
    it(`${type} is written, every tensor as ql.quantize makes it`, async () => {
      const src = syntheticLlama({ nEmbd: 256, nFf: 768, nLayer: 2, nVocab: 512, nHead: 8, nHeadKv: 2 });
      const r = await ql.quantizeModel(src, { type, workers: 2 });
      const out = await ql.readGgufHeader(r.blob);
      expect(out.metadata['general.file_type']).toBe(ql.quantizeTypes().find((t) => t.name === type).id);
      const planned = Object.fromEntries(r.plan.tensors.map((t) => [t.name, t.newType]));
      const lower = type.toLowerCase();
      expect(Object.values(planned).filter((t) => t === lower).length).toBeGreaterThan(5);
      const source = Object.fromEntries((await ql.readGgufHeader(src)).tensors.map((t) => [t.name, t]));
      for (const t of out.tensors) {
        expect(t.type).toBe(planned[t.name]);
        const s = source[t.name];
        const f32 = new Float32Array((await src.read(s.fileOffset, s.size)).buffer);
        const got = await bytesOf(r.blob.slice(t.fileOffset, t.fileOffset + t.size));
        const want = t.type === 'f32' ? new Uint8Array(f32.buffer) : ql.quantize(f32, t.type, { rows: f32.length / s.shape[0] });
        expect(sha256(got), t.name).toBe(sha256(want));
      }
    });
  }
  // The file types that need an importance matrix, now that their kernels
  // are on main: written in wasm as ql.quantize makes each tensor with the
  // tensor's imatrix weights (the native output is byte-identical to
  // llama-quantize's: scripts/compare-llama-quantize.sh, docs/quantize.md).
  for (const type of ['IQ1_S', 'IQ1_M', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ2_M', 'IQ3_XXS']) {
    it(`${type} is written with an imatrix, every tensor as ql.quantize makes it`, async () => {
      const src = syntheticLlama({ nEmbd: 256, nFf: 768, nLayer: 2, nVocab: 512, nHead: 8, nHeadKv: 2 });
      const source = Object.fromEntries((await ql.readGgufHeader(src)).tensors.map((t) => [t.name, t]));
      // llama-imatrix collects every 2-D weight that multiplies activations: not token_embd.
      const inImatrix = Object.values(source).filter((t) => t.shape.length === 2 && t.name !== 'token_embd.weight');
      const r = await ql.quantizeModel(src, { type, workers: 2, imatrix: new Blob([legacyImatrix(inImatrix)]) });
      expect(r.plan.needsImatrix).toBe(true);
      const out = await ql.readGgufHeader(r.blob);
      expect(out.metadata['general.file_type']).toBe(ql.quantizeTypes().find((t) => t.name === type).id);
      const planned = Object.fromEntries(r.plan.tensors.map((t) => [t.name, t.newType]));
      const lattice = Object.values(planned).filter((t) => /^iq[123]_/.test(t));
      expect(lattice.length).toBeGreaterThan(5);
      const weightsOf = (t) => (inImatrix.some((w) => w.name === t.name) ? Float32Array.from({ length: t.shape[0] }, (_, j) => 1 + (j % 7)) : null);
      for (const t of out.tensors) {
        expect(t.type).toBe(planned[t.name]);
        const s = source[t.name];
        const f32 = new Float32Array((await src.read(s.fileOffset, s.size)).buffer);
        const got = await bytesOf(r.blob.slice(t.fileOffset, t.fileOffset + t.size));
        const want = t.type === 'f32' ? new Uint8Array(f32.buffer) : ql.quantize(f32, t.type, { rows: f32.length / s.shape[0], imatrix: weightsOf(s) });
        expect(sha256(got), t.name).toBe(sha256(want));
      }
    });
  }
});

describe('split models', () => {
  // stories260K as F32 parts of at most ~300 kB: gguf-split's layout.
  async function splitF32(workers = 1) {
    const r = await ql.quantizeModel(F32, { type: 'F32', splitMaxSize: 300_000, workers, outputName: 'stories.gguf' });
    expect(r.plan.splitOutput).toBe(true);
    return r;
  }

  it('splitMaxSize writes gguf-split parts, which quantize (in any order) to the unsplit result', async () => {
    const r = await splitF32();
    const n = r.files.length;
    expect(n).toBeGreaterThan(2);
    expect(r.blob).toBeUndefined();
    expect(r.files.map((f) => f.name)).toEqual(
      Array.from({ length: n }, (_, k) => `stories-${String(k + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.gguf`),
    );
    expect(r.files.reduce((s, f) => s + f.size, 0)).toBe(r.bytesWritten);
    for (const [k, f] of r.files.entries()) {
      expect(f.blob.size).toBe(f.size);
      const meta = (await ql.readGgufHeader(f.blob)).metadata;
      expect(meta['split.no']).toBe(k);
      expect(meta['split.count']).toBe(n);
      expect(meta['split.tensors.count']).toBe(48);
      expect(Object.keys(meta).length === 3).toBe(k > 0);
    }
    const r2 = await splitF32(2);
    for (const [k, f] of r2.files.entries()) expect(sha256(await bytesOf(f.blob))).toBe(sha256(await bytesOf(r.files[k].blob)));

    const want = sha256(readFileSync(ref('stories260K-q4_k_m.gguf')));
    const blobs = r.files.map((f) => f.blob).reverse();
    for (const workers of [1, 2]) {
      const q = await ql.quantizeModel(blobs, { type: 'Q4_K_M', workers });
      expect(q.plan.inputFiles).toBe(n);
      expect(new Set(q.plan.tensors.map((t) => t.inputFile)).size).toBe(n);
      expect(sha256(await bytesOf(q.blob))).toBe(want);
    }

    const kept = await ql.quantizeModel(blobs, { type: 'Q4_K_M', keepSplit: true, outputName: 'q.gguf' });
    expect(kept.files.map((f) => f.name)[0]).toBe(`q-00001-of-0000${n}.gguf`);
    for (const [k, f] of kept.files.entries()) {
      const h = await ql.readGgufHeader(f.blob);
      expect(h.metadata['split.no']).toBe(k);
      expect(h.tensors.map((t) => t.name)).toEqual((await ql.readGgufHeader(r.files[k].blob)).tensors.map((t) => t.name));
    }

    const one = await rejection(ql.quantizeModel(r.files[0].blob, { type: 'Q4_K_M' }));
    expect(one).toBeInstanceOf(QuantlabError);
    expect(one.code).toBe('Format');
    expect(one.message).toMatch(/every part/);
    expect((await rejection(ql.quantizeModel(blobs.slice(0, 2), { type: 'Q4_K_M' }))).message).toMatch(/first part/);
    const stream = await rejection(ql.quantizeModel(F32, { type: 'F32', splitMaxSize: 300_000, output: new WritableStream() }));
    expect(stream.code).toBe('InvalidArgument');
    for (const bad of [{ splitMaxSize: '1.5G' }, { splitMaxSize: -3 }, { splitMaxSize: 10 }, { splitMaxSize: '1M', keepSplit: true }]) {
      expect((await rejection(ql.quantizeModel(F32, { type: 'F32', dryRun: true, ...bad }))).code).toBe('InvalidArgument');
    }
  });

  it('Node paths: parts written through .partial, read back from the first part path; output functions', async () => {
    const prefix = join(tmp, 'parts.gguf');
    const r = await ql.quantizeModel(F32, { type: 'F32', splitMaxSize: '2M', output: prefix, pruneLayers: [4] });
    expect(r.files).toHaveLength(1); // all of it fits in 2 MB: still a split file, as gguf-split writes it
    const first = join(tmp, 'parts-00001-of-00001.gguf');
    expect(existsSync(first)).toBe(true);
    expect(existsSync(prefix)).toBe(false);

    const split = await ql.quantizeModel(F32, { type: 'F32', splitMaxSize: 300_000, output: join(tmp, 's') });
    const names = split.files.map((f) => f.name);
    expect(names[0]).toBe(join(tmp, `s-00001-of-0000${names.length}.gguf`));
    for (const f of names) {
      expect(existsSync(f)).toBe(true);
      expect(existsSync(`${f}.partial`)).toBe(false);
    }
    const q = await ql.quantizeModel(names[0], { type: 'Q4_K_M' });
    expect(q.plan.inputFiles).toBe(names.length);
    expect(sha256(await bytesOf(q.blob))).toBe(sha256(readFileSync(ref('stories260K-q4_k_m.gguf'))));

    const got = {};
    const viaFn = await ql.quantizeModel(names[0], {
      type: 'Q8_0',
      tensorTypes: FFN_DOWN_F16,
      keepSplit: true,
      output: ({ index, count, name }) => {
        got[name] = [];
        expect(count).toBe(names.length);
        expect(index).toBeLessThan(count);
        return { write: (c) => got[name].push(c.slice()) };
      },
    });
    expect(Object.keys(got)).toEqual(viaFn.files.map((f) => f.name));
    const sizes = Object.values(got).map((chunks) => chunks.reduce((s, c) => s + c.length, 0));
    expect(sizes).toEqual(viaFn.files.map((f) => f.size));

    // Cancelled: no part and no .partial remains.
    const ac = new AbortController();
    const out = join(tmp, 'cancelled.gguf');
    const e = await rejection(
      ql.quantizeModel(F32, { type: 'F32', splitMaxSize: 300_000, output: out, signal: ac.signal, onProgress: (p) => p.index === 30 && ac.abort() }),
    );
    expect(e.code).toBe('Cancelled');
    expect(readdirSync(tmp).filter((f) => f.startsWith('cancelled'))).toEqual([]);
  });
});

// ---------------------------------------------------------------- > 4 GB
// A llama-shaped F32 GGUF that exists only as a {size, read} source: the
// header is written here, tensor data is synthesized in read() from the
// absolute offset, so any range reads the same bytes every time.

const big = process.env.QUANTLAB_BIG_TEST === '1' ? describe : describe.skip;

big('a synthetic F32 llama larger than 4 GB (QUANTLAB_BIG_TEST=1)', () => {
  it('streams to Q8_0 with 1 and 2 threads and with 2 workers: the planned size, identical bytes, bounded memory', async () => {
    const src = syntheticLlama();
    expect(src.size).toBeGreaterThan(4.3e9);
    const largestF32 = Math.max(...src.tensors.map((t) => t.size));
    const hashes = [];
    // Threads split each tensor's rows inside one threaded module (interleaved
    // 1, 2, 1, 2 on a shared machine); workers = 2 runs two single-threaded
    // modules in workers, which get chunks of rows. Per-run peak RSS:
    // scripts/bench-quantize-memory.mjs (one process per run).
    const runs = [{ threads: 1 }, { threads: 2 }, { threads: 1 }, { threads: 2 }, { workers: 2 }];
    for (const run of runs) {
      const q = await loadQuantlab({ threads: run.workers ? 1 : 2 });
      const hash = createHash('sha256');
      let written = 0;
      let peakRss = process.memoryUsage().rss;
      const sink = { write: (c) => { hash.update(c); written += c.length; } };
      const r = await q.quantizeModel(src, {
        type: 'Q8_0',
        ...run,
        output: sink,
        onProgress: () => void (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
      });
      expect(written).toBe(r.plan.outputSize);
      expect(r.bytesWritten).toBe(r.plan.outputSize);
      hashes.push(hash.digest('hex'));
      const largestOut = Math.max(...r.plan.tensors.map((t) => t.newBytes));
      const heapPeak = q.memoryUsage().heapPeak;
      const mbps = src.size / 1e6 / r.seconds;
      const mib = (b) => (b / 2 ** 20).toFixed(0);
      console.log(
        `[big] Node ${JSON.stringify(run)} (module: ${q.pthreads ? 'threaded' : 'single'}): input ${(src.size / 1e9).toFixed(3)} GB -> ` +
          `${(written / 1e9).toFixed(3)} GB Q8_0 in ${r.seconds.toFixed(1)} s = ${mbps.toFixed(0)} MB/s input; peak RSS ${mib(peakRss)} MiB; ` +
          `main module heap peak ${mib(heapPeak)} MiB; largest tensor ${mib(largestF32)} MiB F32 + ${mib(largestOut)} MiB out`,
      );
      // Inside the one module: the largest tensor's input bytes, its output,
      // two 16 MiB row-chunk buffers; at most 2x its F32 size plus its output.
      if (!run.workers) expect(heapPeak).toBeLessThanOrEqual(2 * largestF32 + largestOut);
      q.terminate();  // its pthread workers no longer keep its heap alive
    }
    for (const h of hashes) expect(h).toBe(hashes[0]);
  }, 1_800_000);
});
