// gemm of IQ3_XXS and IQ3_S: each 32-value group is unpacked to its signed
// grid coordinates times the group's odd scale 2 ls + 1, the integers the
// vec_dots in iq3_quants_simd128.cpp multiply (|62 * 31| fits int16), and
// handed to the shared super-block tile loop (gemm_superblock_simd128.h
// explains the bit-exactness). The float scale is the one the vec_dot uses:
// d / 4 for IQ3_XXS (its 0.5 (ls + 0.5) 0.5 = (2 ls + 1) / 4), d for IQ3_S.
#include "formats/simd128/iq3_quants_gemm_simd128.h"

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/iq3_quants_simd128.h"
#include "formats/simd128/iq3_unpack_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

void unpack_iq3_xxs(const block_iq3_xxs& b, int16_t* q, int16_t*, float* d, float*) {
    for (int ib = 0; ib < QK_K / 32; ++ib) {
        const uint32_t aux = iq3xxs_signs_scale(b, ib);
        const v128_t ls = wasm_i16x8_splat(int16_t(2 * (aux >> 28) + 1));
        v128_t v[2];
        iq3xxs_group_bytes(b, ib, aux, v);
        store_i8x16_scaled(q + 32 * ib, v[0], ls);
        store_i8x16_scaled(q + 32 * ib + 16, v[1], ls);
    }
    *d = fp16_to_fp32(b.d) * 0.25f;
}

void unpack_iq3_s(const block_iq3_s& b, int16_t* q, int16_t*, float* d, float*) {
    for (int ib = 0; ib < QK_K / 32; ++ib) {
        const v128_t ls = wasm_i16x8_splat(int16_t(2 * iq3s_scale(b, ib) + 1));
        v128_t v[2];
        iq3s_group_bytes(b, ib, v);
        store_i8x16_scaled(q + 32 * ib, v[0], ls);
        store_i8x16_scaled(q + 32 * ib + 16, v[1], ls);
    }
    *d = fp16_to_fp32(b.d);
}

// Both formats: the shared tile loop over rows unpacked by unpack, with the
// vec_dot it reproduces for single tokens.
template <class Block>
void gemm_iq3(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
              int64_t n_tokens, float* y, size_t y_stride, void (*unpack)(const Block&, int16_t*, int16_t*, float*, float*),
              float (*vec_dot)(int64_t, const void*, const void*)) {
    auto rows = [unpack](const void* wp, size_t rb, int64_t nr, int64_t k, SuperblockRows& out) {
        unpack_superblock_rows<Block>(wp, rb, nr, k, out, unpack);
    };
    gemm_superblock<SuperblockTerm::None>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows,
                                          vec_dot);
}

}  // namespace

void gemm_iq3_xxs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq3<block_iq3_xxs>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, unpack_iq3_xxs,
                            vec_dot_iq3_xxs_q8_K_simd128);
}

void gemm_iq3_s_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_iq3<block_iq3_s>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, unpack_iq3_s,
                          vec_dot_iq3_s_q8_K_simd128);
}

}  // namespace quantlab
