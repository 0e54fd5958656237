// SIMD128 twins of the kernels in formats/ref/iq3_quants_ref.h: same contract
// (identical bytes / floats; dot products within 1e-5 relative of the
// reference, and bit for bit what gemm_iq3_*_q8_K_simd128 computes).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_iq3_xxs_simd128(const float* x, void* y, int64_t k);
size_t quantize_iq3_xxs_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_iq3_xxs_simd128(const void* x, float* y, int64_t k);
float vec_dot_iq3_xxs_q8_K_simd128(int64_t n, const void* x, const void* y);

void quantize_row_iq3_s_simd128(const float* x, void* y, int64_t k);
size_t quantize_iq3_s_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_iq3_s_simd128(const void* x, float* y, int64_t k);
float vec_dot_iq3_s_q8_K_simd128(int64_t n, const void* x, const void* y);

}  // namespace quantlab
