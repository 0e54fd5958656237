// Types of the quantlab npm package (hand-written: emscripten 3.1.6 cannot emit them).

/**
 * Kinds of failure, shared with the C++ library's quantlab::ErrorCode. Every
 * call either returns a valid result or throws (rejects with) a QuantlabError
 * with one of these codes; the module stays usable either way.
 */
export type QuantlabErrorCode =
  /** An argument or option is of the wrong type or outside its range. */
  | 'InvalidArgument'
  /** A length is not a whole number of blocks or rows. */
  | 'BadLength'
  /** NaN or Inf in the input, or values too large for the format's scales (the message names the row). */
  | 'NonFinite'
  /** A buffer does not have the size the format needs. */
  | 'BufferSize'
  /** A tensor or model type quantlab does not know. */
  | 'UnknownType'
  /** A known type, but not for this operation. */
  | 'Unsupported'
  /** A model of an architecture quantlab does not run or quantize (the message names it). */
  | 'UnsupportedArchitecture'
  /** A malformed file (GGUF, imatrix). */
  | 'Format'
  /** Reading the source or writing the output failed (`cause` holds the original error). */
  | 'Io'
  /** An AbortSignal fired (or SIGINT in the CLI). */
  | 'Cancelled'
  /** The request needs more WebAssembly memory than there is (the message names the size). */
  | 'OutOfMemory'
  /** The WebAssembly module could not be instantiated. */
  | 'LoadFailed'
  /** The Quantlab instance was terminated (ql.terminate()); load a new one. */
  | 'Terminated'
  /** A bug in quantlab: please report it. */
  | 'Internal';

export declare class QuantlabError extends Error {
  readonly name: 'QuantlabError';
  readonly code: QuantlabErrorCode;
  constructor(code: QuantlabErrorCode, message: string, options?: { cause?: unknown });
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
  /** ggml refuses to quantize this type without an importance matrix (IQ2_XXS, IQ2_XS, IQ1_S): quantize() throws InvalidArgument. */
  requiresImatrix: boolean;
  /** Whether a SIMD128 kernel exists in this build. */
  hasSimd128: boolean;
  /** False for activation-only types (q8_1, q8_K): they cannot be a weight in a dot product. */
  hasVecDot: boolean;
  /** The fields of one block in storage order (empty when not described yet). */
  layout: { name: string; bytes: number; what: string }[];
}

export type Kernel = 'auto' | 'ref' | 'scalar' | 'simd128';

export interface QuantizeOptions {
  /** Number of equal rows the input is split into (default 1). */
  rows?: number;
  /** Importance weights, one per column (row length). */
  imatrix?: Float32Array | null;
  /** Kernel variant; 'auto' picks SIMD128 when available. */
  kernel?: Kernel;
  /**
   * Threads the rows are shared out over: 0 (default) = the module's threads
   * (ql.threads, on the pool its models use). The bytes are the same for any count.
   */
  threads?: number;
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

/** Where a model comes from: bytes, a Blob/File, a Node path, or any random-access source. */
export type ModelSource =
  | ArrayBuffer
  | Uint8Array
  | Blob
  | string
  | { size: number; read(offset: number, length: number): Promise<Uint8Array>; close?(): Promise<void> | void };

export interface GgufTensorInfo {
  name: string;
  type: string;
  shape: number[];
  /** Offset inside the data section. */
  offset: number;
  /** Absolute offset in the file. */
  fileOffset: number;
  size: number;
}

export interface GgufHeaderInfo {
  version: number;
  alignment: number;
  dataOffset: number;
  dataSize: number;
  /** Scalars as numbers/strings/booleans; arrays summarized as "[type × n]". */
  metadata: Record<string, string | number | boolean>;
  tensors: GgufTensorInfo[];
}

export interface ModelInfo {
  arch: string;
  nVocab: number;
  nCtxTrain: number;
  nCtx: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  nParams: number;
  tensorBytes: number;
  bitsPerWeight: number;
  tokenizer: string;
  /** Threads the model's forward pass runs on (1 in the single-threaded module). */
  threads: number;
}

export interface LoadModelOptions {
  /** KV cache length; 0 = the model's training context. */
  nCtx?: number;
  kernel?: 'auto' | 'ref';
  /**
   * The model's thread pool: 0 (default) = the module's threads
   * (ql.threads). Results do not depend on it. The single-threaded wasm
   * module always runs 1. Models, quantizeModel and benchMatmul asking for
   * the same count share one pool; a different count gets what workers the
   * module has free; `model.info.threads` says how many the model runs with.
   */
  threads?: number;
  onProgress?: (p: { phase: 'load'; tensor: string; loaded: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface GenerateOptions {
  nPredict?: number;
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface KldStats {
  n: number;
  pplBase: number;
  pplBaseError: number;
  pplQ: number;
  pplQError: number;
  corLnPpl: number;
  pplRatio: number;
  pplRatioError: number;
  pplDiff: number;
  pplDiffError: number;
  kldMean: number;
  kldError: number;
  kld: Percentiles;
  dpMean: number;
  dpError: number;
  dpRms: number;
  dp: Percentiles;
  /** Fraction (0..1) of positions where both models rank the same token first. */
  sameTop: number;
  sameTopError: number;
  /** Paired z-test of per-token log-likelihood differences. */
  z: number;
  pValue: number;
  significant: boolean;
}

export interface Percentiles {
  max: number; p99_9: number; p99: number; p95: number; p90: number; median: number;
  p10: number; p5: number; p1: number; p0_1: number; min: number;
}

export interface PerplexityOptions {
  /** Tokens per chunk (default 512). */
  ctx?: number;
  /** Chunks to score (default: all whole chunks). */
  chunks?: number;
  onProgress?: (p: { chunk: number; nChunks: number; runningPpl: number; done: boolean }) => void;
  signal?: AbortSignal;
  /** Keep this run's log-probabilities as a KL-divergence base. */
  keepLogprobs?: boolean;
  /** Compare with a model whose last run kept log-probabilities. */
  base?: Model | null;
}

export interface PerplexityResult {
  ppl: number;
  pplError: number;
  nTokens: number;
  nScored: number;
  nChunks: number;
  runningPpl: number[];
  kld?: KldStats;
}

export interface ImatrixOptions {
  /** Tokens per chunk (default 512). */
  ctx?: number;
  /** Chunks to run (default: all whole chunks). */
  chunks?: number;
  /** Name recorded in imatrix.datasets (default 'calibration.txt'). */
  dataset?: string;
  onProgress?: (p: { chunk: number; nChunks: number; done: boolean }) => void;
  signal?: AbortSignal;
}

export declare class Model {
  readonly info: ModelInfo;
  readonly header: { version: number; metadata: GgufHeaderInfo['metadata']; tensors: GgufTensorInfo[] };
  lastStopReason?: 'length' | 'eog' | 'context';
  tokenize(text: string, options?: { addBos?: boolean }): Int32Array;
  detokenize(ids: Int32Array | number[]): string;
  generate(prompt: string, options?: GenerateOptions): AsyncGenerator<
    { prompt: true; piece: string; tokens: Int32Array } | { prompt?: undefined; token: number; piece: string }
  >;
  generateText(
    prompt: string,
    options?: GenerateOptions & { onToken?: (piece: string, token: number) => void },
  ): Promise<{ promptText: string; text: string; tokens: number[]; reason?: string }>;
  perplexity(text: string, options?: PerplexityOptions): Promise<PerplexityResult>;
  /** llama-imatrix over a calibration text: the bytes of a GGUF imatrix file. */
  computeImatrix(text: string, options?: ImatrixOptions): Promise<Uint8Array>;
  /** Forward pass over token ids (appending unless reset); returns compute time in ms. */
  evaluate(tokens: Int32Array | number[], options?: { reset?: boolean }): number;
  /** Sum of -log p(tokens[i+1] | tokens[0..i]) from an empty cache. */
  nll(tokens: Int32Array | number[]): { nll: number; n: number };
  /** Frees the model's WebAssembly memory; later calls throw InvalidArgument. */
  dispose(): void;
  /** The same as dispose(), for `using model = await ql.loadModel(...)`. */
  [Symbol.dispose](): void;
}

/** ql.memoryUsage(): the WebAssembly heap, in bytes. */
export interface MemoryUsage {
  /** Size of the WebAssembly memory (it grows, never shrinks). */
  wasmMemory: number;
  /** Bytes allocated now. */
  heapInUse: number;
  /** The most the allocator ever took from that memory (a high-water mark). */
  heapPeak: number;
  /** Models loaded and not disposed. */
  liveEngines: number;
  /** Model quantizations under way. */
  liveQuantizeSessions: number;
}

/** A tensor of a quantization plan, in output order. Byte counts are exact up to 2^53. */
export interface PlannedTensor {
  name: string;
  shape: number[];
  oldType: string;
  newType: string;
  oldBytes: number;
  newBytes: number;
  /** Rows: the product of shape[1..] (0 when shape[0] is 0); oldBytes and newBytes are whole rows. */
  rows: number;
  /** Bytes of one row in the input, and in the output (equal when the tensor is copied). */
  inputRowBytes: number;
  outputRowBytes: number;
  /** The data is rewritten (newType differs from oldType). */
  convert: boolean;
  requantize: boolean;
  /** The row length did not fit the chosen type; fallbackFrom names it. */
  fellBack: boolean;
  fallbackFrom?: string;
  /** The tensorTypes pattern that decided the type, or null. */
  override: string | null;
  requiresImatrix: boolean;
  /** Its name in the input (differs from name when pruneLayers renumbered its layer). */
  inputName: string;
  /** Which input file holds it (0 unless the model is split) and where in that file. */
  inputFile: number;
  inputOffset: number;
  /** Which output file it goes to (0 unless the output is split). */
  outputFile: number;
  /** In its output file; absent in a dry run whose plan cannot be written. */
  outputOffset?: number;
  outputBytes?: number;
  /** Zero bytes written after the tensor's rows (alignment); outputBytes = rows * outputRowBytes + paddingBytes. */
  paddingBytes?: number;
}

/** What one tensorTypes entry did: every entry is reported, none is silently ignored. */
export interface TensorTypeOverrideReport {
  pattern: string;
  type: string;
  /** Tensors whose type this pattern decided. */
  applied: string[];
  /** Matching tensors llama-quantize never quantizes (norms, 1-D, ...). */
  notQuantizable: string[];
  /** F32/F16/BF16 model types ignore tensorTypes. */
  ignoredForFtype: boolean;
}

export interface QuantizePlan {
  /** The model file type, e.g. "Q4_K_M". */
  type: string;
  arch: string;
  dryRun: boolean;
  tensors: PlannedTensor[];
  overrides: TensorTypeOverrideReport[];
  /** llama-quantize's notes on overrides and fallbacks. */
  messages: string[];
  /** Problems a dry run reports instead of throwing. */
  warnings: string[];
  /** Converted tensors the importance matrix has no entry for. */
  imatrixMissing: string[];
  nFallback: number;
  nRequantize: number;
  needsImatrix: boolean;
  nElements: number;
  inputTensorBytes: number;
  outputTensorBytes: number;
  inputBitsPerWeight: number;
  /** Bits per weight of the output's tensor data. */
  bitsPerWeight: number;
  headerSize: number;
  /** The exact size of the output (all files; 0 for an unwritable dry-run plan). */
  outputSize: number;
  /** Input files read (the parts of a split model). */
  inputFiles: number;
  /** Written as split files (keepSplit or splitMaxSize), named NAME-00001-of-0000N.gguf. */
  splitOutput: boolean;
  /** One entry per output file. */
  outputFiles: { headerSize: number; size: number }[];
  /** Input tensors pruneLayers dropped. */
  pruned: string[];
  /** The output's block_count (the layer count after pruneLayers). */
  blockCount: number;
}

export interface QuantizeModelProgress {
  /** The tensor just written. */
  tensor: string;
  index: number;
  nTensors: number;
  bytesRead: number;
  bytesTotal: number;
  bytesWritten: number;
  outputSize: number;
  etaSeconds: number | null;
}

/** Where quantizeModel writes; undefined resolves with a Blob. */
export type QuantizeModelOutput =
  | undefined
  | WritableStream<Uint8Array>
  | { write(chunk: Uint8Array): unknown }
  /** Node only: written to path + '.partial', renamed when complete, removed on error or cancel. */
  | string;

/** One file of a split output, as passed to a SplitOutputFunction. */
export interface SplitOutputFile {
  index: number;
  count: number;
  /** llama-quantize's name: NAME-00001-of-0000N.gguf. */
  name: string;
}

/**
 * Where each file of a split output (keepSplit, splitMaxSize) goes. undefined
 * resolves with result.files[].blob; a string (Node) is a path prefix, ".gguf"
 * dropped, each part written through '.partial' and renamed once all are complete.
 */
export type QuantizeModelSplitOutput =
  | undefined
  | string
  | ((file: SplitOutputFile) => QuantizeModelOutput | Promise<QuantizeModelOutput>);

export interface QuantizeModelOptions {
  /**
   * llama-quantize's model type: "Q8_0", "Q4_0", "Q4_K_M", ... (case-insensitive; a number works too).
   * Required unless a plan is given.
   */
  type?: string;
  /**
   * A mixed-precision plan (ql.planMixedPrecision, or the JSON `quantlab quantize --target-size`
   * writes): it stands for type, tensorTypes and its quantize.mixed.* keys, and brings its
   * importance matrix unless imatrix is given. The output is the file the plan describes.
   */
  plan?: MixedPlan | { ftype: string; tensorTypes: string[]; overrideKv?: string[]; imatrix?: ModelSource | string };
  /** --pure: every weight in the default type, no k-quant mixture. */
  pure?: boolean;
  /** --output-tensor-type */
  outputTensorType?: string;
  /** --token-embedding-type */
  tokenEmbeddingType?: string;
  /** --tensor-type entries, "regex=type"; the first matching entry wins. */
  tensorTypes?: string[];
  /** --allow-requantize */
  allowRequantize?: boolean;
  /** --leave-output-tensor */
  leaveOutputTensor?: boolean;
  /** --override-kv entries, "KEY=TYPE:VALUE" with TYPE int, float, bool or str; written in order. */
  overrideKv?: string[];
  /** --prune-layers: layers to drop (the rest are renumbered), as numbers or "0,3,5". */
  pruneLayers?: number[] | string;
  /** --keep-split: one output file per input file of a split model. */
  keepSplit?: boolean;
  /** gguf-split's --split-max-size on the output: bytes, or "500M" / "2G" (10^6 / 10^9). */
  splitMaxSize?: number | string;
  /** Base name of split output files when output is not a path (default "ggml-model-TYPE.gguf"). */
  outputName?: string;
  /** A llama-imatrix file (legacy .dat or GGUF). */
  imatrix?: ModelSource;
  /** --include-weights: use the imatrix only for tensors whose name contains one of these. */
  includeWeights?: string[];
  /** --exclude-weights: do not use the imatrix for tensors whose name contains one of these. */
  excludeWeights?: string[];
  /** Recorded as quantize.imatrix.file; defaults to the path or File name. */
  imatrixName?: string;
  /** Plan only: nothing is read past the header and nothing is written. */
  dryRun?: boolean;
  /** Called after each tensor is written. */
  onProgress?: (p: QuantizeModelProgress) => void;
  /** Aborting rejects with QuantlabError 'Cancelled'. */
  signal?: AbortSignal;
  /**
   * Converters: 1 converts on the calling thread; more start that many Web
   * Workers (Node: worker_threads), each with its own wasm module, and send
   * them chunks of each tensor's rows (never whole tensors). Output is
   * identical. Buffers returned by a {size, read} source may be transferred
   * (detached) when they hold exactly one chunk.
   */
  workers?: number;
  /**
   * Values per chunk of rows read, converted and (with workers) posted at
   * once (default 4194304, 16 MiB as F32; a chunk holds at least one row).
   * Memory and message count, not output, depend on it.
   */
  chunkValues?: number;
  /**
   * Threads converting the rows of each tensor inside this module (0 or
   * unset: the module's threads, ql.threads). Only the threaded module
   * (ql.pthreads) runs more than 1. Output is identical for any count.
   */
  threads?: number;
  /** For a split output (plan.splitOutput) see QuantizeModelSplitOutput. */
  output?: QuantizeModelOutput | QuantizeModelSplitOutput;
}

export interface QuantizeModelResult {
  plan: QuantizePlan;
  /** All output files together. */
  bytesWritten: number;
  seconds: number;
  /**
   * Threads that converted rows: the module's pool for workers: 1 (shared
   * with the module's models, so a loaded model does not leave it one
   * thread), or one per converter worker.
   */
  threads: number;
  /** The whole file, when no output was given (not for split outputs). */
  blob?: Blob;
  /** Split outputs: every file, with a Blob when no output was given. */
  files?: { name: string; size: number; blob?: Blob }[];
}

export interface SensitivityProgress {
  phase: 'imatrix' | 'base' | 'tensors';
  step: number;
  nSteps: number;
  /** The tensor and format just measured (phase 'tensors'). */
  tensor?: string;
  type?: string;
  done: boolean;
  nTensors: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

export interface SensitivityOptions {
  /** Calibration text: keep it apart from the text you evaluate on. */
  calibrationText: string;
  /** Candidate formats (default: every weight format with a dot product, and f16). */
  types?: string[];
  /** KLD through the engine (default) or only the imatrix-weighted error proxy. */
  exact?: boolean;
  /** Formats measured through the engine (default: all); the others are estimated from the proxy. */
  exactTypes?: string[];
  /**
   * What plans minimise: 'smoothed' (default) = per tensor, a gain fitted to its measured KLDs times
   * the proxy; 'measured' = the measured KLDs themselves.
   */
  damage?: 'smoothed' | 'measured';
  /** Chunk length (default 256, at most the model's context). */
  nCtx?: number;
  /** Calibration chunks measured per tensor and format (default 2). */
  chunks?: number;
  /** First scored position of each chunk (default 0: every position; -1: the second half). */
  firstScored?: number;
  /** Chunks for the importance matrix computed from the text (default all; 0: none). */
  imatrixChunks?: number;
  /** Quantize candidates (and later the file) with this importance matrix instead. */
  imatrix?: ModelSource;
  /** Recorded as quantize.imatrix.file (default 'imatrix.gguf'). */
  imatrixName?: string;
  /** Recorded as quantize.mixed.calibration (default 'calibration.txt'). */
  calibrationName?: string;
  onProgress?: (p: SensitivityProgress) => void;
  signal?: AbortSignal;
}

export interface SensitivityCell {
  type: string;
  /** Why the format cannot hold this tensor; the other fields are absent then. */
  rejected?: string;
  bytes?: number;
  /** Mean KL divergence from the unmodified model with this tensor alone in this format. */
  kld?: number | null;
  /** Expected squared output error per token (imatrix-weighted). */
  proxy?: number | null;
  /** What plans minimise for this cell (see SensitivityOptions.damage). */
  damage?: number | null;
}

export interface TensorSensitivity {
  name: string;
  /** "attn_q", "ffn_down", "token_embd", "output", ... */
  kind: string;
  /** -1 outside the blocks. */
  layer: number;
  shape: number[];
  /** One per type of SensitivityResult.types, in that order. */
  cells: SensitivityCell[];
}

export interface SensitivityResult {
  types: string[];
  exact: boolean;
  damageModel: 'smoothed' | 'measured';
  nCtx: number;
  nChunks: number;
  nScored: number;
  basePpl: number;
  imatrixComputed: boolean;
  seconds: number;
  /** Threads the scan ran on: the model's (`model.info.threads`), whose pool it shares. */
  threads: number;
  tensors: TensorSensitivity[];
  /** Spearman's rho of the proxy against the exact KLD over tensors, per type and "all". */
  spearman?: Record<string, number | null>;
}

export interface MixedPlanTarget {
  /** The whole file's size in bytes, or a string such as "2.1M" (K, M, G: 1024-based). */
  targetBytes?: number | string;
  /** Bits per weight over all tensors, as quantizeModel's plan.bitsPerWeight reports it. */
  targetBpw?: number;
}

export interface MixedPlan {
  /** "size 2284384" or "bpw 4.6". */
  target: string;
  targetBytes?: number;
  targetBpw?: number;
  /** Model file type label (general.file_type; every tensor is decided by tensorTypes). */
  ftype: string;
  /** The exact size of the file quantizeModel({plan}) writes. */
  fileBytes: number;
  tensorBytes: number;
  bitsPerWeight: number;
  /** Damages are measured KLDs (false: proxy units). */
  exact: boolean;
  /** Sum of the tensors' damages: the predicted KLD from the unmodified model. */
  predicted: number;
  method: string;
  calibration: string;
  /** Measured on the calibration chunks (with corrections if interactions made it worse). */
  verified: boolean;
  calibrationKld: number | null;
  firstKld: number | null;
  calibrationPpl: number | null;
  basePpl: number | null;
  corrections: number;
  /** Neighbouring mixes measured lower and taken after the corrections (each a step on one or two tensors). */
  refinements: number;
  tensors: { name: string; type: string; bytes: number; damage: number }[];
  /** llama-quantize --tensor-type arguments ("regex=type") that make the same file. */
  tensorTypes: string[];
  /** llama-quantize --override-kv arguments for the quantize.mixed.* keys the file records. */
  overrideKv: string[];
  /** The importance matrix (GGUF bytes) the plan assumes, and the name recorded for it. */
  imatrix?: Uint8Array;
  imatrixName?: string;
}

export declare class SensitivityScan {
  readonly result: SensitivityResult;
  /** The best plan for a target; verify (default: exact scans) measures it on the calibration chunks. */
  plan(options: MixedPlanTarget & { verify?: boolean }): MixedPlan;
  /** Predicted KLD against file size, one point per distinct best plan. */
  curve(): { points: [number, number][]; minBytes: number; maxBytes: number };
  /** A standard model file type measured on the same calibration chunks. */
  measureFileType(name: string): { ftype: string; fileBytes: number; kld: number; ppl: number; basePpl: number };
  imatrix(): Uint8Array | null;
  dispose(): void;
  /** The same as dispose(), for `using scan = await ql.scanSensitivity(...)`. */
  [Symbol.dispose](): void;
}

export interface PlanMixedPrecisionOptions extends SensitivityOptions, MixedPlanTarget {
  /** Measure the plan on the calibration chunks and correct it (default true for exact scans). */
  verify?: boolean;
}

export interface MatmulBenchOptions {
  /** Weight rows (output features), default 4096. */
  rows?: number;
  /** Row length (input features), default 4096; a multiple of the type's and its vecDotType's block. */
  cols?: number;
  /** Activation columns: 1 = generation (matrix × vector), 256 = a prompt batch. Default 1. */
  nTokens?: number;
  /** Repeat until this many milliseconds were measured (at least 3 samples), default 250. */
  minMs?: number;
  /** At most this many samples (default 1000). */
  maxReps?: number;
  seed?: number;
  /**
   * Threads splitting the rows (a pool made for the call; 0 = one per core).
   * Default 1. More than one needs the threaded module (Quantlab.threads > 1);
   * the single-threaded one runs on one thread whatever this says.
   */
  threads?: number;
}

export interface MatmulBenchResult {
  /** Multiplications timed (small matrices are repeated so each sample lasts >= 5 ms). */
  reps: number;
  /** Median seconds of one multiplication, activation quantization included. */
  seconds: number;
  bestSeconds: number;
  /** 2·rows·cols·nTokens / seconds / 1e9. */
  gflops: number;
  /** Weight bytes / seconds / 1e9 (each weight byte is read once per multiplication). */
  weightGBps: number;
  weightBytes: number;
  activationBytes: number;
  /** Sum of the outputs (identical for every kernel variant). */
  checksum: number;
  /** Threads the rows were split over (1 in the single-threaded module, or when no worker was free). */
  threads: number;
}

/** A llama model's shape (llama.cpp's hparams). */
export interface LlamaShape {
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Below nHead: grouped-query attention. Default nHead. */
  nHeadKv?: number;
  nFf: number;
  nCtxTrain?: number;
  /** No output.weight: the token embedding is reused (Llama 3.2 1B/3B). */
  tiedEmbeddings?: boolean;
}

export interface SyntheticModelSource {
  /** The size the whole file would have. */
  size: number;
  nParams: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ModelFileType {
  name: string;
  id: number;
  description: string;
}

export declare class Quantlab {
  /** True when this build has SIMD128 kernels. */
  readonly simd128: boolean;
  /** The build that loaded (LoadOptions.wasmVariant). */
  wasmVariant: 'simd128' | 'relaxed-simd';
  readonly defaultKernel: 'ref' | 'simd128';
  /**
   * Threads this module runs its models and whole-model quantization with:
   * 1 for the single-threaded build; for the threaded one (pthreads) the
   * count it was loaded with, which is also how many threads all its pools
   * together hold at once. Every model, quantizeModel and benchMatmul at
   * that count (the default) shares one pool, so each runs on all of them;
   * a pool of another count gets what is left, down to its calling thread.
   */
  readonly threads: number;
  /** True for the threaded build (-pthread: SharedArrayBuffer and Web Workers). */
  readonly pthreads: boolean;
  /**
   * Set when the threaded build was wanted but did not load and this
   * single-threaded one was loaded instead: the warning that was given.
   */
  readonly loadWarning?: string;
  /** True once terminate() ran. */
  readonly terminated: boolean;
  /**
   * Releases the module: the threaded build's pthread workers and the
   * workers of a running quantizeModel stop, so a Node process can exit and
   * a page can drop the instance (its wasm memory goes once unreferenced).
   * Models and scans it made are released with it (their dispose() is then
   * a no-op). Afterwards every call, on the instance or on what it made,
   * throws (rejects with) QuantlabError 'Terminated'; a second terminate()
   * does nothing.
   */
  terminate(): void;
  /** The same as terminate(). */
  dispose(): void;
  /** The same as terminate(), for `using ql = await loadQuantlab()`. */
  [Symbol.dispose](): void;
  formats(): FormatInfo[];
  format(type: string): FormatInfo;
  quantizedSize(type: string, n: number): number;
  quantize(input: Float32Array, type: string, options?: QuantizeOptions): Uint8Array;
  /** options.threads: as QuantizeOptions.threads (blocks shared out; the same values for any count). */
  dequantize(data: Uint8Array, type: string, n: number, options?: { kernel?: Kernel; threads?: number }): Float32Array;
  errorStats(original: Float32Array, reconstructed: Float32Array, options?: ErrorStatsOptions): ErrorStats;
  /** Load a GGUF model, streaming tensors into wasm memory one at a time. */
  loadModel(source: ModelSource, options?: LoadModelOptions): Promise<Model>;
  /** Read only the header (metadata and tensor table) of a GGUF file. */
  readGgufHeader(source: ModelSource): Promise<GgufHeaderInfo>;
  /**
   * Quantize a whole GGUF model like llama-quantize, streamed one tensor at a
   * time, so files larger than 4 GB work; see QuantizeModelOptions. A split
   * model (NAME-00001-of-0000N.gguf, ...) is given as the list of its files.
   */
  quantizeModel(input: ModelSource | ModelSource[], options: QuantizeModelOptions): Promise<QuantizeModelResult>;
  /** The model types quantizeModel accepts. */
  quantizeTypes(): ModelFileType[];
  /**
   * Mixed precision, step 1: the damage of quantizing each tensor alone in each
   * candidate format, on a calibration text. model: a loaded Model (left loaded)
   * or a source (loaded and freed with the scan).
   */
  scanSensitivity(model: Model | ModelSource, options: SensitivityOptions): Promise<SensitivityScan>;
  /** Scan, plan at the target and verify: one format per tensor for quantizeModel({plan}). */
  planMixedPrecision(model: Model | ModelSource, options: PlanMixedPrecisionOptions): Promise<MixedPlan>;
  /** Time weight × activations through the engine's kernel path (the tutorial's matmul benchmark). */
  benchMatmul(type: string, options?: MatmulBenchOptions): MatmulBenchResult;
  /**
   * A llama of the given shape as a header-only source (weights read as
   * zeros in `type`: F32, F16 or BF16, default F16), for size plans with
   * quantizeModel(source, { type, dryRun: true }).
   */
  syntheticLlama(shape: LlamaShape, options?: { type?: 'F32' | 'F16' | 'BF16' }): SyntheticModelSource;
  /** Heap figures, for showing memory use or checking that nothing leaks. */
  memoryUsage(): MemoryUsage;
}

export interface LoadOptions {
  /** The .wasm bytes, if you fetched them yourself. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Map a file name (quantlab_wasm.wasm) to the URL it is served from. */
  locateFile?: (path: string, prefix: string) => string;
  /**
   * Browsers: which build to load. Default: 'relaxed-simd' when the engine
   * validates relaxed SIMD and neither wasmBinary nor locateFile is given,
   * else 'simd128'; the threaded build (threads > 1 where memory can be
   * shared) is chosen the same way (quantlab_wasm_mt_relaxed.* or
   * quantlab_wasm_mt.*; threadedFiles.js / .wasm count as SIMD128 files).
   * Node always loads 'simd128'. Results are identical.
   */
  wasmVariant?: 'simd128' | 'relaxed-simd';
  /**
   * Threads (0 or unset: one per logical CPU, at most 16). More than 1 loads
   * the threaded build (quantlab_wasm_mt*.*) where the host can share memory
   * with workers: Node, or a cross-origin-isolated page (COOP/COEP headers,
   * see the README); anywhere else, and for threads: 1, the single-threaded
   * build. ql.threads says what was loaded.
   */
  threads?: number;
  /**
   * Where the threaded build's files are served, when a bundler did not
   * copy them next to the package's entry (default: new URL beside it;
   * Node: file: URLs).
   */
  threadedFiles?: { js?: string | URL; wasm?: string | URL; worker?: string | URL };
  /**
   * Called with a message when the threaded build was wanted but failed to
   * load (its files missing or served without the right headers, a pthread
   * worker that did not start within 30 s, SharedArrayBuffer missing) and the
   * single-threaded build was loaded instead (default: console.warn). The
   * instance's threads, pthreads and wasmVariant say what loaded.
   */
  onWarning?: (message: string) => void;
}

/** Instantiate the WebAssembly module. */
export declare function loadQuantlab(options?: LoadOptions): Promise<Quantlab>;
