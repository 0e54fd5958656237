// What the page offers is read from the module (formats(), quantizeTypes()),
// never from a list of what exists. The one fixed list here is the
// tutorial's format table: rows it names that this build does not have yet
// are shown as such, and become live as soon as the module lists them.

/** The tutorial's format table: file type, what it is for. Quality is measured, not written here. */
export const TUTORIAL_TABLE = [
  { label: 'FP32', fileType: 'F32', use: 'training and reference: the original weights' },
  { label: 'FP16', fileType: 'F16', use: 'the usual release format; lossless for inference in practice' },
  { label: 'Q8_0', fileType: 'Q8_0', use: 'near-lossless, half the size of FP16' },
  { label: 'Q6_K', fileType: 'Q6_K', use: 'high quality when memory allows' },
  { label: 'Q5_K_M', fileType: 'Q5_K_M', use: 'high quality at ~5.7 bits per weight' },
  { label: 'Q4_K_M', fileType: 'Q4_K_M', use: 'the common default: good quality, ~4.8 bits per weight' },
  { label: 'Q4_0', fileType: 'Q4_0', use: 'legacy 4-bit, simple and fast' },
  { label: 'Q3_K_M', fileType: 'Q3_K_M', use: 'when 4-bit does not fit' },
  { label: 'IQ3_M', fileType: 'IQ3_M', use: '3-bit lattice mix; best with an importance matrix' },
  { label: 'IQ3_S', fileType: 'IQ3_S', use: '3-bit lattice quant; best with an importance matrix' },
  { label: 'IQ3_XS', fileType: 'IQ3_XS', use: '3-bit lattice quant; needs an importance matrix' },
  { label: 'IQ3_XXS', fileType: 'IQ3_XXS', use: 'smallest 3-bit lattice quant; needs an importance matrix' },
  { label: 'Q2_K', fileType: 'Q2_K', use: 'smallest k-quant; visible quality loss' },
  { label: 'IQ2_M', fileType: 'IQ2_M', use: '2-bit lattice mix; needs an importance matrix' },
  { label: 'IQ2_S', fileType: 'IQ2_S', use: '2-bit lattice mix; needs an importance matrix' },
  { label: 'IQ2_XS', fileType: 'IQ2_XS', use: 'extreme compression; needs an importance matrix' },
  { label: 'IQ2_XXS', fileType: 'IQ2_XXS', use: 'extreme compression; needs an importance matrix' },
  { label: 'TQ2_0', fileType: 'TQ2_0', use: 'ternary weights (models trained ternary, e.g. BitNet); large loss on others' },
  { label: 'IQ1_M', fileType: 'IQ1_M', use: 'last resort below 2 bits; needs an importance matrix' },
  { label: 'TQ1_0', fileType: 'TQ1_0', use: 'ternary weights packed at 1.69 bits; for ternary-trained models' },
  { label: 'IQ1_S', fileType: 'IQ1_S', use: 'the smallest format; needs an importance matrix' },
];

/**
 * The lattice file types (IQ1_*, IQ2_*, IQ3_*): quantized with an importance
 * matrix, as llama.cpp recommends for them (llama-quantize refuses most of
 * them without one). The other types are quantized without.
 */
export const usesImatrixFileType = (name) => /^IQ[123]_/i.test(name);

export function hasFileType(info, name) {
  return info.fileTypes.some((t) => t.name.toUpperCase() === name.toUpperCase());
}

/** Tensor formats a weight can be stored in (activation-only types excluded). */
export function weightFormats(info) {
  return info.formats.filter((f) => f.hasVecDot !== false && f.name !== 'q8_1' && f.name !== 'q8_K');
}

/** Quantized tensor formats (no float types), including activation-only ones, labelled. */
export function quantizedFormats(info) {
  return info.formats.filter((f) => f.isQuantized);
}

export const NOT_YET = 'not in this build yet';

/** llama.cpp-style shapes of real models for the memory step (from their config files). */
export const PRESETS = [
  { value: '1B', label: 'Llama 3.2 1B', shape: { nVocab: 128256, nEmbd: 2048, nLayer: 16, nHead: 32, nHeadKv: 8, nFf: 8192, tiedEmbeddings: true } },
  { value: '3B', label: 'Llama 3.2 3B', shape: { nVocab: 128256, nEmbd: 3072, nLayer: 28, nHead: 24, nHeadKv: 8, nFf: 8192, tiedEmbeddings: true } },
  { value: '7B', label: 'Llama 2 7B', shape: { nVocab: 32000, nEmbd: 4096, nLayer: 32, nHead: 32, nHeadKv: 32, nFf: 11008, tiedEmbeddings: false } },
  { value: '13B', label: 'Llama 2 13B', shape: { nVocab: 32000, nEmbd: 5120, nLayer: 40, nHead: 40, nHeadKv: 40, nFf: 13824, tiedEmbeddings: false } },
  { value: '70B', label: 'Llama 2 70B (GQA)', shape: { nVocab: 32000, nEmbd: 8192, nLayer: 80, nHead: 64, nHeadKv: 8, nFf: 28672, tiedEmbeddings: false } },
];

/** KV cache bytes: K and V, each n_layer × n_ctx × n_embd_kv values of f16 (llama.cpp's default cache type). */
export function kvCacheBytes(shape, nCtx) {
  const headDim = shape.nEmbd / shape.nHead;
  return 2 * shape.nLayer * nCtx * headDim * shape.nHeadKv * 2;
}

/**
 * ggml's weight types that quantlab may not have yet (ggml.h), with their
 * nominal bits per weight: shown as "not in this build yet" until
 * formats() lists them, then measured like every other format.
 */
export const GGML_CATALOGUE = [
  { name: 'iq1_s', bpw: 1.5625 }, { name: 'iq1_m', bpw: 1.75 }, { name: 'tq1_0', bpw: 1.6875 },
  { name: 'iq2_xxs', bpw: 2.0625 }, { name: 'tq2_0', bpw: 2.0625 }, { name: 'iq2_xs', bpw: 2.3125 },
  { name: 'iq2_s', bpw: 2.5625 }, { name: 'iq3_xxs', bpw: 3.0625 }, { name: 'iq3_s', bpw: 3.4375 },
  { name: 'mxfp4', bpw: 4.25 },
];

/** Formats of the catalogue this build lacks. */
export function missingFormats(info) {
  const have = new Set(info.formats.map((f) => f.name.toLowerCase()));
  return GGML_CATALOGUE.filter((f) => !have.has(f.name));
}
