#pragma once

namespace quantlab::cli {

// quantlab bench-matmul [--type T | all] [--rows R] [--cols C] [-n N] [--min-ms M] [--scalar]:
// the tutorial's "quantized matmul vs FP32" (model/matmul_bench.h), one
// markdown row per type with GFLOP/s, speed-up over F32 and weight GB/s.
int run_bench_matmul(int argc, char** argv);

}  // namespace quantlab::cli
