// AVX-512 VNNI gemm for the 32-value formats: Q4_0, Q5_0, Q8_0, IQ4_NL with
// Q8_0 activations, Q4_1 and Q5_1 with Q8_1 activations. Same contract as the SIMD128 gemm they replace
// (GemmFn, formats/kernel_types.h): bit for bit the SIMD128 vec_dot. Only call
// them when x86::has_avx512vnni() is true.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_q4_0_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q5_0_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q8_0_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_iq4_nl_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                                 size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

void gemm_q4_1_q8_1_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_q5_1_q8_1_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
