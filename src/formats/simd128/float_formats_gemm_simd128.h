// Matrix products of the float weight formats (F32, F16, BF16) with
// activations of the same type: the GemmFn contract of
// formats/kernel_types.h, equal bit for bit to the format's SIMD128 vec_dot.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_f32_f32_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                          size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_f16_f16_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                          size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);
void gemm_bf16_bf16_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
