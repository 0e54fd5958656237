// SIMD128 twins of the kernels in formats/ref/iq_quants_ref.h: same contract
// (identical bytes / floats; dot products within 1e-5 relative).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

// The chunk quantizers run the scale search in SIMD with or without an
// importance matrix (the weights only change the per-value factors).
void quantize_row_iq4_nl_simd128(const float* x, void* y, int64_t k);
size_t quantize_iq4_nl_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_iq4_nl_simd128(const void* x, float* y, int64_t k);
float vec_dot_iq4_nl_q8_0_simd128(int64_t n, const void* x, const void* y);

void quantize_row_iq4_xs_simd128(const float* x, void* y, int64_t k);
size_t quantize_iq4_xs_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
void dequantize_row_iq4_xs_simd128(const void* x, float* y, int64_t k);
float vec_dot_iq4_xs_q8_K_simd128(int64_t n, const void* x, const void* y);

}  // namespace quantlab
