// SIMD128 kernels of the 32-value block formats. Each has the same contract as
// its _ref twin in formats/ref/legacy_quants_ref.h: quantizers give identical
// bytes, dequantizers identical floats, dot products agree to 1e-5 relative.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_q8_0_simd128(const float* x, void* y, int64_t k);
size_t quantize_q8_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q8_0_simd128(const void* x, float* y, int64_t k);
float vec_dot_q8_0_q8_0_simd128(int64_t n, const void* x, const void* y);

}  // namespace quantlab
