// Which kernels the wasm module a browser loads has (one thread, and the
// threaded build likewise: module_variant.mjs). Two kernel sets, same API:
//   'relaxed-simd'  SIMD128 + relaxed SIMD (int8 dot kernels on
//                   i32x4.relaxed_dot_i8x16_i7x16_add_s; bit-identical results)
//   'simd128'       plain SIMD128, for engines without relaxed SIMD
// Node always gets 'simd128' (node.mjs): Node 20's V8 11.3 has the relaxed
// dot only behind a flag, with pre-standard results (docs/engine.md).

// The smallest module using the op: (func (result v128)
//   v128.const 0  v128.const 0  v128.const 0  i32x4.relaxed_dot_i8x16_i7x16_add_s)
const zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
const RELAXED_DOT_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x3d, 0x01, 0x3b, 0x00, ...zero, ...zero, ...zero, 0xfd, 0x93, 0x02, 0x0b,
]);

/** True when this engine validates the final relaxed-SIMD dot opcode. */
export function relaxedSimdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_DOT_PROBE);
  } catch {
    return false;
  }
}

/**
 * The kernels of the threaded build: options.wasmVariant when given, else
 * relaxed SIMD when the engine validates it and the caller names none of the
 * files (wasmBinary, locateFile, threadedFiles.js / .wasm: those are taken
 * to be the SIMD128 build's, as before the relaxed threaded build existed).
 */
export function threadedWasmVariant(options) {
  const files = options?.threadedFiles;
  return kernelVariant(options, files?.js !== undefined || files?.wasm !== undefined);
}

// The one rule both choices follow: options.wasmVariant when given, else
// relaxed SIMD where validated unless the caller names a .wasm of its own
// (wasmBinary, locateFile, or ownFiles for the build in question).
function kernelVariant(options, ownFiles) {
  const ownWasm = ownFiles || options?.wasmBinary !== undefined || options?.locateFile !== undefined;
  return options?.wasmVariant ?? (!ownWasm && relaxedSimdSupported() ? 'relaxed-simd' : 'simd128');
}

/**
 * The module factory to load: options.wasmVariant ('simd128' | 'relaxed-simd')
 * forces one; otherwise relaxed SIMD when the engine has it, except when
 * options.wasmBinary / options.locateFile name a .wasm (the SIMD128 one, as
 * before this choice existed).
 * Returns { variant, factory }.
 */
export async function chooseWasmVariant(options) {
  const variant = kernelVariant(options, false);
  if (variant === 'relaxed-simd') {
    return { variant, factory: (await import('./quantlab_wasm_relaxed.mjs')).default };
  }
  return { variant: 'simd128', factory: (await import('./quantlab_wasm.mjs')).default };
}
