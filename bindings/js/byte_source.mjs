// Random-access reads from whatever holds a model file, so large files are
// never loaded whole: a Blob/File is sliced, a Node file is read by offset.
// Whatever the source does (throws, returns the wrong thing), the caller
// sees bytes or a QuantlabError: 'Io' for a failed read, 'Format' for a
// file that ends early.
import { fail, ioError, show } from './errors.mjs';

let pathOpener = null;

/** Node's entry registers how to open a file path. */
export function registerPathOpener(open) {
  pathOpener = open;
}

function checked(src) {
  return {
    size: src.size,
    async read(offset, length) {
      let bytes;
      try {
        bytes = await src.read(offset, length);
      } catch (e) {
        throw ioError(e, `reading ${length} bytes at offset ${offset} failed`);
      }
      if (!(bytes instanceof Uint8Array)) {
        fail('Io', `the source's read(${offset}, ${length}) returned ${show(bytes)}, not a Uint8Array`);
      }
      if (bytes.length > length) bytes = bytes.subarray(0, length);
      return bytes;
    },
    async close() {
      try {
        await src.close?.();
      } catch {
        // Closing a source that was only read cannot lose data.
      }
    },
  };
}

/** Normalize a model source into {size, read(offset, length) -> Promise<Uint8Array>, close()}. */
export async function toByteSource(source) {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) {
    const bytes = source;
    return checked({ size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) });
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const blob = source;
    return checked({ size: blob.size, read: async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()) });
  }
  if (typeof source === 'string') {
    if (!pathOpener) fail('InvalidArgument', 'file paths can only be opened in Node; pass a File, Blob or ArrayBuffer');
    try {
      return checked(await pathOpener(source));
    } catch (e) {
      throw ioError(e, `cannot open ${show(source)}`);
    }
  }
  if (source && typeof source === 'object' && typeof source.read === 'function') {
    if (!Number.isSafeInteger(source.size) || source.size < 0) {
      fail('InvalidArgument', `a {size, read} source needs a non-negative integer size, got ${show(source.size)}`);
    }
    return checked(source);
  }
  fail('InvalidArgument', 'a model source must be an ArrayBuffer, Uint8Array, Blob/File, a path (Node) or {size, read}');
}
