// Mixed precision end to end on the built-in model with a small budget of
// chunks: ql.planMixedPrecision -> quantizeModel({plan}); the same bytes from
// the native CLI (quantize --target-size) and from the plan's --tensor-type /
// --override-kv arguments; reuse of one scan, cancellation, typed errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab, QuantlabError } from '../../dist/node.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MODEL = join(root, 'models/quantlab-stories-4M.gguf');
const CALIB = 'models/calibration.txt'; // relative: recorded in the file as given
const CLI = join(root, 'build/native-gcc/quantlab');
// Small enough for npm test: 4 formats, one 64-token chunk, imatrix from 2 chunks.
const TYPES = ['q3_K', 'q4_K', 'q6_K', 'q8_0'];
const SCAN = { types: TYPES, nCtx: 64, chunks: 1, imatrixChunks: 2 };
let ql, model, text, tmp, q4kmBytes;

beforeAll(async () => {
  ql = await loadQuantlab();
  model = await ql.loadModel(MODEL);
  text = readFileSync(join(root, CALIB), 'utf8');
  tmp = mkdtempSync(join(tmpdir(), 'quantlab-mixed-'));
  q4kmBytes = (await ql.quantizeModel(MODEL, { type: 'Q4_K_M', dryRun: true })).plan.outputSize;
});
afterAll(() => {
  model?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const bytesOf = async (blob) => new Uint8Array(await blob.arrayBuffer());
const same = (a, b) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

function cli(args) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run scripts/build.sh native first (npm test does)`);
  return execFileSync(CLI, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('planMixedPrecision on the built-in model', () => {
  let plan, file;
  const imatrixPath = () => join(tmp, 'cli.imatrix.gguf');

  it('plans within the budget, verified on the calibration chunks, with progress', async () => {
    const events = [];
    plan = await ql.planMixedPrecision(model, {
      ...SCAN,
      targetBytes: q4kmBytes,
      calibrationText: text,
      calibrationName: CALIB,
      imatrixName: imatrixPath(),
      onProgress: (p) => events.push(p),
    });
    expect(plan.fileBytes).toBeLessThanOrEqual(q4kmBytes);
    expect(plan.fileBytes).toBeGreaterThan(q4kmBytes * 0.97);
    expect(plan.tensors).toHaveLength(30);
    for (const t of plan.tensors) expect(TYPES).toContain(t.type);
    expect(plan.verified).toBe(true);
    expect(plan.calibrationKld).toBeGreaterThan(0);
    expect(plan.refinements).toBe(0);  // measured refinement is off by default (docs/mixed-precision.md)
    expect(plan.predicted).toBeGreaterThan(0);
    expect(plan.imatrix).toBeInstanceOf(Uint8Array);
    // 2 imatrix chunks, 1 base chunk, 30 tensors x 4 formats.
    expect(events.map((e) => e.phase)).toEqual([...Array(2).fill('imatrix'), 'base', ...Array(120).fill('tensors')]);
    expect(events.map((e) => e.step)).toEqual([...Array(123).keys()].map((i) => i + 1));
    expect(events.at(-1).done).toBe(true);
  });

  it('quantizeModel({plan}) writes the planned file, recording the plan', async () => {
    const r = await ql.quantizeModel(MODEL, { plan });
    file = await bytesOf(r.blob);
    expect(file.length).toBe(plan.fileBytes);
    const h = await ql.readGgufHeader(file);
    for (const t of plan.tensors) expect(h.tensors.find((x) => x.name === t.name).type).toBe(t.type);
    expect(h.metadata['quantize.mixed.target']).toBe(`size ${q4kmBytes}`);
    expect(h.metadata['quantize.mixed.calibration']).toBe(CALIB);
    expect(h.metadata['quantize.mixed.measured_kld']).toBeCloseTo(plan.calibrationKld, 9);
    expect(h.metadata['quantize.imatrix.file']).toBe(imatrixPath());
  });

  it('the plan\'s --tensor-type / --override-kv arguments make the same file with the native CLI', () => {
    writeFileSync(imatrixPath(), plan.imatrix);
    const args = ['quantize', '--imatrix', imatrixPath()];
    for (const a of plan.tensorTypes) args.push('--tensor-type', a);
    for (const a of plan.overrideKv) args.push('--override-kv', a);
    cli([...args, MODEL, join(tmp, 'args.gguf'), plan.ftype, '1']);
    expect(same(readFileSync(join(tmp, 'args.gguf')), file)).toBe(true);
  });

  // The native engine and wasm round RoPE's sinf/cosf differently (glibc and
  // musl), so a native scan may measure slightly other KLDs and choose other
  // formats: the CLI's own plan is checked against its own file.
  it('quantize --target-size writes its plan, which --tensor-type and quantizeModel({plan}) reproduce', async () => {
    const out = join(tmp, 'cli.gguf');
    const planPath = join(tmp, 'cli.plan.json');
    const imatrix = join(tmp, 'cli.imatrix.gguf');
    cli([
      'quantize', '--target-size', String(q4kmBytes), '--calibration', CALIB, '--types', TYPES.join(','),
      '--calibration-ctx', '64', '--calibration-chunks', '1', '--imatrix-chunks', '2',
      '--imatrix-out', imatrix, '--plan-out', planPath, MODEL, out, '1',
    ]);
    const native = readFileSync(out);
    const cliPlan = JSON.parse(readFileSync(planPath, 'utf8'));
    expect(native.length).toBe(cliPlan.fileBytes);
    expect(native.length).toBeLessThanOrEqual(q4kmBytes);
    expect(cliPlan.imatrix).toBe(imatrix);
    const args = ['quantize', '--imatrix', imatrix];
    for (const a of cliPlan.tensorTypes) args.push('--tensor-type', a);
    for (const a of cliPlan.overrideKv) args.push('--override-kv', a);
    cli([...args, MODEL, join(tmp, 'cli-args.gguf'), cliPlan.ftype, '1']);
    expect(same(readFileSync(join(tmp, 'cli-args.gguf')), native)).toBe(true);
    const r = await ql.quantizeModel(MODEL, { plan: cliPlan });
    expect(same(await bytesOf(r.blob), native)).toBe(true);
  });
});

describe('threads', () => {
  it("a scan of a loaded model runs on the model's threads, sharing its pool", async () => {
    // A second pool would find the module's Web Workers taken by the model's
    // and run on one thread.
    const scan = await ql.scanSensitivity(model, { types: ['q8_0'], exact: false, nCtx: 32, chunks: 1, imatrixChunks: 0, calibrationText: text });
    try {
      expect(model.info.threads).toBe(ql.threads);
      expect(scan.result.threads).toBe(model.info.threads);
    } finally {
      scan.dispose();
    }
  });
});

describe('one scan, many budgets', () => {
  let scan;
  beforeAll(async () => {
    scan = await ql.scanSensitivity(MODEL, { ...SCAN, calibrationText: text });
  });
  afterAll(() => scan?.dispose());

  it('reports a KLD per tensor and format, the proxy and its rank agreement', () => {
    const r = scan.result;
    expect(r.types).toEqual(TYPES);
    expect(r.exact).toBe(true);
    expect(r.tensors).toHaveLength(30);
    for (const t of r.tensors) {
      // More bits, less damage, for every tensor of this model.
      const k = t.cells.map((c) => c.kld);
      expect(k[0]).toBeGreaterThan(k[3]);
      expect(t.cells[0].proxy).toBeGreaterThan(t.cells[3].proxy);
    }
    expect(r.tensors.find((t) => t.name === 'blk.3.ffn_up.weight')).toMatchObject({ kind: 'ffn_up', layer: 3 });
    expect(r.spearman.all).toBeGreaterThan(0.5);
  });

  it('larger budgets never predict more damage, and every plan fits', () => {
    const c = scan.curve();
    expect(c.points.length).toBeGreaterThan(10);
    let last = Infinity;
    for (let i = 0; i <= 8; i++) {
      const bytes = Math.round(c.minBytes + ((c.maxBytes - c.minBytes) * i) / 8);
      const p = scan.plan({ targetBytes: bytes, verify: false });
      expect(p.fileBytes).toBeLessThanOrEqual(bytes);
      expect(p.predicted).toBeLessThanOrEqual(last);
      last = p.predicted;
    }
    const byBpw = scan.plan({ targetBpw: 5.5, verify: false });
    expect(byBpw.bitsPerWeight).toBeLessThanOrEqual(5.5);
    const q = scan.measureFileType('Q4_K_M');
    // With the scan's imatrix: its quantize.imatrix.* keys make the header a little longer.
    expect(q.fileBytes).toBeGreaterThan(q4kmBytes);
    expect(q.fileBytes).toBeLessThan(q4kmBytes + 512);
    expect(q.kld).toBeGreaterThan(0);
  });

  it('rejects bad targets with typed errors and stays usable', () => {
    expect(() => scan.plan({})).toThrow(QuantlabError);
    expect(() => scan.plan({ targetBytes: 1000, targetBpw: 4 })).toThrow(/exactly one/);
    expect(() => scan.plan({ targetBytes: 'two megabytes' })).toThrow(/target size/);
    try {
      scan.plan({ targetBytes: 1000 });
      throw new Error('expected an error');
    } catch (e) {
      expect(e.code).toBe('InvalidArgument');
    }
    expect(() => scan.measureFileType('Q9_Z')).toThrow(QuantlabError);
    expect(scan.plan({ targetBytes: '2.1M', verify: false }).fileBytes).toBeLessThanOrEqual(Math.floor(2.1 * 1048576));
  });
});

describe('cancellation and bad input', () => {
  it('is cancelled by an AbortSignal, leaving the model usable and unchanged', async () => {
    const ac = new AbortController();
    const before = model.nll(model.tokenize(text.slice(0, 400)));
    let err = null;
    try {
      await ql.scanSensitivity(model, { ...SCAN, calibrationText: text, signal: ac.signal, onProgress: (p) => p.step === 10 && ac.abort() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantlabError);
    expect(err.code).toBe('Cancelled');
    expect(model.nll(model.tokenize(text.slice(0, 400)))).toEqual(before);
  });

  it('rejects bad options with typed errors', async () => {
    await expect(ql.planMixedPrecision(model, { targetBytes: q4kmBytes })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(ql.planMixedPrecision(model, { calibrationText: text })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(ql.planMixedPrecision(model, { ...SCAN, calibrationText: 'too short', targetBpw: 4 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(ql.planMixedPrecision(model, { ...SCAN, types: ['q9_Z'], calibrationText: text, targetBpw: 4 })).rejects.toMatchObject({ code: 'UnknownType' });
    await expect(ql.quantizeModel(MODEL, { plan: { ftype: 'Q4_K_M' } })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(ql.quantizeModel(MODEL, { plan: { ftype: 'Q4_K_M', tensorTypes: [] }, type: 'Q8_0' })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
