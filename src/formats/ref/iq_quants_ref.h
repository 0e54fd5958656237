// Reference (scalar) kernels of the non-linear 4-bit formats IQ4_NL and IQ4_XS.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_iq4_nl_ref(const float* x, void* y, int64_t k);
void quantize_row_iq4_xs_ref(const float* x, void* y, int64_t k);

size_t quantize_iq4_nl_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_iq4_xs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

void dequantize_row_iq4_nl_ref(const void* x, float* y, int64_t k);
void dequantize_row_iq4_xs_ref(const void* x, float* y, int64_t k);

float vec_dot_iq4_nl_q8_0_ref(int64_t n, const void* x, const void* y);
float vec_dot_iq4_xs_q8_K_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
