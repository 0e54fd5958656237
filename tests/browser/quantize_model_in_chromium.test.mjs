// ql.quantizeModel inside Chromium (the built web app's window.loadQuantlab(): the npm API on the page's thread):
// stories260K-f32 to Q4_K_M on the page's thread and on two Web Workers,
// byte-identical to llama-quantize's file, with progress and cancellation.
// The page is served without COOP/COEP: workers must not need them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../js/golden.mjs';
import { openWebApp } from './chromium.mjs';

let app, page, errors;

beforeAll(async () => {
  app = await openWebApp({ serveReference: true });
  ({ page, errors } = app);
});

afterAll(async () => {
  await app?.close();
});

describe('quantizeModel in Chromium', () => {
  it('Q4_K_M with 1 and 2 workers equals the reference file, with progress', async () => {
    const want = createHash('sha256').update(readFileSync(`${sharedDir}/reference/stories260K-q4_k_m.gguf`)).digest('hex');
    const runs = await page.evaluate(async () => {
      const ql = await window.loadQuantlab();
      const input = await (await fetch('__ref/stories260K-f32.gguf')).blob();
      const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
      const out = [];
      for (const workers of [1, 2]) {
        const events = [];
        const r = await ql.quantizeModel(input, { type: 'Q4_K_M', workers, onProgress: (p) => events.push(p) });
        out.push({
          workers,
          isBlob: r.blob instanceof Blob,
          size: r.blob.size,
          bytesWritten: r.bytesWritten,
          sha: hex(await crypto.subtle.digest('SHA-256', await r.blob.arrayBuffer())),
          indices: events.map((e) => e.index),
          last: events.at(-1),
          crossOriginIsolated: self.crossOriginIsolated,
        });
      }
      return out;
    });
    for (const r of runs) {
      expect(r.isBlob).toBe(true);
      expect(r.size).toBe(304096);
      expect(r.bytesWritten).toBe(304096);
      expect(r.sha).toBe(want);
      expect(r.indices).toEqual([...Array(48).keys()]);
      expect(r.last).toMatchObject({ nTensors: 48, bytesWritten: 304096, outputSize: 304096, tensor: 'blk.4.ffn_up.weight' });
      expect(r.last.bytesRead).toBe(r.last.bytesTotal);
      expect(r.crossOriginIsolated).toBe(false);
    }
    expect(errors).toEqual([]);
  });

  it('an AbortSignal cancels with QuantlabError Cancelled, and the page keeps working', async () => {
    const r = await page.evaluate(async () => {
      const ql = await window.loadQuantlab();
      const input = await (await fetch('__ref/stories260K-f32.gguf')).blob();
      const codes = [];
      for (const workers of [1, 2]) {
        const ac = new AbortController();
        try {
          await ql.quantizeModel(input, {
            type: 'Q4_K_M', workers, signal: ac.signal, onProgress: (p) => p.index === 3 && ac.abort(),
          });
          codes.push('resolved');
        } catch (e) {
          codes.push(`${e.name}:${e.code}`);
        }
      }
      let bad;
      try {
        await ql.quantizeModel(new Blob([new Uint8Array(64)]), { type: 'Q4_K_M' });
      } catch (e) {
        bad = e.code;
      }
      const dry = await ql.quantizeModel(input, { type: 'Q4_K_M', dryRun: true });
      return { codes, bad, planSize: dry.plan.outputSize, blob: dry.blob === undefined };
    });
    expect(r.codes).toEqual(['QuantlabError:Cancelled', 'QuantlabError:Cancelled']);
    expect(r.bad).toBe('Format');
    expect(r.planSize).toBe(304096);
    expect(r.blob).toBe(true);
    expect(errors).toEqual([]);
  });
});
