// vec_dot with Q8_K of a super-block format whose weights unpack to
// scale-multiplied int16 (the i-quants IQ1_* and IQ2_*): per super-block the
// weights unpacked, dotted with the activations eight at a time into four
// int32 lanes, then acc += float(sumi) * (d_a * d_w): the steps of the
// super-block gemm tile (gemm_superblock_simd128.h), so that gemm gives these
// floats bit for bit.
#pragma once

#include <cstdint>

#include "formats/block_types.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

// unpack(block, int16_t w[QK_K]) writes the weights; scale(block) is d_w.
// a16: the activations already widened to int16 (QK_K per super-block), or
// nullptr to widen each block's q8_K values here.
template <class Block, class Unpack, class Scale>
float vec_dot_unpacked_superblocks_simd128(int64_t n, const void* vx, const void* vy, const int16_t* a16,
                                           Unpack unpack, Scale scale) {
    const auto* x = static_cast<const Block*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    alignas(16) int16_t w[QK_K];
    alignas(16) int16_t a[QK_K];
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < n / QK_K; ++i) {
        unpack(x[i], w);
        const int16_t* av = a16 ? a16 + QK_K * i : a;
        if (!a16) {
            for (int k = 0; k < QK_K; k += 16) {
                const v128_t v = wasm_v128_load(y[i].qs + k);
                wasm_v128_store(a + k, wasm_i16x8_extend_low_i8x16(v));
                wasm_v128_store(a + k + 8, wasm_i16x8_extend_high_i8x16(v));
            }
        }
        v128_t sumi = wasm_i32x4_splat(0);
        for (int k = 0; k < QK_K; k += 8) {
            sumi = wasm_i32x4_add(sumi, wasm_i32x4_dot_i16x8(wasm_v128_load(w + k), wasm_v128_load(av + k)));
        }
        const float d = y[i].d * scale(x[i]);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return simd::f32x4_hsum(acc);
}

}  // namespace quantlab
