// Reference (scalar) kernels of the 3-bit lattice formats IQ3_XXS and IQ3_S
// (ggml-quants.c algorithms; the quantizers live in iq3_quantize.h, shared
// with the SIMD128 twins).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_iq3_xxs_ref(const float* x, void* y, int64_t k);
size_t quantize_iq3_xxs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_iq3_xxs_ref(const void* x, float* y, int64_t k);
float vec_dot_iq3_xxs_q8_K_ref(int64_t n, const void* x, const void* y);

void quantize_row_iq3_s_ref(const float* x, void* y, int64_t k);
size_t quantize_iq3_s_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_iq3_s_ref(const void* x, float* y, int64_t k);
float vec_dot_iq3_s_q8_K_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
