// One include for WebAssembly SIMD128 intrinsics on every target: the real
// ones under Emscripten (-msimd128), SIMDe's faithful emulation natively, so
// the native test suite exercises exactly the kernel source the browser runs.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

namespace quantlab::simd {

// C's roundf (half away from zero), which ggml's reference quantizers use.
// f32x4_nearest rounds half to even, so it cannot be used: instead truncate
// and step one unit away from zero when the dropped fraction is >= 0.5.
// x - trunc(x) is exact for every float, so this equals roundf bit for bit.
inline v128_t f32x4_round_half_away(v128_t v) {
    const v128_t t = wasm_f32x4_trunc(v);
    const v128_t frac = wasm_f32x4_abs(wasm_f32x4_sub(v, t));
    const v128_t step_needed = wasm_f32x4_ge(frac, wasm_f32x4_splat(0.5f));
    const v128_t one_signed = wasm_v128_or(wasm_f32x4_splat(1.0f),
                                           wasm_v128_and(v, wasm_i32x4_splat(int32_t(0x80000000u))));
    return wasm_f32x4_add(t, wasm_v128_and(step_needed, one_signed));
}

inline float f32x4_hmax(v128_t v) {
    v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

inline float f32x4_hsum(v128_t v) {
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

// [f32x4_hsum(a), f32x4_hsum(b), f32x4_hsum(c), f32x4_hsum(d)], bit for bit:
// lane k adds (x0 + x2) + (x1 + x3) with the operands in f32x4_hsum's order,
// in 9 instructions instead of 4 x 4 and four extracts.
inline v128_t f32x4_hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
    // [a0 + a2, b0 + b2, a1 + a3, b1 + b3], and the same of c, d
    const v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    const v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

inline int32_t i32x4_hsum(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

// Products of 16 int8 pairs summed into four int32 lanes.
inline v128_t i8x16_dot_i32x4(v128_t a, v128_t b) {
    const v128_t lo = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b));
    const v128_t hi = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b));
    return wasm_i32x4_add(lo, hi);
}

#if defined(__wasm_relaxed_simd__)
// The relaxed-SIMD variant of the module (clang >= 16 with -mrelaxed-simd;
// see docs/engine.md). i32x4.relaxed_dot_i8x16_i7x16_add_s: lane j of the
// result is c[j] + sum of a[4j+k] * b[4j+k], k = 0..3. It is deterministic
// (the same on every engine, no int16 saturation) when every byte of b is in
// 0..127, which the callers guarantee: b is always an unsigned weight of at
// most 6 bits (+ an offset the caller takes back exactly in c).
inline v128_t i32x4_relaxed_dot_i8_u7(v128_t a, v128_t b_u7, v128_t c) {
    return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((__i8x16)a, (__i8x16)b_u7, (__i32x4)c);
}

// i16x8.relaxed_dot_i8x16_i7x16_s: lane k = a[2k] * b[2k] + a[2k+1] * b[2k+1].
// With b in 0..127 a pair is at most 2 * 128 * 127 = 32512 in magnitude, so
// it neither saturates nor wraps and is the same on every engine (x64 V8
// emits one pmaddubsw for it; the i32x4 form above costs three
// instructions there unless the CPU has AVX-VNNI).
inline v128_t i16x8_relaxed_dot_i8_u7(v128_t a, v128_t b_u7) {
    return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8((__i8x16)a, (__i8x16)b_u7);
}

// The byte order under which a relaxed dot makes the lanes of
// i8x16_dot_i32x4 / i32x4.dot_i16x8 (lane j = positions 2j, 2j+1, 2j+8, 2j+9
// of 16): permute both operands with it, and every int32 lane holds the same
// products, so the float steps that follow are unchanged.
inline v128_t i8x16_to_relaxed_lanes(v128_t v) {
    return wasm_i8x16_shuffle(v, v, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
}
#endif

}  // namespace quantlab::simd
