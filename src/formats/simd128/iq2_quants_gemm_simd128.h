// Matrix products of IQ2_XXS, IQ2_XS and IQ2_S with Q8_K activations: the
// GemmFn contract of formats/kernel_types.h, equal bit for bit to the
// vec_dot_iq2_*_q8_K_simd128 of the same type.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_iq2_xxs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_iq2_xs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_iq2_s_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
