// Reference (scalar) kernels of the 2-bit lattice quants IQ2_XXS, IQ2_XS and
// IQ2_S (ggml-quants.c algorithms; layouts in formats/block_types.h).
//
// IQ2_XXS and IQ2_XS have no quantizer without an importance matrix (ggml's
// ggml_quantize_requires_imatrix): their chunk quantizers throw
// Error(InvalidArgument) when imatrix is null, and they have no row quantizer
// (ggml's from_float_ref is NULL for both).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

size_t quantize_iq2_xxs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_iq2_xs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_iq2_s_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void quantize_row_iq2_s_ref(const float* x, void* y, int64_t k);

void dequantize_row_iq2_xxs_ref(const void* x, float* y, int64_t k);
void dequantize_row_iq2_xs_ref(const void* x, float* y, int64_t k);
void dequantize_row_iq2_s_ref(const void* x, float* y, int64_t k);

float vec_dot_iq2_xxs_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_iq2_xs_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_iq2_s_q8_K_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
