// model.computeImatrix in Node: the GGUF bytes match the native layout, feed
// ql.quantizeModel, and runs can be cancelled.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { sharedDir } from './golden.mjs';

const ref = (name) => `${sharedDir}/reference/${name}`;
let ql, f32, text;

beforeAll(async () => {
  ql = await loadQuantlab();
  f32 = await ql.loadModel(ref('stories260K-f32.gguf'), { nCtx: 128 });
  text = readFileSync(ref('eval.txt'), 'utf8');
});
afterAll(() => f32?.dispose());

describe('computeImatrix', () => {
  it('returns a GGUF imatrix with an entry per block weight', async () => {
    const events = [];
    const bytes = await f32.computeImatrix(text, { ctx: 128, chunks: 4, dataset: 'eval.txt', onProgress: (p) => events.push(p) });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(events.map((e) => e.chunk)).toEqual([1, 2, 3, 4]);
    expect(events.at(-1).done).toBe(true);
    const h = await ql.readGgufHeader(bytes);
    expect(h.metadata['general.type']).toBe('imatrix');
    expect(h.metadata['imatrix.chunk_count']).toBe(4);
    expect(h.metadata['imatrix.chunk_size']).toBe(128);
    // 5 layers x 7 matrices, in_sum2 and counts each.
    expect(h.tensors).toHaveLength(70);
    const sums = h.tensors.find((t) => t.name === 'blk.0.ffn_down.weight.in_sum2');
    expect(sums.shape.slice(0, 2)).toEqual([172, 1]);
    const counts = h.tensors.find((t) => t.name === 'blk.0.attn_q.weight.counts');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getFloat32(counts.fileOffset, true)).toBe(4 * 128);
  });

  it('feeds quantizeModel', async () => {
    const bytes = await f32.computeImatrix(text, { ctx: 128, chunks: 8 });
    const plain = await ql.quantizeModel(ref('stories260K-f32.gguf'), { type: 'IQ4_XS' });
    const weighted = await ql.quantizeModel(ref('stories260K-f32.gguf'), { type: 'IQ4_XS', imatrix: bytes, imatrixName: 'cal.imatrix' });
    const a = new Uint8Array(await plain.blob.arrayBuffer());
    const b = new Uint8Array(await weighted.blob.arrayBuffer());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    const q = await ql.loadModel(weighted.blob, { nCtx: 128 });
    const base = await f32.perplexity(text, { ctx: 128, chunks: 4, keepLogprobs: true });
    const r = await q.perplexity(text, { ctx: 128, chunks: 4, base: f32 });
    q.dispose();
    expect(r.kld.kldMean).toBeGreaterThan(0);
    expect(r.kld.kldMean).toBeLessThan(0.2);
    expect(base.ppl).toBeGreaterThan(1);
  });

  it('is cancelled by an AbortSignal and leaves the model usable', async () => {
    const ac = new AbortController();
    let err = null;
    try {
      await f32.computeImatrix(text, { ctx: 128, onProgress: (p) => p.chunk === 2 && ac.abort(), signal: ac.signal });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantlabError);
    expect(err.code).toBe('Cancelled');
    const r = await f32.perplexity(text, { ctx: 128, chunks: 1 });
    expect(r.ppl).toBeGreaterThan(1);
    const bytes = await f32.computeImatrix(text, { ctx: 128, chunks: 1 });
    expect(bytes.length).toBeGreaterThan(0);
  });

  it('rejects bad arguments with typed errors', async () => {
    await expect(f32.computeImatrix(42)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(f32.computeImatrix('too short', { ctx: 128 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(f32.computeImatrix(text, { ctx: 4096 })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
