// Types of the quantlab npm package (hand-written: emscripten 3.1.6 cannot emit them).

/** Kinds of failure, shared with the C++ library's quantlab::ErrorCode. */
export type QuantlabErrorCode =
  | 'InvalidArgument'
  | 'BadLength'
  | 'NonFinite'
  | 'BufferSize'
  | 'UnknownType'
  | 'Unsupported'
  | 'Format'
  | 'Io'
  | 'Cancelled'
  | 'OutOfMemory'
  | 'LoadFailed'
  | 'Internal';

export declare class QuantlabError extends Error {
  readonly name: 'QuantlabError';
  readonly code: QuantlabErrorCode;
  constructor(code: QuantlabErrorCode, message: string);
}

/** One row of the traits table. */
export interface FormatInfo {
  /** ggml's name, e.g. "q4_K". */
  name: string;
  /** ggml type id as stored in GGUF. */
  id: number;
  /** Values per block (1 for f32/f16/bf16). */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  bitsPerWeight: number;
  isQuantized: boolean;
  /** Activation type the dot product pairs with. */
  vecDotType: string;
  /** Whether quantize() honours an importance matrix. */
  usesImatrix: boolean;
  /** Whether a SIMD128 kernel exists in this build. */
  hasSimd128: boolean;
}

export type Kernel = 'auto' | 'ref' | 'scalar' | 'simd128';

export interface QuantizeOptions {
  /** Number of equal rows the input is split into (default 1). */
  rows?: number;
  /** Importance weights, one per column (row length). */
  imatrix?: Float32Array | null;
  /** Kernel variant; 'auto' picks SIMD128 when available. */
  kernel?: Kernel;
}

export interface ErrorStatsOptions {
  /** Histogram bins (0 = no histogram). */
  bins?: number;
  /** Histogram half-range; 0 = ±max |error|. */
  range?: number;
}

export interface ErrorStats {
  n: number;
  /** Mean of (reconstructed - original). */
  meanError: number;
  mae: number;
  maxAbs: number;
  rmse: number;
  /** 10·log10(Σx² / Σe²); Infinity for an exact copy. */
  snrDb: number;
  cosine: number;
  histogram: { lo: number; hi: number; counts: number[] };
}

export declare class Quantlab {
  /** True when this build has SIMD128 kernels. */
  readonly simd128: boolean;
  readonly defaultKernel: 'ref' | 'simd128';
  formats(): FormatInfo[];
  format(type: string): FormatInfo;
  quantizedSize(type: string, n: number): number;
  quantize(input: Float32Array, type: string, options?: QuantizeOptions): Uint8Array;
  dequantize(data: Uint8Array, type: string, n: number, options?: { kernel?: Kernel }): Float32Array;
  errorStats(original: Float32Array, reconstructed: Float32Array, options?: ErrorStatsOptions): ErrorStats;
}

export interface LoadOptions {
  /** The .wasm bytes, if you fetched them yourself. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Map a file name (quantlab_wasm.wasm) to the URL it is served from. */
  locateFile?: (path: string, prefix: string) => string;
}

/** Instantiate the WebAssembly module. */
export declare function loadQuantlab(options?: LoadOptions): Promise<Quantlab>;
