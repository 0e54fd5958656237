// SIMD128 twins of the kernels in formats/ref/mxfp4_ref.h: identical bytes
// from the quantizer, identical floats from the dequantizer, and a dot
// product identical to the reference's (one exact integer sum per block, the
// reference's float step in block order).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_mxfp4_simd128(const float* x, void* y, int64_t k);
void dequantize_row_mxfp4_simd128(const void* x, float* y, int64_t k);
float vec_dot_mxfp4_q8_0_simd128(int64_t n, const void* x, const void* y);

// The matrix product with Q8_0 activations (GemmFn of formats/kernel_types.h),
// equal bit for bit to vec_dot_mxfp4_q8_0_simd128.
void gemm_mxfp4_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
