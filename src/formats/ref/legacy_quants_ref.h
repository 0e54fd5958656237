// Reference (scalar) kernels of the 32-value block formats Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0 and Q8_1. Algorithms follow ggml-quants.c; these definitions are
// what the SIMD128 versions are tested against.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

// Row quantizers without importance weights (ggml quantize_row_<t>_ref).
void quantize_row_q4_0_ref(const float* x, void* y, int64_t k);
void quantize_row_q4_1_ref(const float* x, void* y, int64_t k);
void quantize_row_q5_0_ref(const float* x, void* y, int64_t k);
void quantize_row_q5_1_ref(const float* x, void* y, int64_t k);
void quantize_row_q8_0_ref(const float* x, void* y, int64_t k);
void quantize_row_q8_1_ref(const float* x, void* y, int64_t k);

// Chunk quantizers (ggml quantize_<t>): imatrix-weighted when one is given.
size_t quantize_q4_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q4_1_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q5_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q5_1_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q8_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q8_1_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

void dequantize_row_q4_0_ref(const void* x, float* y, int64_t k);
void dequantize_row_q4_1_ref(const void* x, float* y, int64_t k);
void dequantize_row_q5_0_ref(const void* x, float* y, int64_t k);
void dequantize_row_q5_1_ref(const void* x, float* y, int64_t k);
void dequantize_row_q8_0_ref(const void* x, float* y, int64_t k);
void dequantize_row_q8_1_ref(const void* x, float* y, int64_t k);

// Dot products against the activation type ggml pairs each weight type with.
float vec_dot_q4_0_q8_0_ref(int64_t n, const void* x, const void* y);
float vec_dot_q4_1_q8_1_ref(int64_t n, const void* x, const void* y);
float vec_dot_q5_0_q8_0_ref(int64_t n, const void* x, const void* y);
float vec_dot_q5_1_q8_1_ref(int64_t n, const void* x, const void* y);
float vec_dot_q8_0_q8_0_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
