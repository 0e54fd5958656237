// SIMD128 twins of the kernels in formats/ref/float_formats_ref.h: same contract
// (identical bytes / floats; dot products within 1e-5 relative).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

float vec_dot_f32_f32_simd128(int64_t n, const void* x, const void* y);

void quantize_row_f16_simd128(const float* x, void* y, int64_t k);
size_t quantize_f16_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_f16_simd128(const void* x, float* y, int64_t k);
float vec_dot_f16_f16_simd128(int64_t n, const void* x, const void* y);

void quantize_row_bf16_simd128(const float* x, void* y, int64_t k);
size_t quantize_bf16_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_bf16_simd128(const void* x, float* y, int64_t k);
float vec_dot_bf16_bf16_simd128(int64_t n, const void* x, const void* y);

}  // namespace quantlab
