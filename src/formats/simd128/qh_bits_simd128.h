// The fifth bits of Q5_0/Q5_1 blocks (qh, one bit per value) as byte masks,
// shared by the dequantizers, dot products and gemm unpackers.
#pragma once

#include <cstdint>
#include <cstring>

#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// 0x10 in byte j of *lo where qh bit j is set, of *hi for bit j+16.
inline void load_qh(const uint8_t* qh_bytes, v128_t* lo, v128_t* hi) {
    uint32_t qh;
    std::memcpy(&qh, qh_bytes, sizeof qh);
    // Each qh byte repeated over eight lanes: byte splats joined by a 64-bit
    // lane shuffle (arbitrary byte shuffles are scalar code under SIMDe on SSE2).
    const v128_t b01 = wasm_i64x2_shuffle(wasm_i8x16_splat(int8_t(qh)), wasm_i8x16_splat(int8_t(qh >> 8)), 0, 3);
    const v128_t b23 = wasm_i64x2_shuffle(wasm_i8x16_splat(int8_t(qh >> 16)), wasm_i8x16_splat(int8_t(qh >> 24)), 0, 3);
    const v128_t bit = wasm_i8x16_make(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const v128_t h = wasm_i8x16_splat(0x10);
    *lo = wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b01, bit), bit), h);
    *hi = wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b23, bit), bit), h);
}

}  // namespace quantlab::simd
