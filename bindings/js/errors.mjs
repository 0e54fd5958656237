// Errors shared by every part of the JS API.

/** Error thrown by every quantlab call; `code` names the kind of failure. */
export class QuantlabError extends Error {
  constructor(code, message) {
    super(message);
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

export function checkSignal(signal) {
  if (signal?.aborted) fail('Cancelled', 'the operation was cancelled');
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
