// Unpacking of IQ3_XXS and IQ3_S groups shared by the SIMD128 kernels that
// read them: dequantizers and vec_dots (iq3_quants_simd128.cpp) and the gemm
// panels (iq3_quants_gemm_simd128.cpp). A group of 32 values becomes 32
// signed bytes, +-grid coordinate (|v| <= 62), in dequantized order.
// Layouts: ggml-common.h, formats/block_types.h.
#pragma once

#include <cstdint>
#include <cstring>

#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// 16 grid bytes (four 4-byte points) with signs applied: (b ^ s) - s, s = 0 or -1 per byte.
inline v128_t apply_signs(v128_t grid, v128_t sign_mask) {
    return wasm_i8x16_sub(wasm_v128_xor(grid, sign_mask), sign_mask);
}

// Sign masks (0x00 / 0xff) of 32 values from their 4 raw sign bytes (bit j
// of byte h: value 8h + j negative): values 0..15 in out[0], 16..31 in out[1].
inline void sign_bytes_to_masks(const uint8_t* signs, v128_t* out) {
    uint32_t word;
    std::memcpy(&word, signs, 4);
    const v128_t bytes = wasm_i32x4_splat(int32_t(word));
    const v128_t bits = wasm_i8x16_make(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const v128_t lo = wasm_i8x16_swizzle(bytes, wasm_i8x16_make(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const v128_t hi = wasm_i8x16_swizzle(bytes, wasm_i8x16_make(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    out[0] = wasm_i8x16_eq(wasm_v128_and(lo, bits), bits);
    out[1] = wasm_i8x16_eq(wasm_v128_and(hi, bits), bits);
}

// Four 4-byte grid entries in one vector, loaded straight into its lanes.
inline v128_t grid_points4(const uint32_t* grid, int i0, int i1, int i2, int i3) {
    v128_t v = wasm_v128_load32_zero(grid + i0);
    v = wasm_v128_load32_lane(grid + i1, v, 1);
    v = wasm_v128_load32_lane(grid + i2, v, 2);
    return wasm_v128_load32_lane(grid + i3, v, 3);
}

// Group ib (32 values) of an IQ3_XXS block as signed grid bytes: two vectors of 16.
inline void iq3xxs_group_bytes(const block_iq3_xxs& b, int ib, uint32_t aux, v128_t* out) {
    const uint8_t* qs = b.qs + 8 * ib;
    for (int h = 0; h < 2; ++h) {
        const v128_t grid = grid_points4(kIq3xxsGrid, qs[4 * h], qs[4 * h + 1], qs[4 * h + 2], qs[4 * h + 3]);
        const v128_t signs = wasm_i64x2_make(int64_t(kIq2xsSignBytes[(aux >> (14 * h)) & 127]),
                                             int64_t(kIq2xsSignBytes[(aux >> (14 * h + 7)) & 127]));
        out[h] = apply_signs(grid, signs);
    }
}

// The eight 9-bit grid indices of IQ3_S group ib: qs[m] | (bit m of qh) << 8.
inline void iq3s_indices(const block_iq3_s& b, int ib, uint16_t* idx) {
    const v128_t lo = wasm_u16x8_load8x8(b.qs + 8 * ib);
    const v128_t bits = wasm_i16x8_make(1, 2, 4, 8, 16, 32, 64, 128);
    const v128_t high = wasm_v128_and(wasm_i16x8_ne(wasm_v128_and(wasm_i16x8_splat(b.qh[ib]), bits), wasm_i16x8_splat(0)),
                                      wasm_i16x8_splat(256));
    wasm_v128_store(idx, wasm_v128_or(lo, high));
}

// Group ib of an IQ3_S block as signed grid bytes.
inline void iq3s_group_bytes(const block_iq3_s& b, int ib, v128_t* out) {
    uint16_t idx[8];
    iq3s_indices(b, ib, idx);
    v128_t masks[2];
    sign_bytes_to_masks(b.signs + 4 * ib, masks);
    for (int h = 0; h < 2; ++h) {
        const uint16_t* i = idx + 4 * h;
        out[h] = apply_signs(grid_points4(kIq3sGrid, i[0], i[1], i[2], i[3]), masks[h]);
    }
}

// IQ3_XXS group ib's word: four 7-bit sign indices, the 4-bit scale on top.
inline uint32_t iq3xxs_signs_scale(const block_iq3_xxs& b, int ib) {
    uint32_t aux;
    std::memcpy(&aux, b.qs + QK_K / 4 + 4 * ib, 4);
    return aux;
}

// IQ3_S group ib's 4-bit scale.
inline int iq3s_scale(const block_iq3_s& b, int ib) { return (b.scales[ib / 2] >> 4 * (ib % 2)) & 0xf; }

}  // namespace quantlab::simd
