// Decoding of the IQ1_S / IQ1_M super-blocks shared by the SIMD128 kernels
// that multiply them: the vec_dots (iq1_quants_simd128.cpp) and the gemm
// panels (iq1_quants_gemm_simd128.cpp).
//
// A value is d * ls * (g + delta) with g in {-1, 0, 1} (ggml's iq1s_grid),
// an odd scale ls <= 15 and delta = +-1/8. Times 8 it is an integer:
// d / 8 * ls * (8 g +- 1), |ls * (8 g +- 1)| <= 135. So a super-block
// unpacks to 256 int16 values and one float d / 8 (exact: a power of two
// times an fp16), and the dot product with Q8_K is one exact integer sum per
// lane (|135 * 128 * 256| fits int32) instead of ggml's two sums
// (sumi + 1/8 * sumi1): the same number up to float rounding, which the
// SIMD128 contract allows (1e-5 relative to the reference, bit-identical to
// the gemm).
#pragma once

#include <cstdint>
#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/ref/iq1_search.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// Grid points a and b (11-bit indices) as 16 int8 lanes of 8 g + sign,
// sign_a / sign_b being +1 or -1 (the delta's sign of each group).
inline v128_t iq1_pair_times8(int a, int b, int8_t sign_a, int8_t sign_b) {
    const v128_t g = wasm_i64x2_make(int64_t(kIq1sGrid[a]), int64_t(kIq1sGrid[b]));
    const v128_t s = wasm_i64x2_make(int64_t(0x0101010101010101ull * uint8_t(sign_a)),
                                     int64_t(0x0101010101010101ull * uint8_t(sign_b)));
    return wasm_i8x16_add(wasm_i8x16_shl(g, 3), s);
}

// 16 int8 lanes times the int16 scales ls_lo (lanes 0..7) and ls_hi (8..15) to dst.
inline void store_iq1_scaled(int16_t* dst, v128_t v, int16_t ls_lo, int16_t ls_hi) {
    wasm_v128_store(dst, wasm_i16x8_mul(wasm_i16x8_extend_low_i8x16(v), wasm_i16x8_splat(ls_lo)));
    wasm_v128_store(dst + 8, wasm_i16x8_mul(wasm_i16x8_extend_high_i8x16(v), wasm_i16x8_splat(ls_hi)));
}

// IQ1_S: per 32 values one qh word: 3 index bits per group, the scale code
// in bits 12..14, the delta's sign in bit 15.
inline void unpack_iq1_superblock(const block_iq1_s& b, int16_t* q) {
    for (int ib = 0; ib < QK_K / 32; ++ib) {
        const unsigned qh = b.qh[ib];
        const auto ls = int16_t(2 * ((qh >> 12) & 7) + 1);
        const auto sign = int8_t(qh & 0x8000 ? -1 : 1);
        const uint8_t* qs = b.qs + 4 * ib;
        for (int h = 0; h < 2; ++h) {
            const int l = 2 * h;
            const int a = qs[l] | int((qh >> (3 * l)) & 7) << 8;
            const int c = qs[l + 1] | int((qh >> (3 * (l + 1))) & 7) << 8;
            store_iq1_scaled(q + 32 * ib + 16 * h, iq1_pair_times8(a, c, sign, sign), ls, ls);
        }
    }
}

// IQ1_M: per 32 values two qh bytes (a nibble per group: 3 index bits and
// the delta's sign) and two 3-bit scale codes (first and last 16 values).
inline void unpack_iq1_superblock(const block_iq1_m& b, int16_t* q) {
    uint16_t sc[4];
    std::memcpy(sc, b.scales, sizeof sc);
    for (int ib = 0; ib < QK_K / 32; ++ib) {
        const unsigned s = sc[ib / 2] >> (6 * (ib % 2));
        const int16_t ls[2] = {int16_t(2 * (s & 7) + 1), int16_t(2 * ((s >> 3) & 7) + 1)};
        const uint8_t* qs = b.qs + 4 * ib;
        for (int h = 0; h < 2; ++h) {
            const unsigned nib = b.qh[2 * ib + h];  // groups 2h (low nibble) and 2h + 1 (high)
            const int a = qs[2 * h] | int(nib & 7) << 8;
            const int c = qs[2 * h + 1] | int((nib >> 4) & 7) << 8;
            const v128_t v = iq1_pair_times8(a, c, int8_t(nib & 8 ? -1 : 1), int8_t(nib & 0x80 ? -1 : 1));
            store_iq1_scaled(q + 32 * ib + 16 * h, v, ls[h], ls[h]);
        }
    }
}

// The float scale of the unpacked values: the block's d over 8.
inline float iq1_unpacked_d(const block_iq1_s& b) { return fp16_to_fp32(b.d) * 0.125f; }
inline float iq1_unpacked_d(const block_iq1_m& b) { return iq1::iq1m_scale(b) * 0.125f; }

}  // namespace quantlab::simd
