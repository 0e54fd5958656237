// Reference (scalar) kernels of the 256-value super-block K-quants
// Q2_K .. Q6_K and the activation format Q8_K (ggml-quants.c algorithms).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_q2_K_ref(const float* x, void* y, int64_t k);
void quantize_row_q3_K_ref(const float* x, void* y, int64_t k);
void quantize_row_q4_K_ref(const float* x, void* y, int64_t k);
void quantize_row_q5_K_ref(const float* x, void* y, int64_t k);
void quantize_row_q6_K_ref(const float* x, void* y, int64_t k);
void quantize_row_q8_K_ref(const float* x, void* y, int64_t k);

size_t quantize_q2_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q3_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q4_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q5_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_q6_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

void dequantize_row_q2_K_ref(const void* x, float* y, int64_t k);
void dequantize_row_q3_K_ref(const void* x, float* y, int64_t k);
void dequantize_row_q4_K_ref(const void* x, float* y, int64_t k);
void dequantize_row_q5_K_ref(const void* x, float* y, int64_t k);
void dequantize_row_q6_K_ref(const void* x, float* y, int64_t k);
void dequantize_row_q8_K_ref(const void* x, float* y, int64_t k);

float vec_dot_q2_K_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_q3_K_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_q4_K_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_q5_K_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_q6_K_q8_K_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
