// IEEE binary16 and bfloat16 conversions, bit-exact with ggml's
// GGML_FP32_TO_FP16 / GGML_FP16_TO_FP32 (round to nearest even, as both the
// F16C instruction and ggml's portable fallback do) and ggml's fp32->bf16
// (round to nearest even, NaN forced quiet).
#pragma once

#include <cstdint>
#include <cstring>

namespace quantlab {

using ggml_half = uint16_t;
using ggml_bf16 = uint16_t;

inline uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// Branch-free, because dot products convert a scale per block: the 15
// magnitude bits moved to float position read as a float whose exponent is
// 112 too small (half subnormals land on float subnormals of the same scale),
// so one exact multiply by 2^112 rebiases every finite half; Inf and NaN keep
// the all-ones exponent and their payload.
inline float fp16_to_fp32(ggml_half h) {
    const uint32_t mag = uint32_t(h & 0x7fffu) << 13;
    const uint32_t finite = float_bits(bits_float(mag) * 0x1p112f);
    const uint32_t bits = (h & 0x7c00u) == 0x7c00u ? (mag | 0x7f800000u) : finite;
    return bits_float(bits | (uint32_t(h & 0x8000u) << 16));
}

// All 65536 halves as floats (ggml's ggml_table_f32_f16): hot loops fetch the
// pointer once per call and convert a block scale with one load.
const float* fp16_to_fp32_table();

inline ggml_half fp32_to_fp16(float f) {
    const uint32_t x = float_bits(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return uint16_t(sign | 0x7e00u);   // NaN stays NaN
    if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 rounds to Inf
    if (ax < 0x38800000u) {
        // Below the smallest normal half: adding 0.5f makes the FPU round the
        // value to a multiple of 2^-24 (the half subnormal step), ties to even.
        const float v = bits_float(ax) + 0.5f;
        return uint16_t(sign | (float_bits(v) - 0x3f000000u));
    }
    // Normal: rebias the exponent by -112 and round the 13 dropped bits to even.
    ax += 0xc8000fffu + ((ax >> 13) & 1u);
    return uint16_t(sign | (ax >> 13));
}

inline float bf16_to_fp32(ggml_bf16 h) { return bits_float(uint32_t(h) << 16); }

inline ggml_bf16 fp32_to_bf16(float f) {
    const uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 64u);
    return uint16_t((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

}  // namespace quantlab
