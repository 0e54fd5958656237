// gemm of IQ4_XS: each 32-value sub-block is unpacked to its table levels
// (ggml-common.h kvalues_iq4nl) times the sub-block's 6-bit scale minus 32,
// the integers vec_dot_iq4_xs_q8_K_simd128 multiplies, and handed to the
// shared super-block tile loop (gemm_superblock_simd128.h explains the
// bit-exactness). |level * scale| <= 127 * 32, well inside int16.
#include "formats/simd128/iq_quants_gemm_simd128.h"

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/iq_quants_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

void gemm_iq4_xs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    auto rows = [](const void* wp, size_t rb, int64_t nr, int64_t k, SuperblockRows& out) {
        const v128_t table = wasm_v128_load(kIq4nlValues), m4 = wasm_i8x16_splat(0x0F);
        unpack_superblock_rows<block_iq4_xs>(
            wp, rb, nr, k, out, [&](const block_iq4_xs& b, int16_t* q, int16_t*, float* d, float*) {
                for (int ib = 0; ib < QK_K / 32; ++ib) {
                    // Scale bits as in the vec_dot: low nibble from scales_l, two high bits from scales_h.
                    const int ls = ((b.scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((b.scales_h >> 2 * ib) & 3) << 4);
                    const v128_t s = wasm_i16x8_splat(int16_t(ls - 32));
                    const v128_t qs = wasm_v128_load(b.qs + 16 * ib);
                    // Low nibbles are values 0..15 of the sub-block, high nibbles 16..31.
                    store_i8x16_scaled(q + 32 * ib, wasm_i8x16_swizzle(table, wasm_v128_and(qs, m4)), s);
                    store_i8x16_scaled(q + 32 * ib + 16, wasm_i8x16_swizzle(table, wasm_u8x16_shr(qs, 4)), s);
                }
                *d = fp16_to_fp32(b.d);
            });
    };
    gemm_superblock<SuperblockTerm::None>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows,
                                          vec_dot_iq4_xs_q8_K_simd128);
}

}  // namespace quantlab
