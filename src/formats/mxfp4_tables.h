// MXFP4's shared scale (E8M0: a power of two), as ggml computes and decodes
// it (ggml-quants.c quantize_row_mxfp4_ref, ggml-impl.h
// ggml_e8m0_to_fp32_half). Used by the reference and SIMD128 kernels alike.
#pragma once

#include <cstdint>

#include "core/half.h"

namespace quantlab {

// ggml's exponent is floorf(log2f(max |x|)) - 2 + 127. Just below a power of
// two 2^n, log2f rounds up to n for the first few floats; entry n + 148
// (n = -148 .. 128, 2^128 being the top of the float range) says how many.
// Measured through libggml (glibc's log2f, correctly rounded there) by
// scripts/golden-ggml.sh; mxfp4_tables.cpp is generated from that dump.
extern const uint16_t kMxfp4Log2RoundUp[277];

// The E8M0 code of a block whose largest magnitude is amax: ggml's
// (uint8_t)(floorf(log2f(amax)) - 2 + 127), 0 for amax == 0. Computed from the
// float's bits and kMxfp4Log2RoundUp, so every target gives ggml's x86 bytes
// without a libm: the uint8 conversion keeps the low 8 bits of the integer, as
// the x86 build does for exponents below -125 (ggml's C leaves it undefined).
inline uint8_t mxfp4_scale_exponent(float amax) {
    const uint32_t u = float_bits(amax);
    if (!(amax > 0.0f) || u >= 0x7f800000u) return 0;  // zero (and non-finite, which callers reject)
    // floor(log2(amax)) exactly: the exponent, or the top bit of a subnormal.
    int below = 0;
    if (u >= 0x00800000u) {
        below = int(u >> 23) - 127;
    } else {
        int top = 31;
        while (!(u >> top)) --top;
        below = top - 149;
    }
    const int n = below + 1;  // the next power of two above amax (2^128: +inf's bits)
    const uint32_t pbits = n >= -126 ? uint32_t(n + 127) << 23 : 1u << (n + 149);
    const int floor_log2 = pbits - u <= kMxfp4Log2RoundUp[n + 148] ? n : below;
    return uint8_t(unsigned(floor_log2 - 2 + 127) & 0xffu);
}

// Half the scale of E8M0 code e (ggml's kvalues_mxfp4 are twice the e2m1
// values): 2^(e - 128); codes 0 and 1 are float subnormals.
inline float mxfp4_scale_half(uint8_t e) {
    return bits_float(e < 2 ? 0x00200000u << e : uint32_t(e - 1) << 23);
}

}  // namespace quantlab
