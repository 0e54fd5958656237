// F32, F16 and BF16 "formats": one value per block.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_f32_ref(const float* x, void* y, int64_t k);
void dequantize_row_f32_ref(const void* x, float* y, int64_t k);
float vec_dot_f32_f32_ref(int64_t n, const void* x, const void* y);

void quantize_row_f16_ref(const float* x, void* y, int64_t k);
void dequantize_row_f16_ref(const void* x, float* y, int64_t k);
float vec_dot_f16_f16_ref(int64_t n, const void* x, const void* y);

void quantize_row_bf16_ref(const float* x, void* y, int64_t k);
void dequantize_row_bf16_ref(const void* x, float* y, int64_t k);
float vec_dot_bf16_bf16_ref(int64_t n, const void* x, const void* y);

size_t quantize_f32_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_f16_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_bf16_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

}  // namespace quantlab
