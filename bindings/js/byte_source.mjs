// Random-access reads from whatever holds a model file, so large files are
// never loaded whole: a Blob/File is sliced, a Node file is read by offset.
import { fail } from './errors.mjs';

let pathOpener = null;

/** Node's entry registers how to open a file path. */
export function registerPathOpener(open) {
  pathOpener = open;
}

/** Normalize a model source into {size, read(offset, length) -> Promise<Uint8Array>, close?}. */
export async function toByteSource(source) {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) {
    return { size: source.length, read: async (o, n) => source.subarray(o, o + n) };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return { size: source.size, read: async (o, n) => new Uint8Array(await source.slice(o, o + n).arrayBuffer()) };
  }
  if (typeof source === 'string') {
    if (!pathOpener) fail('InvalidArgument', 'file paths can only be opened in Node; pass a File, Blob or ArrayBuffer');
    return pathOpener(source);
  }
  if (source && typeof source.read === 'function' && Number.isSafeInteger(source.size)) return source;
  fail('InvalidArgument', 'a model source must be an ArrayBuffer, Uint8Array, Blob/File, a path (Node) or {size, read}');
}
