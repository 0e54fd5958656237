// SIMD128 twins of the kernels in formats/ref/k_quants_ref.h: same contract
// (identical bytes / floats; dot products within 1e-5 relative).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_q2_K_simd128(const float* x, void* y, int64_t k);
void quantize_row_q3_K_simd128(const float* x, void* y, int64_t k);
void quantize_row_q4_K_simd128(const float* x, void* y, int64_t k);
void quantize_row_q5_K_simd128(const float* x, void* y, int64_t k);
void quantize_row_q6_K_simd128(const float* x, void* y, int64_t k);
void quantize_row_q8_K_simd128(const float* x, void* y, int64_t k);

// Without an importance matrix these run the SIMD row quantizer; with one they
// defer to the reference chunk quantizer (ggml's *_impl search paths).
size_t quantize_q2_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q3_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q4_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q5_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q6_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
// Q8_K has no imatrix path: every row goes through the row quantizer.
size_t quantize_q8_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

void dequantize_row_q2_K_simd128(const void* x, float* y, int64_t k);
void dequantize_row_q3_K_simd128(const void* x, float* y, int64_t k);
void dequantize_row_q4_K_simd128(const void* x, float* y, int64_t k);
void dequantize_row_q5_K_simd128(const void* x, float* y, int64_t k);
void dequantize_row_q6_K_simd128(const void* x, float* y, int64_t k);
void dequantize_row_q8_K_simd128(const void* x, float* y, int64_t k);

float vec_dot_q2_K_q8_K_simd128(int64_t n, const void* x, const void* y);
// The same dot product with y's values also given widened to int16 (a16, n
// values): the gemm's single-token path widens them once for all rows.
float vec_dot_q2_K_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* a16);
float vec_dot_q3_K_q8_K_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q4_K_q8_K_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q4_K_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* a16);
float vec_dot_q5_K_q8_K_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q5_K_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* a16);
float vec_dot_q6_K_q8_K_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q6_K_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* a16);

#if defined(__wasm_relaxed_simd__)
// The same dot products on relaxed dots: one i16x8.relaxed_dot_i8x16_i7x16_s
// (a pmaddubsw on x64) per 16 values where the SIMD128 forms widen and
// multiply twice. The codes of these four formats are unsigned and below 64,
// as the relaxed dot needs; the results are the same bits (k_quants_simd128.cpp,
// Q8KRelaxedPairs). The gemms' single-token path in the relaxed module.
float vec_dot_q2_K_q8_K_relaxed_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q4_K_q8_K_relaxed_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q5_K_q8_K_relaxed_simd128(int64_t n, const void* x, const void* y);
float vec_dot_q6_K_q8_K_relaxed_simd128(int64_t n, const void* x, const void* y);
#endif

}  // namespace quantlab
