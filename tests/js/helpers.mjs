// Small helpers the JS suites share.
import { sharedDir } from './golden.mjs';

/** A file of ../shared/reference (the stories260K models, eval.txt). */
export const ref = (name) => `${sharedDir}/reference/${name}`;

/** The error a promise rejects with; fails if it resolves. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** The error fn throws; fails if it returns. */
export function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}
