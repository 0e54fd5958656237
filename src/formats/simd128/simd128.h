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

}  // namespace quantlab::simd
