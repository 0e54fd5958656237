// The importance vector the format atlas gives the formats ggml cannot
// quantize without one (IQ1_S, IQ2_XXS, IQ2_XS): one weight per column of
// the tensor, as llama-quantize passes a tensor's imatrix entry to
// ggml_quantize_chunk.
//   - a tensor of the built-in model: its entry in the model's imatrix,
//     computed from the held-out text (in_sum2 / counts, the arithmetic of
//     llama.cpp's imatrix loader);
//   - a generated tensor, a tensor of another file, or one the imatrix has
//     no entry for (token_embd is looked up, not multiplied): ones, every
//     column equally important, so the quantizer minimises plain squared error.

/** The entry for `name` in an imatrix GGUF (bytes), or null. */
export async function imatrixEntry(ql, bytes, name, cols) {
  const blob = new Blob([bytes]);
  const h = await ql.readGgufHeader(blob);
  const sum2 = h.tensors.find((t) => t.name === `${name}.in_sum2`);
  const counts = h.tensors.find((t) => t.name === `${name}.counts`);
  if (!sum2 || !counts || sum2.type !== 'f32' || sum2.shape[0] !== cols) return null;
  const read = async (t, n) => new Float32Array(await blob.slice(t.fileOffset, t.fileOffset + 4 * n).arrayBuffer());
  const s = await read(sum2, cols);
  const c = (await read(counts, 1))[0];
  const w = new Float32Array(cols);
  for (let i = 0; i < cols; i++) w[i] = c > 0 ? s[i] / c : 1;
  return w;
}

/**
 * {weights, text} for the tensor in the worker's state. computeImatrix(signal,
 * progress) returns the built-in model's imatrix bytes (cached by the caller).
 */
export async function importanceFor(ql, origin, cols, computeImatrix, signal, progress) {
  const ones = (why) => ({ weights: new Float32Array(cols).fill(1), text: `an importance vector of ones (${why}): every column counts the same, so the quantizer minimises plain squared error` });
  if (!origin) return ones('a generated tensor has no activations to weigh its columns by');
  if (origin.source?.kind !== 'builtin') return ones('the importance matrix is computed for the built-in model only: running another model over the text here could take long');
  const bytes = await computeImatrix(signal, progress);
  const w = await imatrixEntry(ql, bytes, origin.name, cols);
  if (!w) return ones(`the built-in model\u2019s importance matrix has no entry for ${origin.name}: it is looked up, not multiplied`);
  return { weights: w, text: `this tensor\u2019s entry in the built-in model\u2019s importance matrix, computed in this tab from the held-out stories (context 256, all chunks), as llama-imatrix does` };
}
