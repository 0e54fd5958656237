// Unpacking steps of the K-quant super-blocks shared by the SIMD128 kernels
// that read them: the vec_dots and dequantizers (k_quants_simd128.cpp) and
// the gemm panels (k_quants_gemm_simd128.cpp). Layouts: ggml-common.h.
#pragma once

#include <cstdint>
#include <cstring>

#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// The 6-bit scales and mins of Q4_K/Q5_K unpacked to bytes: 0..7 scales,
// 8..15 mins (layout of ggml-common.h block_q4_K, get_scale_min_k4).
inline void unpack_scales_k4(const uint8_t* packed, uint8_t out[16]) {
    uint32_t u[3];
    std::memcpy(u, packed, 12);
    const uint32_t m6 = 0x3f3f3f3fu, m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    const uint32_t sc_lo = u[0] & m6;
    const uint32_t sc_hi = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
    const uint32_t mn_lo = u[1] & m6;
    const uint32_t mn_hi = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
    const uint32_t w[4] = {sc_lo, sc_hi, mn_lo, mn_hi};
    std::memcpy(out, w, 16);
}

// The 16 signed 6-bit scales of Q3_K (low nibbles in bytes 0..7, two high
// bits each in bytes 8..11), already minus 32.
inline void unpack_scales_q3(const uint8_t* packed, int8_t out[16]) {
    uint32_t a[3];
    std::memcpy(a, packed, 12);
    const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    uint32_t w[4];
    w[0] = (a[0] & m4) | (((a[2] >> 0) & m2) << 4);
    w[1] = (a[1] & m4) | (((a[2] >> 2) & m2) << 4);
    w[2] = ((a[0] >> 4) & m4) | (((a[2] >> 4) & m2) << 4);
    w[3] = ((a[1] >> 4) & m4) | (((a[2] >> 6) & m2) << 4);
    const v128_t v = wasm_i8x16_sub(wasm_v128_load(w), wasm_i8x16_splat(32));
    wasm_v128_store(out, v);
}

// The four 16-value rows of a Q6_K half-block (128 values) for l in
// [16*part, 16*part + 16), as unsigned 6-bit values 0..63, in output order.
inline void q6_rows(const uint8_t* ql, const uint8_t* qh, int part, v128_t (&q)[4]) {
    const v128_t m4 = wasm_i8x16_splat(0x0F), m30 = wasm_i8x16_splat(0x30);
    const v128_t a = wasm_v128_load(ql + 16 * part);
    const v128_t b = wasm_v128_load(ql + 32 + 16 * part);
    const v128_t h = wasm_v128_load(qh + 16 * part);
    q[0] = wasm_v128_or(wasm_v128_and(a, m4), wasm_v128_and(wasm_i8x16_shl(h, 4), m30));
    q[1] = wasm_v128_or(wasm_v128_and(b, m4), wasm_v128_and(wasm_i8x16_shl(h, 2), m30));
    q[2] = wasm_v128_or(wasm_u8x16_shr(a, 4), wasm_v128_and(h, m30));
    q[3] = wasm_v128_or(wasm_u8x16_shr(b, 4), wasm_v128_and(wasm_u8x16_shr(h, 2), m30));
}

}  // namespace quantlab::simd
