// SIMD128 twins of the kernels in formats/ref/iq1_quants_ref.h: same contract
// (identical bytes / floats; dot products within 1e-5 relative, and equal
// bit for bit to the SIMD128 gemm of iq1_quants_gemm_simd128.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

struct IqLattice;
namespace iq1 {
struct Split;
struct HalfSums;
}  // namespace iq1

size_t quantize_iq1_s_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);
size_t quantize_iq1_m_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix);

void dequantize_row_iq1_s_simd128(const void* x, float* y, int64_t k);
void dequantize_row_iq1_m_simd128(const void* x, float* y, int64_t k);

float vec_dot_iq1_s_q8_K_simd128(int64_t n, const void* x, const void* y);
float vec_dot_iq1_m_q8_K_simd128(int64_t n, const void* x, const void* y);

// The same dot products with the activation row already widened to int16
// (gemm_superblock's single-token path widens it once for all rows).
float vec_dot_iq1_s_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16);
float vec_dot_iq1_m_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16);

// The quantizers' searches on their own, for tests against the reference's
// (iq1::RefSteps in formats/ref/iq1_search.h): the split searches over prefix
// sums and the grid neighbour search over one neighbour list.
iq1::Split iq1_split_s_simd128(const float* sumx, const float* sumw);
iq1::Split iq1_split_m_simd128(const iq1::HalfSums& hs);
int iq1_neighbour_simd128(const IqLattice& lat, const uint16_t* list, const float* x, const float* w, float scale,
                          const float* xg, int8_t* L);

}  // namespace quantlab
