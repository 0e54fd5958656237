// gemm of IQ1_S / IQ1_M: each super-block is unpacked to the int16 values
// 8 * ls * (g + delta) that vec_dot_iq1_*_q8_K_simd128 multiplies
// (iq1_unpack_simd128.h), with d / 8 as the float scale, and handed to the
// shared super-block tile loop (gemm_superblock_simd128.h explains the
// bit-exactness).
#include "formats/simd128/iq1_quants_gemm_simd128.h"

#include "formats/kernel_types.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/iq1_quants_simd128.h"
#include "formats/simd128/iq1_unpack_simd128.h"

namespace quantlab {

using namespace simd;

namespace {

template <class Block>
void gemm_iq1(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
              int64_t n_tokens, float* y, size_t y_stride, VecDotFn vec_dot, WideVecDotFn wide_vec_dot) {
    auto rows = [](const void* wp, size_t rb, int64_t nr, int64_t k, SuperblockRows& out) {
        unpack_superblock_rows<Block>(wp, rb, nr, k, out, [](const Block& b, int16_t* q, int16_t*, float* d, float*) {
            unpack_iq1_superblock(b, q);
            *d = iq1_unpacked_d(b);
        });
    };
    gemm_superblock<SuperblockTerm::None>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows,
                                          vec_dot, wide_vec_dot);
}

}  // namespace

void gemm_iq1_s_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq1<block_iq1_s>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride,
                          vec_dot_iq1_s_q8_K_simd128, vec_dot_iq1_s_q8_K_wide_simd128);
}

void gemm_iq1_m_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq1<block_iq1_m>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride,
                          vec_dot_iq1_m_q8_K_simd128, vec_dot_iq1_m_q8_K_wide_simd128);
}

}  // namespace quantlab
