// The matmul benchmark (ql.benchMatmul: the engine's kernel path).
export function benchJobs(ql) {
  return {
    benchMatmul({ type, rows, cols, nTokens, minMs = 250, maxReps }) {
      return { type, rows, cols, nTokens, ...ql.benchMatmul(type, { rows, cols, nTokens, minMs, maxReps }) };
    },
  };
}
