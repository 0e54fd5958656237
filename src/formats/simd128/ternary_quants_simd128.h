// SIMD128 twins of the kernels in formats/ref/ternary_quants_ref.h: identical
// bytes from the quantizers, identical floats from the dequantizers, and
// dot products identical to the reference's (each super-block's integer sum
// is exact in any order and the float steps are the reference's).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_tq1_0_simd128(const float* x, void* y, int64_t k);
void quantize_row_tq2_0_simd128(const float* x, void* y, int64_t k);


void dequantize_row_tq1_0_simd128(const void* x, float* y, int64_t k);
void dequantize_row_tq2_0_simd128(const void* x, float* y, int64_t k);

float vec_dot_tq1_0_q8_K_simd128(int64_t n, const void* x, const void* y);
float vec_dot_tq2_0_q8_K_simd128(int64_t n, const void* x, const void* y);

}  // namespace quantlab
