// Matrix products of the 32-value block formats (and IQ4_NL, which shares
// their block shape) with Q8_0/Q8_1 activations: the GemmFn contract of
// formats/kernel_types.h, equal bit for bit to the format's SIMD128 vec_dot.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_q8_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q4_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q4_1_q8_1_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q5_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q5_1_q8_1_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_iq4_nl_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
