// quantizeModel cancelled or failing at random points, from the header to
// the last tensor, with one and two workers: a path output leaves neither
// the file nor its .partial, a WritableStream is aborted (never closed), no
// Blob is returned, and the instance then writes the reference file again.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';
import { ref, rejection } from './helpers.mjs';

const F32 = ref('stories260K-f32.gguf');
const TYPE = { type: 'Q4_K_M' };
let ql, input, plan, tmp, want, heapInUse;

// A seeded generator (mulberry32): the points are random but reproducible.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(16);
const pick = (lo, hi) => lo + Math.floor(random() * (hi - lo));
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  ql = await loadQuantlab();
  input = new Uint8Array(readFileSync(F32));
  plan = (await ql.quantizeModel(input, { ...TYPE, dryRun: true })).plan;
  tmp = mkdtempSync(join(tmpdir(), 'quantlab-atomic-'));
  want = sha256(readFileSync(ref('stories260K-q4_k_m.gguf')));
  await ql.quantizeModel(input, TYPE);
  heapInUse = ql.memoryUsage().heapInUse; // after a whole run: what every run must give back to
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


// Points in the output (byte offsets where a write fails) and in the input
// (offsets where a read fails): the header, the first tensor, the middle,
// the last tensor, and random ones; at least 10 of each.
function outputPoints() {
  const t = plan.tensors;
  const last = t.at(-1);
  const pts = [0, plan.headerSize - 1, t[0].outputOffset, t[0].outputOffset + 1, last.outputOffset, plan.outputSize - 1];
  while (pts.length < 12) pts.push(pick(0, plan.outputSize));
  return pts;
}
function inputPoints() {
  const t = plan.tensors;
  const last = t.at(-1);
  const pts = [0, 100, t[0].inputOffset, t[0].inputOffset + 8, last.inputOffset, last.inputOffset + last.oldBytes - 1];
  while (pts.length < 12) pts.push(pick(0, input.length));
  return pts;
}

// A source whose reads fail once they reach byte `at`.
const failingSource = (at) => ({
  size: input.length,
  read: async (o, n) => {
    if (o + n > at) throw new Error(`read error at byte ${at}`);
    return input.subarray(o, o + n);
  },
});

// Every kind of output, watched: what exists on disk, what the stream saw.
function outputs(name) {
  const path = join(tmp, `${name}.gguf`);
  const seen = { closed: false, aborted: false, bytes: 0 };
  const stream = new WritableStream({
    write: (c) => void (seen.bytes += c.length),
    close: () => void (seen.closed = true),
    abort: () => void (seen.aborted = true),
  });
  return { path, stream, seen };
}

function expectNothingLeft(path) {
  expect(existsSync(path)).toBe(false);
  expect(existsSync(`${path}.partial`)).toBe(false);
}

async function expectStillWorks() {
  // Failed runs freed everything, the rows a pool was converting when they failed included.
  expect(ql.memoryUsage().heapInUse).toBe(heapInUse);
  const r = await ql.quantizeModel(input, TYPE);
  expect(sha256(new Uint8Array(await r.blob.arrayBuffer()))).toBe(want);
  expect(ql.memoryUsage().liveQuantizeSessions).toBe(0);
  expect(ql.memoryUsage().heapInUse).toBe(heapInUse);
}

describe('quantizeModel leaves no partial output', () => {
  for (const workers of [1, 2]) {
    it(`a write failing at 12 points from the header to the last tensor (workers ${workers})`, async () => {
      for (const at of outputPoints()) {
        // A stream whose sink fails once the output reaches byte `at` (a full disk).
        let written = 0;
        const seen = { closed: false, aborted: false };
        const stream = new WritableStream({
          write: (c) => {
            if (written + c.length > at) throw new Error(`disk full at byte ${at}`);
            written += c.length;
          },
          close: () => void (seen.closed = true),
          abort: () => void (seen.aborted = true),
        });
        const e = await rejection(ql.quantizeModel(input, { ...TYPE, workers, output: stream }));
        expect(e).toBeInstanceOf(QuantlabError);
        expect(e.code).toBe('Io');
        expect(e.message).toContain(`disk full at byte ${at}`);
        expect(e.cause?.message).toContain('disk full');
        expect(seen.closed).toBe(false);
        expect(written).toBeLessThanOrEqual(at);
      }
      await expectStillWorks();
    });

    it(`a read failing at 12 points from the header to the last tensor, to a path, a stream and a Blob (workers ${workers})`, async () => {
      for (const [k, at] of inputPoints().entries()) {
        const { path, stream, seen } = outputs(`r${workers}-${at}`);
        const output = [path, stream, undefined][k % 3];
        const e = await rejection(ql.quantizeModel(failingSource(at), { ...TYPE, workers, output }));
        expect(e).toBeInstanceOf(QuantlabError);
        expect(['Io', 'Format']).toContain(e.code); // Format: a header cut by the failed read is reported as such
        if (e.code === 'Io') expect(e.message).toContain(`read error at byte ${at}`);
        expectNothingLeft(path);
        if (output === stream) {
          expect(seen.closed).toBe(false);
          expect(seen.aborted).toBe(true);
        }
      }
      await expectStillWorks();
    });

    it(`an AbortSignal at 12 progress points, to a path and a stream (workers ${workers})`, async () => {
      const n = plan.tensors.length;
      const points = [0, 1, Math.floor(n / 2), n - 2, n - 1];
      while (points.length < 12) points.push(pick(0, n));
      for (const [k, at] of points.entries()) {
        const { path, stream, seen } = outputs(`a${workers}-${k}`);
        const output = k % 2 ? stream : path;
        const ac = new AbortController();
        const e = await rejection(
          ql.quantizeModel(input, { ...TYPE, workers, output, signal: ac.signal, onProgress: (p) => p.index === at && ac.abort() }),
        );
        expect(e).toBeInstanceOf(QuantlabError);
        expect(e.code).toBe('Cancelled');
        expectNothingLeft(path);
        if (output === stream) {
          expect(seen.closed).toBe(false);
          expect(seen.aborted).toBe(true);
        }
      }
      await expectStillWorks();
    });
  }

  it('a path output that cannot be created is Io and leaves nothing', async () => {
    const e = await rejection(ql.quantizeModel(input, { ...TYPE, output: join(tmp, 'no-such-dir', 'out.gguf') }));
    expect(e.code).toBe('Io');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});
