// Errors shared by every part of the JS API, and the argument checks every
// entry point uses: a bad argument is a QuantlabError with a documented code,
// never a TypeError from deeper down or a value silently coerced.

/** Error thrown by every quantlab call; `code` names the kind of failure. */
export class QuantlabError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'QuantlabError';
    this.code = code;
  }
}

export function fail(code, message) {
  throw new QuantlabError(code, message);
}

/** Unwraps a {value} | {error: {code, message}} result from the wasm side. */
export function unwrap(result) {
  if (result.error) fail(result.error.code, result.error.message);
  return result.value;
}

/** A value for a message: String() copes with symbols, where `${v}` throws. */
export function show(v) {
  try {
    if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** options may be omitted (undefined or null); anything else must be an object. */
export function optionsObject(options, what = 'options') {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') fail('InvalidArgument', `${what} must be an object, got ${show(options)}`);
  return options;
}

/** An integer in [lo, hi]; `fallback` when undefined. */
export function intOption(v, what, lo, hi, fallback) {
  if (v === undefined && fallback !== undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < lo || v > hi) fail('InvalidArgument', `${what} must be an integer in ${lo}..${hi}, got ${show(v)}`);
  return v;
}

/** A finite number; `fallback` when undefined. */
export function numberOption(v, what, fallback) {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('InvalidArgument', `${what} must be a finite number, got ${show(v)}`);
  return v;
}

export function functionOption(v, what) {
  if (v !== undefined && v !== null && typeof v !== 'function') fail('InvalidArgument', `${what} must be a function`);
  return v ?? undefined;
}

/** An AbortSignal (or anything with `aborted` and addEventListener), or nothing. */
export function signalOption(v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || typeof v.aborted !== 'boolean' || typeof v.addEventListener !== 'function') {
    fail('InvalidArgument', 'signal must be an AbortSignal');
  }
  return v;
}

export function checkSignal(signal) {
  if (signal?.aborted) fail('Cancelled', 'the operation was cancelled');
}

/** A failure of the caller's own source or sink, as a QuantlabError('Io') keeping the cause. */
export function ioError(e, what) {
  if (e instanceof QuantlabError) return e;
  return new QuantlabError('Io', `${what}: ${e?.message ?? show(e)}`, { cause: e });
}

// One malloc can hold at most 2 GiB - 1 bytes in wasm32 (pointers above
// 2^31 come back negative from _malloc): larger requests fail here, naming
// their size, before any integer conversion can wrap them.
const MAX_ALLOCATION = 2 ** 31 - 1;

/** Throws OutOfMemory naming `what` and its size when one allocation cannot hold it. */
export function requireAllocatable(bytes, what = 'this buffer') {
  if (bytes > MAX_ALLOCATION) {
    fail('OutOfMemory', `cannot allocate ${bytes} bytes for ${what}: one WebAssembly allocation holds at most ${MAX_ALLOCATION}`);
  }
}

/** malloc with the size checked first; OutOfMemory names the size. */
export function allocate(m, bytes) {
  if (!Number.isSafeInteger(bytes) || bytes < 0) fail('InvalidArgument', `cannot allocate ${show(bytes)} bytes`);
  requireAllocatable(bytes);
  const p = m._malloc(bytes) >>> 0;
  if (p === 0) {
    fail('OutOfMemory', `cannot allocate ${bytes} bytes of WebAssembly memory (the heap has ${m.HEAPU8.length} bytes)`);
  }
  return p;
}

// Yield to the event loop at most every ~16 ms of work, so a page stays
// responsive and an AbortSignal can fire while wasm works synchronously,
// without paying a timer's delay for every step.
export function makeYielder() {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 16) return;
    await new Promise((r) => setTimeout(r, 0));
    last = performance.now();
  };
}
