// The bench engine on the plain SIMD128 builds (one thread and threaded), beside the default (relaxed
// SIMD where the browser has it) in the same run: scripts/bench-engine.sh
// copies it next to engine.js as engine_simd128.js.
import create from './engine.js';

export default (options) => create({ ...options, wasmVariant: 'simd128' });
