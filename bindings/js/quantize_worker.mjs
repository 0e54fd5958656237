// A converter for ql.quantizeModel({workers}): its own wasm module and
// QuantizeSession begun from the same header and options as the main
// thread's, so any tensor converts to the same bytes here as there. The main
// thread does all reading and writing; row chunks of a tensor (never whole
// tensors) arrive and leave as transferred ArrayBuffers (no
// SharedArrayBuffer, so no COOP/COEP needed).
// Runs as a browser module worker, or in Node under the worker_threads shim
// in node.mjs that provides postMessage / onmessage.
import createQuantlabModule from './quantlab_wasm.mjs';
import { beginSession, convertRows } from './quantize_model.mjs';

let m = null;
let session = null;

const post = (msg, transfer = []) => globalThis.postMessage(msg, transfer);

globalThis.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === 'init') {
      m = await createQuantlabModule(msg.wasmBinary ? { wasmBinary: msg.wasmBinary } : {});
      const r = beginSession(m, msg.prefixes, msg.sizes, msg.options, msg.imatrix);
      session = r.session;
      if (!r.begun.complete) throw Object.assign(new Error('the header prefix is incomplete'), { code: 'Internal' });
      post({ type: 'begun', outputSize: r.begun.plan.outputSize });
    } else if (msg.type === 'rows') {
      const out = convertRows(m, session, msg.index, msg.r0, msg.r1, new Uint8Array(msg.data));
      post({ type: 'converted', index: msg.index, data: out.buffer }, [out.buffer]);
    } else {
      throw new Error(`unknown message ${msg.type}`);
    }
  } catch (e) {
    post({ type: 'error', code: e?.code ?? 'Internal', message: String(e?.message ?? e) });
  }
};

post({ type: 'ready' });
