// The tutorial's "quantized matmul vs FP32" benchmark: a rows × cols weight
// matrix of any weight type times n_tokens activation columns, through the
// engine's own path (ops.h: activations quantized to the type's
// vec_dot_type, then the type's gemm or vec_dot), so the figures are what a
// forward pass gets from that matrix. n_tokens = 1 is generation (one
// matrix-vector product per token), n_tokens = 256 is a prompt batch.
#pragma once

#include <cstdint>
#include <memory>

#include "formats/type_traits.h"
#include "parallel/thread_pool.h"

namespace quantlab {

struct MatmulBenchOptions {
    int64_t rows = 4096;           // output features (weight rows)
    int64_t cols = 4096;           // input features (row length)
    int64_t n_tokens = 1;          // activation columns
    double min_seconds = 0.25;     // repeat until this much time was measured (and at least 3 runs)
    int64_t max_reps = 1000;       // ... but never more samples than this (a sample of a small matrix repeats it to last >= 5 ms)
    uint32_t seed = 1;
    KernelVariant variant = default_kernel_variant();
    int threads = 1;               // a pool of this size splits the rows (0 = one per physical core)
    std::shared_ptr<ThreadPool> pool = nullptr;  // or this pool (threads is then ignored)
    double (*clock)() = nullptr;   // seconds; null = the steady clock (tests pass a coarse or jumping one)
};

struct MatmulBenchResult {
    int64_t reps = 0;         // multiplications timed
    double seconds = 0;       // median time of one multiplication (activation quantization included)
    double best_seconds = 0;  // fastest repetition
    double gflops = 0;        // 2·rows·cols·n_tokens / seconds
    double weight_gbps = 0;   // weight bytes read once per multiplication / seconds
    uint64_t weight_bytes = 0;
    uint64_t activation_bytes = 0;  // the quantized activations
    double checksum = 0;      // sum of the outputs of the last repetition (same for every variant and thread count)
    int threads = 1;          // the pool's size (1 in builds without threads)
};

// Throws Error(Unsupported) for types that cannot be a weight in a
// multiplication (activation-only types such as q8_K), Error(BadLength) when
// cols is not a whole number of blocks of the type and of its vec_dot_type,
// Error(InvalidArgument) for non-positive sizes.
MatmulBenchResult bench_matmul(const TypeTraits& type, const MatmulBenchOptions& opt);

}  // namespace quantlab
