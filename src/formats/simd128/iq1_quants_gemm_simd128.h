// Matrix products of IQ1_S / IQ1_M with Q8_K activations: the GemmFn contract
// of formats/kernel_types.h, equal bit for bit to vec_dot_iq1_*_q8_K_simd128.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_iq1_s_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_iq1_m_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
