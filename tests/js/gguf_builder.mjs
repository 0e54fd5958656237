// Small GGUF files written in JS for the reliability suites: a tiny model of
// any architecture (its tensor data synthesized), or one whose declared
// tensor data is far larger than wasm32 can hold, served lazily through a
// {size, read} source so no test ever holds it in memory.
const enc = new TextEncoder();

// Metadata values: [key, type, value] with the GGUF value types used here.
export const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10 };

class Bytes {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  push(b) {
    this.parts.push(b);
    this.length += b.length;
  }
  num(setter, size, v) {
    const b = new Uint8Array(size);
    new DataView(b.buffer)[setter](0, v, true);
    this.push(b);
  }
  u32(v) { this.num('setUint32', 4, v); }
  i32(v) { this.num('setInt32', 4, v); }
  f32(v) { this.num('setFloat32', 4, v); }
  u64(v) { this.num('setBigUint64', 8, BigInt(v)); }
  str(s) {
    const b = enc.encode(s);
    this.u64(b.length);
    this.push(b);
  }
  value(type, v) {
    if (type === T.STRING) this.str(v);
    else if (type === T.U32) this.u32(v);
    else if (type === T.I32) this.i32(v);
    else if (type === T.F32) this.f32(v);
    else if (type === T.BOOL) this.push(new Uint8Array([v ? 1 : 0]));
    else if (type === T.U64) this.u64(v);
    else if (type === T.ARRAY) {
      const [elemType, items] = v;
      this.u32(elemType);
      this.u64(items.length);
      for (const x of items) this.value(elemType, x);
    } else throw new Error(`unsupported GGUF value type ${type}`);
  }
  bytes(size = this.length) {
    const out = new Uint8Array(size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const TYPE_SIZE = { 0: [1, 4] }; // ggml type id -> [block size, bytes per block]; F32 only here

/**
 * A GGUF header for kv ([key, type, value]) and tensors ({name, ne, type = 0 (F32)}).
 * Returns {header (padded to the alignment), dataOffset, dataSize, tensors (with offset, size)}.
 */
export function ggufHeader(kv, tensors, alignment = 32) {
  const w = new Bytes();
  w.u32(0x46554747); // "GGUF"
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const [key, type, value] of kv) {
    w.str(key);
    w.u32(type);
    w.value(type, value);
  }
  let offset = 0;
  const placed = [];
  for (const t of tensors) {
    const type = t.type ?? 0;
    const [bs, ts] = TYPE_SIZE[type];
    w.str(t.name);
    w.u32(t.ne.length);
    for (const d of t.ne) w.u64(d);
    w.u32(type);
    w.u64(offset);
    const size = (t.ne.reduce((a, b) => a * b, 1) / bs) * ts;
    placed.push({ ...t, offset, size });
    offset += Math.ceil(size / alignment) * alignment;
  }
  const dataOffset = Math.ceil(w.length / alignment) * alignment;
  return { header: w.bytes(dataOffset), dataOffset, dataSize: offset, tensors: placed };
}

/** llama.cpp's tensors of a llama-shaped model. */
export function llamaTensors({ nEmbd, nFf, nLayer, nVocab, nHead, nHeadKv }) {
  const kvDim = (nEmbd / nHead) * nHeadKv;
  const t = [{ name: 'token_embd.weight', ne: [nEmbd, nVocab] }];
  for (let l = 0; l < nLayer; ++l) {
    const b = `blk.${l}.`;
    t.push(
      { name: `${b}attn_norm.weight`, ne: [nEmbd] },
      { name: `${b}attn_q.weight`, ne: [nEmbd, nEmbd] },
      { name: `${b}attn_k.weight`, ne: [nEmbd, kvDim] },
      { name: `${b}attn_v.weight`, ne: [nEmbd, kvDim] },
      { name: `${b}attn_output.weight`, ne: [nEmbd, nEmbd] },
      { name: `${b}ffn_norm.weight`, ne: [nEmbd] },
      { name: `${b}ffn_gate.weight`, ne: [nEmbd, nFf] },
      { name: `${b}ffn_down.weight`, ne: [nFf, nEmbd] },
      { name: `${b}ffn_up.weight`, ne: [nEmbd, nFf] },
    );
  }
  t.push({ name: 'output_norm.weight', ne: [nEmbd] }, { name: 'output.weight', ne: [nEmbd, nVocab] });
  return t;
}

/**
 * Hyperparameter metadata under `${arch}.`, plus a tiny SPM vocabulary of
 * nVocab tokens; `extra` entries are added, or replace the key they name.
 */
export function llamaMetadata(arch, { nEmbd, nFf, nLayer, nVocab, nHead, nHeadKv, nCtx = 64 }, extra = []) {
  const tokens = ['<unk>', '<s>', '</s>'];
  for (let i = tokens.length; i < nVocab; ++i) tokens.push(String.fromCharCode(97 + (i % 26)).repeat(1 + Math.floor(i / 26)));
  const replaced = new Map(extra.map((e) => [e[0], e]));
  const base = [
    ['general.architecture', T.STRING, arch],
    ['general.name', T.STRING, `synthetic ${arch}`],
    [`${arch}.context_length`, T.U32, nCtx],
    [`${arch}.embedding_length`, T.U32, nEmbd],
    [`${arch}.block_count`, T.U32, nLayer],
    [`${arch}.feed_forward_length`, T.U32, nFf],
    [`${arch}.attention.head_count`, T.U32, nHead],
    [`${arch}.attention.head_count_kv`, T.U32, nHeadKv],
    ['tokenizer.ggml.model', T.STRING, 'llama'],
    ['tokenizer.ggml.tokens', T.ARRAY, [T.STRING, tokens]],
    ['tokenizer.ggml.scores', T.ARRAY, [T.F32, tokens.map((_, i) => -i)]],
  ];
  const kv = base.map((e) => replaced.get(e[0]) ?? e);
  return [...kv, ...extra.filter((e) => !base.some((b) => b[0] === e[0]))];
}

/** A whole tiny F32 model in memory (small values, norms at 1). */
export function tinyModel(arch = 'llama', dims = {}, extra = []) {
  const d = { nEmbd: 16, nFf: 32, nLayer: 1, nVocab: 32, nHead: 2, nHeadKv: 1, ...dims };
  const g = ggufHeader(llamaMetadata(arch, d, extra), llamaTensors(d));
  const file = new Uint8Array(g.dataOffset + g.dataSize);
  file.set(g.header);
  let x = 12345;
  for (const t of g.tensors) {
    const f = new Float32Array(file.buffer, g.dataOffset + t.offset, t.size / 4);
    for (let i = 0; i < f.length; ++i) {
      x = (x * 1103515245 + 12345) >>> 0;
      f[i] = t.ne.length === 1 ? 1 : ((x >>> 8) / 16777216 - 0.5) * 0.2;
    }
  }
  return file;
}

/**
 * A llama whose tensor data totals about `bytes` (F32), as a {size, read}
 * source: the header is real, tensor bytes are zeros made on demand.
 */
export function hugeModelSource(bytes) {
  // One huge token_embd carries the size; the rest stays tiny.
  const nEmbd = 64;
  const nVocab = Math.ceil(bytes / (nEmbd * 4 * 2));
  const d = { nEmbd, nFf: 64, nLayer: 1, nVocab, nHead: 4, nHeadKv: 4 };
  const g = ggufHeader(llamaMetadata('llama', { ...d, nVocab: 3 }).filter(([k]) => !k.startsWith('tokenizer')), llamaTensors(d));
  const size = g.dataOffset + g.dataSize;
  return {
    size,
    read: async (offset, length) => {
      const out = new Uint8Array(length);
      if (offset < g.dataOffset) out.set(g.header.subarray(offset, Math.min(g.dataOffset, offset + length)));
      return out;
    },
  };
}

/**
 * A llama of F32 weights (default: 4096 wide, 5 layers, 5.1 GB) that exists
 * only as a {size, read, tensors} source: values repeat with a prime period,
 * so any range reads the same bytes every time and no two rows line up.
 */
export function syntheticLlama({ nEmbd = 4096, nFf = 11008, nLayer = 5, nVocab = 32000, nHead = 32, nHeadKv = 32 } = {}) {
  const kv = [
    ['general.architecture', 8, 'llama'],
    ['general.name', 8, 'synthetic'],
    ['llama.block_count', 4, nLayer],
    ['llama.context_length', 4, 4096],
    ['llama.embedding_length', 4, nEmbd],
    ['llama.feed_forward_length', 4, nFf],
    ['llama.attention.head_count', 4, nHead],
    ['llama.attention.head_count_kv', 4, nHeadKv],
  ];
  const tensors = llamaTensors({ nEmbd, nFf, nLayer, nVocab, nHead, nHeadKv });
  const g = ggufHeader(kv, tensors);
  // Values repeat with a prime period, so no two rows of a tensor line up.
  const PERIOD = 1_048_573;
  const table = new Float32Array(PERIOD * 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < PERIOD; ++i) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    table[i] = table[i + PERIOD] = ((x >>> 0) / 4294967296 - 0.5) * 0.08;
  }
  const size = g.dataOffset + g.dataSize;
  return {
    size,
    tensors: g.tensors,
    async read(offset, length) {
      const out = new Uint8Array(length);
      let o = offset;
      if (o < g.dataOffset) {
        const n = Math.min(length, g.dataOffset - o);
        out.set(g.header.subarray(o, o + n), 0);
        o += n;
      }
      // Tensor sizes here are multiples of the alignment: the data section
      // is one run of floats (read offsets are 4-aligned past the header).
      if (o < offset + length) {
        const f = new Float32Array(out.buffer, o - offset, (offset + length - o) / 4);
        let k = ((o - g.dataOffset) / 4) % PERIOD;
        for (let i = 0; i < f.length; ) {
          const n = Math.min(f.length - i, PERIOD);
          f.set(table.subarray(k, k + n), i);
          i += n;
          k = (k + n) % PERIOD;
        }
      }
      return out;
    },
  };
}
