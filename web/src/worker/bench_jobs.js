// The matmul benchmark (ql.benchMatmul: the engine's kernel path).
export function benchJobs(ql) {
  return {
    benchMatmul({ type, rows, cols, nTokens, minMs = 250, maxReps, threads = 1 }) {
      return { type, rows, cols, nTokens, threads, ...ql.benchMatmul(type, { rows, cols, nTokens, minMs, maxReps, threads }) };
    },
  };
}
