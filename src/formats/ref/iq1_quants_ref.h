// Reference (scalar) kernels of the 1-bit lattice quants IQ1_S and IQ1_M
// (ggml-quants.c algorithms; layouts in formats/block_types.h).
//
// Neither has a row quantizer (ggml's from_float_ref is NULL for both), and
// IQ1_S has no quantizer without an importance matrix
// (ggml_quantize_requires_imatrix): quantize_iq1_s_ref throws
// Error(InvalidArgument) when imatrix is null. IQ1_M without one weights each
// value by x^2, as ggml does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

size_t quantize_iq1_s_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_iq1_m_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

void dequantize_row_iq1_s_ref(const void* x, float* y, int64_t k);
void dequantize_row_iq1_m_ref(const void* x, float* y, int64_t k);

float vec_dot_iq1_s_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_iq1_m_q8_K_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
