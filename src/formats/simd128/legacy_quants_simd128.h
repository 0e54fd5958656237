// SIMD128 kernels of the 32-value block formats. Each has the same contract as
// its _ref twin in formats/ref/legacy_quants_ref.h: quantizers give identical
// bytes, dequantizers identical floats, dot products agree to 1e-5 relative.
// The chunk quantizers run the SIMD row kernel without an importance matrix
// and hand imatrix-weighted work to the reference implementation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_q8_0_simd128(const float* x, void* y, int64_t k);
size_t quantize_q8_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q8_0_simd128(const void* x, float* y, int64_t k);
float vec_dot_q8_0_q8_0_simd128(int64_t n, const void* x, const void* y);

void quantize_row_q4_0_simd128(const float* x, void* y, int64_t k);
size_t quantize_q4_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q4_0_simd128(const void* x, float* y, int64_t k);
float vec_dot_q4_0_q8_0_simd128(int64_t n, const void* x, const void* y);

void quantize_row_q4_1_simd128(const float* x, void* y, int64_t k);
size_t quantize_q4_1_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q4_1_simd128(const void* x, float* y, int64_t k);
float vec_dot_q4_1_q8_1_simd128(int64_t n, const void* x, const void* y);

void quantize_row_q5_0_simd128(const float* x, void* y, int64_t k);
size_t quantize_q5_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q5_0_simd128(const void* x, float* y, int64_t k);
float vec_dot_q5_0_q8_0_simd128(int64_t n, const void* x, const void* y);

void quantize_row_q5_1_simd128(const float* x, void* y, int64_t k);
size_t quantize_q5_1_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q5_1_simd128(const void* x, float* y, int64_t k);
float vec_dot_q5_1_q8_1_simd128(int64_t n, const void* x, const void* y);

// Q8_1 is the activation format of Q4_1/Q5_1: no imatrix path, no dot product.
void quantize_row_q8_1_simd128(const float* x, void* y, int64_t k);
size_t quantize_q8_1_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_q8_1_simd128(const void* x, float* y, int64_t k);

}  // namespace quantlab
