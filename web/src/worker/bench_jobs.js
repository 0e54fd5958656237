// The matmul benchmark (ql.benchMatmul: the engine's kernel path).
export function benchJobs(ql) {
  return {
    benchMatmul({ type, rows, cols, nTokens, minMs = 250, maxReps, threads = 1 }) {
      // The result's `threads` is the pool's size, not the request.
      return { type, rows, cols, nTokens, ...ql.benchMatmul(type, { rows, cols, nTokens, minMs, maxReps, threads }) };
    },
  };
}
