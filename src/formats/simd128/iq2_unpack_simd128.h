// Decoding steps of the IQ2_XXS / IQ2_XS / IQ2_S super-blocks shared by the
// SIMD128 kernels that read them: dequantizers and vec_dots
// (iq2_quants_simd128.cpp) and the gemm panels (iq2_quants_gemm_simd128.cpp).
// Where each sub-block's grid points, signs and scales sit comes from
// formats/ref/iq2_search.h (sub_block), as the reference reads them.
#pragma once

#include <cstdint>

#include "formats/ref/iq2_search.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// Sign byte s spread to bytes: 0xff where bit j of s is set.
struct Iq2SignTables {
    uint64_t bytes[256];
    constexpr Iq2SignTables() : bytes() {
        for (int s = 0; s < 256; ++s) {
            for (int j = 0; j < 8; ++j) {
                if ((s >> j) & 1) bytes[s] |= uint64_t(0xff) << (8 * j);
            }
        }
    }
};
inline constexpr Iq2SignTables kIq2SignTables{};

// The 16 signed values (grid byte, negated by its sign bit) of groups l and
// l + 1 of a sub-block, as int8 lanes.
inline v128_t iq2_signed_pair(const iq2::SubBlock& sb, int l) {
    const v128_t g = wasm_i64x2_make(int64_t(sb.grid[l]), int64_t(sb.grid[l + 1]));
    const v128_t m = wasm_i64x2_make(int64_t(kIq2SignTables.bytes[sb.signs[l]]), int64_t(kIq2SignTables.bytes[sb.signs[l + 1]]));
    return wasm_i8x16_sub(wasm_v128_xor(g, m), m);  // (g ^ m) - m: g where m = 0, -g where m = -1
}

// A super-block as 256 int16 values already multiplied by their 16-value
// group's odd scale 2s + 1 (|43 * 31| fits int16): what the vec_dots and the
// gemm multiply the activations with. The float scale that goes with them is
// iq2_unpacked_d.
template <class Block>
inline void unpack_iq2_superblock(const Block& b, int16_t* q) {
    for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
        const iq2::SubBlock sb = iq2::sub_block(b, ib32);
        for (int h = 0; h < 2; ++h) {
            const v128_t v = iq2_signed_pair(sb, 2 * h);
            const v128_t ls = wasm_i16x8_splat(int16_t(2 * sb.scale[h] + 1));
            int16_t* out = q + 32 * ib32 + 16 * h;
            wasm_v128_store(out, wasm_i16x8_mul(wasm_i16x8_extend_low_i8x16(v), ls));
            wasm_v128_store(out + 8, wasm_i16x8_mul(wasm_i16x8_extend_high_i8x16(v), ls));
        }
    }
}

// ggml's dot products end with 0.125 * sum(d * bsum); the SIMD128 kernels
// fold the 1/8 into the block scale (exact: a power of two times an fp16).
template <class Block>
inline float iq2_unpacked_d(const Block& b) {
    return fp16_to_fp32(b.d) * 0.125f;
}

}  // namespace quantlab::simd
