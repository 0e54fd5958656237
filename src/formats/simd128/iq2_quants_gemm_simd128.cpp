// gemm of IQ2_XXS / IQ2_XS / IQ2_S: each super-block is unpacked to its signed
// grid values times their group's odd scale (iq2_unpack_simd128.h), the
// int16 values vec_dot_iq2_*_q8_K_simd128 multiplies, with d / 8 as the float
// scale, and handed to the shared super-block tile loop
// (gemm_superblock_simd128.h explains the bit-exactness).
#include "formats/simd128/iq2_quants_gemm_simd128.h"

#include "formats/kernel_types.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/iq2_quants_simd128.h"
#include "formats/simd128/iq2_unpack_simd128.h"

namespace quantlab {

using namespace simd;

namespace {

template <class Block>
void gemm_iq2(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
              int64_t n_tokens, float* y, size_t y_stride, VecDotFn vec_dot, WideVecDotFn wide_vec_dot) {
    auto rows = [](const void* wp, size_t rb, int64_t nr, int64_t k, SuperblockRows& out) {
        unpack_superblock_rows<Block>(wp, rb, nr, k, out, [](const Block& b, int16_t* q, int16_t*, float* d, float*) {
            unpack_iq2_superblock(b, q);
            *d = iq2_unpacked_d(b);
        });
    };
    gemm_superblock<SuperblockTerm::None>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows,
                                          vec_dot, wide_vec_dot);
}

}  // namespace

void gemm_iq2_xxs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq2<block_iq2_xxs>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride,
                            vec_dot_iq2_xxs_q8_K_simd128, vec_dot_iq2_xxs_q8_K_wide_simd128);
}

void gemm_iq2_xs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq2<block_iq2_xs>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride,
                           vec_dot_iq2_xs_q8_K_simd128, vec_dot_iq2_xs_q8_K_wide_simd128);
}

void gemm_iq2_s_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq2<block_iq2_s>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride,
                          vec_dot_iq2_s_q8_K_simd128, vec_dot_iq2_s_q8_K_wide_simd128);
}

}  // namespace quantlab
