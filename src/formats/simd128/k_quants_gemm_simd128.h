// Matrix products of the K-quant formats (Q2_K .. Q6_K) with Q8_K
// activations: the GemmFn contract of formats/kernel_types.h, equal bit for
// bit to the format's SIMD128 vec_dot (k_quants_simd128.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_q2_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q3_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q4_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q5_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q6_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
