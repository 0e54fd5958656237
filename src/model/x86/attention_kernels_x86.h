// Native x86 twins of attention's inner loops (model/attention_kernels.h),
// one per kernel level, each bit-identical to the SIMD128 loop it replaces.
#pragma once

#include <cstdint>

#include "formats/x86/cpu_features.h"

namespace quantlab::x86 {

struct AttentionKernels {
    // accumulate_values_f16 for the first columns, whole registers of them;
    // returns how many columns it did (the caller does the rest).
    int64_t (*accumulate_values_f16)(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs,
                                     int64_t n, int64_t d);
    // accumulate_values_f16_queries for the first columns (nq 1..4); returns how many.
    int64_t (*accumulate_values_f16_queries)(float* const* acc, const float* v, int64_t v_stride, const float* const* ms,
                                             const float* const* vs, const int64_t* n, int nq, int64_t d);
    // accumulate_values_f32_queries for the first columns (nq 1..4); returns how many.
    int64_t (*accumulate_values_f32_queries)(float* const* acc, const float* v, int64_t v_stride, const float* const* w,
                                             const int64_t* n, int nq, int64_t d);
    // exp_f32 and silu_mul_f32 (model/exp_kernels.h), whole registers only;
    // each returns how many values it did. Softmax weights and SiLU share the exp.
    int64_t (*exp_f32)(const float* x, float* y, int64_t n);
    int64_t (*silu_mul_f32)(float* g, const float* u, int64_t n);
    // dot_f32_keys for d a multiple of 32 (dot_f32's vector loop, no tail).
    void (*dot_f32_keys)(const float* K, int64_t k_stride, int64_t n_keys, const float* const* q, int nq, int64_t d,
                         float* scores);
};

const AttentionKernels& attention_kernels_avx2();
const AttentionKernels& attention_kernels_avx512vnni();

// The kernels of a level (the active one by default), or nullptr for Off.
const AttentionKernels* attention_kernels(Level level = active_level());

}  // namespace quantlab::x86
