// AVX-512 VNNI gemm for the 256-value super-block formats with Q8_K
// activations: the K-quants Q2_K .. Q6_K and IQ4_XS. Same contract as the SIMD128 gemm they replace
// (GemmFn, formats/kernel_types.h): bit for bit the SIMD128 vec_dot. Only call
// them when x86::has_avx512vnni() is true.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_q2_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q3_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q4_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q5_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q6_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

void gemm_iq4_xs_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                                 size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
