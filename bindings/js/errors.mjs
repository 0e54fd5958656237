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
