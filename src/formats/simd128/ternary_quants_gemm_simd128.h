// Matrix products of TQ1_0 and TQ2_0 with Q8_K activations: the GemmFn
// contract of formats/kernel_types.h, equal bit for bit to
// vec_dot_tq1_0_q8_K_simd128 / vec_dot_tq2_0_q8_K_simd128.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_tq1_0_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_tq2_0_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
