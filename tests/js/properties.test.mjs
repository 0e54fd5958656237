// Property-based tests (fast-check) of every exported function: random and
// adversarial arguments give either a valid result or a QuantlabError whose
// code is one quantlab.d.ts documents, and the module keeps working after:
// a canary quantization gives the same bytes, and the wasm heap holds no
// more than before. More than 10,000 cases in all (counted at the end).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, Quantlab, QuantlabError } from '../../dist/node.mjs';
import { tinyModel } from './gguf_builder.mjs';
import { ref } from './helpers.mjs';

const SEED = 20261204; // fixed: a failure reproduces; change it to explore
let ql, canaryInput, canaryBytes, formats, ftypes, evalText, modelBytes;
let cases = 0;

// The codes quantlab.d.ts documents: the union type QuantlabErrorCode.
const dts = readFileSync(new URL('../../dist/quantlab.d.ts', import.meta.url), 'utf8');
const union = dts.slice(dts.indexOf('export type QuantlabErrorCode'), dts.indexOf(';', dts.indexOf('export type QuantlabErrorCode')));
const documentedCodes = [...union.matchAll(/\|\s*'(\w+)'/g)].map((m) => m[1]);

function expectQuantlabError(e) {
  if (!(e instanceof QuantlabError)) throw new Error(`not a QuantlabError: ${e?.name}: ${e?.message}`, { cause: e });
  expect(documentedCodes).toContain(e.code);
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
}

/** Runs fn; a throw must be a documented QuantlabError, a result must pass check. */
function outcome(fn, check) {
  cases++;
  let value;
  try {
    value = fn();
  } catch (e) {
    expectQuantlabError(e);
    return e;
  }
  check?.(value);
  return null;
}

async function outcomeAsync(fn, check) {
  cases++;
  let value;
  try {
    value = await fn();
  } catch (e) {
    expectQuantlabError(e);
    return e;
  }
  await check?.(value);
  return null;
}

// The module still works and nothing stayed allocated (models retain
// buffers between calls, so model tests dispose theirs before this check).
function expectHealthy(baseline) {
  expect(ql.quantize(canaryInput, 'q4_K')).toEqual(canaryBytes);
  const now = ql.memoryUsage();
  expect(now.heapInUse).toBe(baseline.heapInUse);
  expect(now.liveEngines).toBe(baseline.liveEngines);
  expect(now.liveQuantizeSessions).toBe(0);
}

// ---- arbitraries
const weird = fc.oneof(
  fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 32, 2 ** 31, -1, 1e300, 5e-324, '', 'q4_K', [], {}, null, undefined, () => 1, Symbol('x'),
    new Float64Array(4), new Int32Array(4), new Uint8Array(4), new ArrayBuffer(8)),
);
const float = fc.oneof(
  { weight: 6, arbitrary: fc.float({ noNaN: true, min: -4, max: 4 }) },
  { weight: 1, arbitrary: fc.float() }, // NaN, ±Inf, subnormals, extremes
);
const floats = (maxLength) => fc.array(float, { maxLength }).map((a) => Float32Array.from(a));
// Lengths that are whole blocks of every format (and some that are not).
const blockFloats = fc.oneof(
  fc.integer({ min: 1, max: 4 }).chain((k) => fc.array(float, { minLength: 256 * k, maxLength: 256 * k })).map((a) => Float32Array.from(a)),
  fc.integer({ min: 1, max: 8 }).chain((k) => fc.array(float, { minLength: 32 * k, maxLength: 32 * k })).map((a) => Float32Array.from(a)),
  floats(300),
);
const typeName = () => fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...formats.map((f) => f.name)) },
  { weight: 1, arbitrary: fc.constantFrom(...formats.map((f) => f.name.toUpperCase())) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: weird },
);
const kernel = fc.oneof(fc.constantFrom('auto', 'ref', 'scalar', 'simd128'), weird);
const maybe = (arb) => fc.option(arb, { nil: undefined });
const count = fc.oneof(fc.integer({ min: -3, max: 5000 }), fc.constantFrom(2 ** 30, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 2 ** 53 + 2), fc.double(), weird);

beforeAll(async () => {
  ql = await loadQuantlab();
  formats = ql.formats();
  ftypes = ql.quantizeTypes().map((t) => t.name);
  canaryInput = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.37));
  canaryBytes = ql.quantize(canaryInput, 'q4_K');
  // The i-quants build their lattice search tables on first use and keep
  // them (as ggml's iq2xs_init_impl/iq3xs_init_impl do): a cache, not a leak,
  // built here before any property takes its heap baseline.
  for (const f of formats) {
    const x = Float32Array.from({ length: f.blockSize }, (_, i) => Math.cos(i));
    for (const kernel of ['ref', 'simd128']) {
      try {
        ql.quantize(x, f.name, { kernel, imatrix: new Float32Array(f.blockSize).fill(1) });
      } catch (e) {
        if (!(e instanceof QuantlabError)) throw e;
      }
    }
  }
  evalText = readFileSync(ref('eval.txt'), 'utf8');
  modelBytes = new Uint8Array(readFileSync(ref('stories260K-q8_0.gguf')));
});

// Runs a model test on freshly loaded stories260K models (F32 and Q8_0),
// disposes them, and checks the heap is back where it was. The batched
// matmul kernels keep per-thread scratch sized by the largest batch they
// have seen (a cache, not a leak): a 64-token pass through both models
// first brings it to the most any test here can ask for.
async function withModels(fn) {
  for (const file of [ref('stories260K-f32.gguf'), modelBytes]) {
    const m = await ql.loadModel(file, { nCtx: 64 });
    m.nll(Array.from({ length: 64 }, (_, i) => 1 + i));
    m.dispose();
  }
  const baseline = ql.memoryUsage();
  const model = await ql.loadModel(ref('stories260K-f32.gguf'), { nCtx: 64 });
  const other = await ql.loadModel(modelBytes, { nCtx: 64 });
  try {
    await fn(model, other);
  } finally {
    model.dispose();
    other.dispose();
  }
  expectHealthy(baseline);
}

describe('tensor functions', () => {
  it('quantize: bytes of the right size, or a documented error', () => {
    const baseline = ql.memoryUsage();
    fc.assert(
      fc.property(
        fc.oneof({ weight: 6, arbitrary: blockFloats }, { weight: 1, arbitrary: weird }),
        typeName(),
        fc.oneof(
          { weight: 4, arbitrary: fc.record({ rows: maybe(fc.oneof(fc.integer({ min: -2, max: 9 }), weird)), imatrix: maybe(fc.oneof(floats(300), weird)), kernel: maybe(kernel) }, { requiredKeys: [] }) },
          { weight: 1, arbitrary: weird },
        ),
        (input, type, options) => {
          outcome(() => ql.quantize(input, type, options), (q) => {
            expect(q).toBeInstanceOf(Uint8Array);
            expect(q.length).toBe(ql.quantizedSize(type, input.length));
            // What quantize accepts decodes to finite values (ggml's row validation).
            const y = ql.dequantize(q, type, input.length);
            expect(y.every(Number.isFinite)).toBe(true);
          });
        },
      ),
      { numRuns: 2500, seed: SEED },
    );
    expectHealthy(baseline);
  });

  it('dequantize: n floats, or a documented error (any bytes decode without a crash)', () => {
    const baseline = ql.memoryUsage();
    fc.assert(
      fc.property(typeName(), fc.integer({ min: 1, max: 4 }), fc.boolean(), count, fc.oneof(maybe(fc.record({ kernel }, { requiredKeys: [] })), weird), fc.integer(),
        (type, blocks, exact, n, options, seed) => {
          const f = formats.find((x) => x.name === type);
          const len = exact && f ? f.typeSize * blocks : Math.abs(seed % 700);
          const data = Uint8Array.from({ length: len }, (_, i) => (seed * 31 + i * 17) & 255);
          const want = exact && f ? f.blockSize * blocks : n;
          outcome(() => ql.dequantize(data, type, want, options), (y) => {
            expect(y).toBeInstanceOf(Float32Array);
            expect(y.length).toBe(want);
          });
        }),
      { numRuns: 2000, seed: SEED },
    );
    expectHealthy(baseline);
  });

  it('errorStats: finite statistics with a histogram that counts every value, or a documented error', () => {
    const baseline = ql.memoryUsage();
    fc.assert(
      fc.property(floats(64), fc.boolean(), floats(64),
        fc.oneof(fc.record({ bins: maybe(fc.oneof(fc.integer({ min: -2, max: 200 }), fc.constantFrom(100000, 100001, 2 ** 32 + 3), weird)), range: maybe(fc.oneof(fc.double(), weird)) }, { requiredKeys: [] }), weird),
        (a, same, b, options) => {
          const c = same ? a.map((v, i) => v + (b[i % Math.max(1, b.length)] ?? 0) * 0.01) : b;
          outcome(() => ql.errorStats(a, c, options), (s) => {
            expect(s.n).toBe(a.length);
            for (const k of ['mae', 'maxAbs', 'rmse']) expect(s[k]).toBeGreaterThanOrEqual(0);
            if (s.histogram.counts.length > 0) expect(s.histogram.counts.reduce((x, y) => x + y, 0)).toBe(a.length);
          });
        }),
      { numRuns: 1500, seed: SEED },
    );
    expectHealthy(baseline);
  });

  it('quantizedSize: exact for every count up to 2^53, or a documented error', () => {
    fc.assert(
      fc.property(typeName(), count, (type, n) => {
        outcome(() => ql.quantizedSize(type, n), (bytes) => {
          const f = ql.format(type);
          expect(bytes).toBe(Number((BigInt(n) / BigInt(f.blockSize)) * BigInt(f.typeSize)));
        });
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it('loadQuantlab and new Quantlab: an instance, or LoadFailed / InvalidArgument', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({ wasmBinary: maybe(fc.oneof(fc.uint8Array({ maxLength: 16 }), weird)), locateFile: maybe(weird), printErr: fc.constant(() => {}) }, { requiredKeys: ['printErr'] }), weird),
        async (options) => {
          await outcomeAsync(() => loadQuantlab(options), (q) => expect(q.formats()).toEqual(formats));
          outcome(() => new Quantlab(options));
        },
      ),
      { numRuns: 30, seed: SEED },
    );
  });

  it('benchMatmul: timings of the product asked for, or a documented error (sizes that wrap are OutOfMemory)', () => {
    // Sizes either small enough to run in a moment or far too large: the
    // benchmark's own time budget (minMs, maxReps) is kept small.
    const size = fc.oneof(fc.constantFrom(1, 7, 32, 64, 256, 512), fc.constantFrom(2 ** 31 - 1, 2 ** 32 + 256, 65537 * 256, 2 ** 53), fc.constantFrom(0, -1, NaN, 1.5, 1e300), weird);
    const run = () => fc.assert(
      fc.property(typeName(), fc.oneof(fc.record({
        rows: maybe(size), cols: maybe(size), nTokens: maybe(fc.oneof(fc.constantFrom(1, 2, 5), size)),
        minMs: maybe(fc.oneof(fc.constantFrom(0, 1), weird)), maxReps: fc.oneof(fc.constantFrom(1, 2), fc.constantFrom(0, -3, NaN)), seed: maybe(fc.oneof(fc.nat(), weird)),
      }, { requiredKeys: ['maxReps', 'rows', 'cols'] }), weird),
      (type, options) => {
        // Defaults (no options, or no rows, cols or maxReps) time a 4096 x 4096 product for 0.25 s: not here.
        if (options == null || (typeof options === 'object' && ['rows', 'cols', 'maxReps'].some((k) => options[k] === undefined))) return;
        outcome(() => ql.benchMatmul(type, options), (r) => {
          expect(r.reps).toBeGreaterThanOrEqual(1);
          expect(Number.isFinite(r.seconds) && Number.isFinite(r.checksum)).toBe(true);
        });
      }),
      { numRuns: 300, seed: SEED },
    );
    // The matmul kernels keep per-thread scratch for each shape they have
    // seen (a cache bounded by type and size, see withModels): the first
    // pass fills it, the same 300 calls again must not allocate.
    run();
    const baseline = ql.memoryUsage();
    run();
    expectHealthy(baseline);
  });

  it('syntheticLlama: a header-only source readGgufHeader accepts, or a documented error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({
          nVocab: maybe(fc.oneof(fc.integer({ min: -1, max: 300 }), weird)), nEmbd: maybe(fc.oneof(fc.constantFrom(32, 64, 96, 2 ** 17, 2 ** 40), weird)),
          nLayer: maybe(fc.oneof(fc.integer({ min: 0, max: 3 }), weird)), nHead: maybe(fc.oneof(fc.constantFrom(1, 2, 4, 3), weird)),
          nHeadKv: maybe(fc.oneof(fc.constantFrom(1, 2, 4), weird)), nFf: maybe(fc.oneof(fc.constantFrom(32, 64, 100), weird)),
          tiedEmbeddings: maybe(weird),
        }, { requiredKeys: [] }), weird),
        fc.oneof(maybe(fc.record({ type: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'q4_0'), weird) }, { requiredKeys: [] })), weird),
        async (shape, options) => {
          let src = null;
          outcome(() => ql.syntheticLlama(shape, options), (s) => {
            expect(Number.isSafeInteger(s.size) && s.size > 0).toBe(true);
            src = s;
          });
          if (src) await outcomeAsync(() => ql.readGgufHeader(src), (h) => expect(h.tensors.length).toBeGreaterThan(2));
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });

  it('format, formats, quantizeTypes and memoryUsage', () => {
    fc.assert(
      fc.property(typeName(), (type) => {
        outcome(() => ql.format(type), (f) => expect(formats.map((x) => x.name)).toContain(f.name));
        outcome(() => ql.formats(), (list) => expect(list).toEqual(formats));
        outcome(() => ql.quantizeTypes(), (list) => expect(list.length).toBeGreaterThan(10));
        outcome(() => ql.memoryUsage(), (m) => expect(m.heapInUse).toBeGreaterThan(0));
      }),
      { numRuns: 100, seed: SEED },
    );
  });
});

// ---- sources: real files mutated, random bytes, and sources that misbehave
const tiny = tinyModel('llama');
function mutate(bytes, edits, cut) {
  const out = bytes.slice(0, cut === null ? bytes.length : cut % (bytes.length + 1));
  for (const [pos, val] of edits) if (out.length) out[pos % out.length] = val;
  return out;
}
const mutatedBytes = fc.record({
  which: fc.constantFrom('tiny', 'stories'),
  edits: fc.array(fc.tuple(fc.nat(600), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  cut: fc.option(fc.nat(), { nil: null }),
}).map(({ which, edits, cut }) => mutate(which === 'tiny' ? tiny : modelBytes, edits, cut));
const source = fc.oneof(
  { weight: 4, arbitrary: mutatedBytes },
  { weight: 1, arbitrary: mutatedBytes.map((b) => b.buffer) },
  { weight: 1, arbitrary: mutatedBytes.map((b) => new Blob([b])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  { weight: 2, arbitrary: fc.record({
    size: fc.oneof(fc.constant(tiny.length), fc.integer({ min: -5, max: 10 ** 6 }), weird),
    mode: fc.constantFrom('ok', 'throws', 'string', 'short', 'long', 'null', 'rejects-with-number'),
  }).map(({ size, mode }) => ({
    size,
    read: async (o, n) => {
      if (mode === 'throws') throw new Error('disk on fire');
      if (mode === 'rejects-with-number') throw 42; // eslint-disable-line no-throw-literal
      if (mode === 'string') return 'not bytes';
      if (mode === 'null') return null;
      if (mode === 'short') return tiny.subarray(o, o + Math.floor(n / 2));
      if (mode === 'long') return new Uint8Array(n + 10);
      return tiny.subarray(o, o + n);
    },
  })) },
  { weight: 1, arbitrary: fc.constantFrom('/nonexistent/model.gguf', '/', ref('eval.txt')) },
  { weight: 1, arbitrary: weird },
);
const signalArb = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean().map((aborted) => {
    const ac = new AbortController();
    if (aborted) ac.abort();
    return ac.signal;
  }),
  weird,
);

describe('model files', () => {
  it('readGgufHeader: a header, or a documented error', async () => {
    const baseline = ql.memoryUsage();
    await fc.assert(
      fc.asyncProperty(source, async (src) => {
        await outcomeAsync(() => ql.readGgufHeader(src), (h) => expect(Array.isArray(h.tensors)).toBe(true));
      }),
      { numRuns: 600, seed: SEED },
    );
    expectHealthy(baseline);
  });

  it('loadModel: a working model, or a documented error', async () => {
    const baseline = ql.memoryUsage();
    await fc.assert(
      fc.asyncProperty(source,
        fc.oneof(fc.record({ nCtx: maybe(fc.oneof(fc.integer({ min: -1, max: 80 }), weird)), kernel: maybe(fc.oneof(fc.constantFrom('auto', 'ref'), weird)), onProgress: maybe(fc.oneof(fc.constant(() => {}), weird)), signal: signalArb }, { requiredKeys: [] }), weird),
        async (src, options) => {
          await outcomeAsync(() => ql.loadModel(src, options), (m) => {
            try {
              expect(m.info.nVocab).toBeGreaterThan(0);
              outcome(() => m.tokenize('Once upon a time'), (ids) => expect(ids).toBeInstanceOf(Int32Array));
            } finally {
              m.dispose();
            }
          });
        }),
      { numRuns: 500, seed: SEED },
    );
    expectHealthy(baseline);
  });

  it('quantizeModel: a plan and the bytes it promised, or a documented error', async () => {
    // The first conversion to each file type builds one-time state (static
    // tables of the formats it plans): a cache, not a leak, made before the baseline.
    for (const type of ftypes) {
      try {
        await ql.quantizeModel(tiny, { type, output: { write() {} } });
      } catch (e) {
        if (!(e instanceof QuantlabError)) throw e;
      }
    }
    const baseline = ql.memoryUsage();
    const sinkArb = fc.oneof(
      fc.constant(undefined),
      fc.constant('sink'),
      fc.constant('stream'),
      fc.constant('throwing-sink'),
      weird,
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: fc.constant(tiny) }, { weight: 3, arbitrary: source }),
        fc.record({
          type: fc.oneof(fc.constantFrom(...ftypes), fc.constantFrom(7, 'q4_k_m', 'F16'), weird),
          pure: maybe(fc.oneof(fc.boolean(), weird)),
          dryRun: maybe(fc.boolean()),
          tensorTypes: maybe(fc.oneof(fc.array(fc.constantFrom('ffn=f16', 'attn_q=q8_0', '(=q4_0', 'x=q9_9', '=f16', 'nope'), { maxLength: 3 }), weird)),
          allowRequantize: maybe(fc.boolean()),
          outputTensorType: maybe(fc.oneof(fc.constantFrom('q8_0', 'f32', 'q9'), weird)),
          workers: maybe(fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: weird })),
          imatrix: maybe(fc.oneof(fc.uint8Array({ maxLength: 64 }), weird)),
          onProgress: maybe(fc.oneof(fc.constant(() => {}), weird)),
          signal: signalArb,
        }, { requiredKeys: ['type'] }),
        sinkArb,
        async (input, options, sinkKind) => {
          let written = 0;
          const sinks = {
            sink: { write: (c) => void (written += c.length) },
            stream: new WritableStream({ write: (c) => void (written += c.length) }),
            'throwing-sink': { write: () => { throw new Error('disk full'); } },
          };
          const output = typeof sinkKind === 'string' && sinkKind in sinks ? sinks[sinkKind] : sinkKind;
          await outcomeAsync(() => ql.quantizeModel(input, { ...options, output }), async (r) => {
            expect(r.bytesWritten).toBe(r.plan.dryRun ? 0 : r.plan.outputSize);
            if (r.blob) expect(r.blob.size).toBe(r.plan.outputSize);
            if (output === sinks.sink || output === sinks.stream) expect(written).toBe(r.bytesWritten);
          });
        }),
      { numRuns: 250, seed: SEED },
    );
    expectHealthy(baseline);
  });
});

describe('a loaded model', () => {
  const text = () => fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.integer({ min: 0, max: 3000 }).map((n) => evalText.slice(n, n + 900)),
    weird,
  );

  it('tokenize and detokenize: ids inside the vocabulary and text, or a documented error', () => withModels(async (model) => {
    fc.assert(
      fc.property(text(), fc.oneof(maybe(fc.record({ addBos: maybe(fc.oneof(fc.boolean(), weird)) }, { requiredKeys: [] })), weird), (t, options) => {
        outcome(() => model.tokenize(t, options), (ids) => {
          expect(ids).toBeInstanceOf(Int32Array);
          for (const id of ids) expect(id >= 0 && id < model.info.nVocab).toBe(true);
          outcome(() => model.detokenize(ids), (s) => expect(typeof s).toBe('string'));
        });
      }),
      { numRuns: 600, seed: SEED },
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.oneof(fc.integer({ min: -5, max: 600 }), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1.5, NaN, '7')), { maxLength: 20 }).map((a) => a), fc.array(fc.integer({ min: 0, max: 511 })).map((a) => Int32Array.from(a)), weird),
        (ids) => {
          outcome(() => model.detokenize(ids), (s) => expect(typeof s).toBe('string'));
        }),
      { numRuns: 600, seed: SEED },
    );
  }));

  it('generateText: at most nPredict tokens, or a documented error', () => withModels(async (model) => {
    await fc.assert(
      fc.asyncProperty(text(),
        fc.oneof(fc.record({
          nPredict: maybe(fc.oneof(fc.integer({ min: -2, max: 30 }), weird)),
          temperature: maybe(fc.oneof(fc.double({ min: -1, max: 3 }), weird)),
          topK: maybe(fc.oneof(fc.integer({ min: -5, max: 600 }), weird)),
          topP: maybe(fc.oneof(fc.double({ min: -0.5, max: 1.5 }), weird)),
          seed: maybe(fc.oneof(fc.nat(), weird)),
          signal: signalArb,
          onToken: maybe(fc.oneof(fc.constant(() => {}), weird)),
        }, { requiredKeys: [] }), weird),
        async (prompt, options) => {
          await outcomeAsync(() => model.generateText(prompt, options), (r) => {
            expect(r.tokens.length).toBeLessThanOrEqual(options?.nPredict ?? 64);
            expect(typeof r.text).toBe('string');
          });
        }),
      { numRuns: 300, seed: SEED },
    );
  }));

  it('perplexity and computeImatrix: finite results, or a documented error', () => withModels(async (model, otherModel) => {
    const disposed = await ql.loadModel(modelBytes, { nCtx: 64 });
    disposed.dispose();
    const optionsArb = fc.oneof(fc.record({
      ctx: maybe(fc.oneof(fc.integer({ min: -1, max: 70 }), weird)),
      chunks: maybe(fc.oneof(fc.integer({ min: -1, max: 3 }), weird)),
      keepLogprobs: maybe(fc.boolean()),
      base: maybe(fc.oneof(fc.constantFrom(null, 'model', 'other', 'disposed'), weird)),
      dataset: maybe(fc.oneof(fc.string(), weird)),
      onProgress: maybe(fc.oneof(fc.constant(() => {}), weird)),
      signal: signalArb,
    }, { requiredKeys: [] }), weird);
    const bases = { model: () => model, other: () => otherModel, disposed: () => disposed };
    await fc.assert(
      fc.asyncProperty(text(), optionsArb, fc.boolean(), async (t, options, imatrix) => {
        const o = options && typeof options === 'object' && typeof options.base === 'string' && options.base in bases
          ? { ...options, base: bases[options.base]() }
          : options;
        if (imatrix) {
          await outcomeAsync(() => model.computeImatrix(t, o), (bytes) => expect(bytes).toBeInstanceOf(Uint8Array));
        } else {
          await outcomeAsync(() => model.perplexity(t, o), (r) => {
            expect(Number.isFinite(r.ppl) && r.ppl > 0).toBe(true);
            if (r.kld) expect(Number.isFinite(r.kld.kldMean)).toBe(true);
          });
        }
      }),
      { numRuns: 400, seed: SEED },
    );
  }));

  it('evaluate and nll: finite numbers, or a documented error', () => withModels(async (model) => {
    const ids = fc.oneof(
      fc.array(fc.oneof(fc.integer({ min: -3, max: 515 }), fc.constantFrom(2 ** 31, 0.5, NaN, 'x', null)), { maxLength: 70 }),
      fc.array(fc.integer({ min: 0, max: 511 }), { maxLength: 70 }).map((a) => Int32Array.from(a)),
      weird,
    );
    fc.assert(
      fc.property(ids, fc.oneof(maybe(fc.record({ reset: maybe(fc.oneof(fc.boolean(), weird)) }, { requiredKeys: [] })), weird), (tokens, options) => {
        outcome(() => model.evaluate(tokens, options), (ms) => expect(Number.isFinite(ms)).toBe(true));
        outcome(() => model.nll(tokens), (r) => expect(Number.isFinite(r.nll)).toBe(true));
      }),
      { numRuns: 300, seed: SEED },
    );
  }));

  it('a disposed model refuses every call with InvalidArgument, and dispose is idempotent', async () => {
    const m = await ql.loadModel(modelBytes, { nCtx: 32 });
    m.dispose();
    m.dispose();
    for (const call of [() => m.tokenize('x'), () => m.detokenize([1]), () => m.nll([1, 2]), () => m.evaluate([1])]) {
      const e = outcome(call);
      expect(e?.code).toBe('InvalidArgument');
    }
    for (const call of [() => m.perplexity(evalText), () => m.computeImatrix(evalText), () => m.generateText('x')]) {
      const e = await outcomeAsync(call);
      expect(e?.code).toBe('InvalidArgument');
    }
    expect(ql.memoryUsage().liveEngines).toBe(0);
  });
});

// What the properties found in the API before this suite existed (one input
// per kind of failure; docs/reliability.md lists them), replayed as is.
describe('regression inputs', () => {
  it('values that used to escape as TypeErrors are InvalidArgument (null options mean none)', async () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => i / 64);
    expect(outcome(() => ql.quantize(x, 'q8_0', null))).toBe(null);
    expect(outcome(() => ql.errorStats(x, x, null))).toBe(null);
    const cases = [
      () => ql.quantize(x, 'q8_0', { kernel: Symbol('x') }),
      () => ql.dequantize(new Uint8Array(34), 'q8_0', 32, { kernel: Symbol('x') }),
      () => ql.errorStats(x, x, { range: Object.create(null) }),
      () => ql.errorStats(x, x, { bins: 3n }),
    ];
    for (const c of cases) expect(outcome(c)?.code).toBe('InvalidArgument');
    await withModels(async (model) => {
      expect(outcome(() => model.tokenize('x', null))).toBe(null);
      for (const c of [
        () => model.detokenize([[1]]),
        () => model.evaluate(null),
        () => model.nll([1, 2n]),
      ]) expect(outcome(c)?.code).toBe('InvalidArgument');
      for (const c of [
        () => model.generateText('x', { onToken: NaN }),
        () => model.generateText('x', { nPredict: Symbol('x') }),
        () => model.perplexity(evalText, { onProgress: 5 }),
        () => model.perplexity(evalText, { ctx: 1n }),
        () => model.computeImatrix(evalText, null),
      ]) expect((await outcomeAsync(c))?.code).toBe('InvalidArgument');
    });
  });

  it('failures of the caller\'s files and sources are Io, keeping the cause', async () => {
    for (const src of ['/nonexistent/model.gguf', '/', { size: 100, read: async () => { throw new Error('disk'); } }, { size: 100, read: async () => null }]) {
      for (const call of [() => ql.readGgufHeader(src), () => ql.loadModel(src), () => ql.quantizeModel(src, { type: 'Q8_0' })]) {
        const e = await outcomeAsync(call);
        expect(e?.code).toBe('Io');
      }
    }
  });

  it('numbers that used to wrap silently give exact results or InvalidArgument', async () => {
    expect(ql.quantizedSize('f32', 2 ** 30)).toBe(2 ** 32); // was 0: size_t overflow in wasm32
    expect(ql.quantizedSize('q8_0', 2 ** 53 - 32)).toBe(((2 ** 53 - 32) / 32) * 34);
    const x = Float32Array.from([0, 1, -2, 3]);
    expect(outcome(() => ql.errorStats(x, x, { bins: 2 ** 32 + 3 }))?.code).toBe('InvalidArgument'); // was 3 bins
    await withModels(async (model) => {
      expect(outcome(() => model.nll([1, 1.5, 'x']))?.code).toBe('InvalidArgument'); // were read as [1, 1, 0]
      expect(outcome(() => model.detokenize([2 ** 32 + 5]))?.code).toBe('InvalidArgument'); // was token 5
    });
  });
});

describe('in all', () => {
  it('ran at least 10,000 cases', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
