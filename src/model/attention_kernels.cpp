#include "model/attention_kernels.h"

#include "core/half.h"
#if QUANTLAB_SIMD128
#include "formats/simd128/simd128.h"
#endif

namespace quantlab {

namespace {

inline float round_f16_scalar(float x) { return fp16_to_fp32(fp32_to_fp16(x)); }

#if QUANTLAB_SIMD128
// Per-lane twin of fp32 -> fp16 -> fp32 with round-to-nearest-even:
// normal halves drop 13 mantissa bits with a rounding add on the bit pattern;
// below 2^-14 adding 0.5f makes the FPU round to the 2^-24 subnormal step;
// 65520 and above overflow to infinity. NaN is not expected here.
inline v128_t round_f16_x4(v128_t x) {
    const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat(int32_t(0x80000000u)));
    const v128_t ax = wasm_v128_andnot(x, wasm_i32x4_splat(int32_t(0x80000000u)));
    const v128_t odd = wasm_v128_and(wasm_u32x4_shr(ax, 13), wasm_i32x4_splat(1));
    const v128_t normal = wasm_v128_and(wasm_i32x4_add(ax, wasm_i32x4_add(wasm_i32x4_splat(0xfff), odd)),
                                        wasm_i32x4_splat(int32_t(0xffffe000u)));
    const v128_t half = wasm_f32x4_splat(0.5f);
    const v128_t sub = wasm_f32x4_sub(wasm_f32x4_add(ax, half), half);
    const v128_t is_sub = wasm_u32x4_lt(ax, wasm_i32x4_splat(0x38800000));
    const v128_t is_inf = wasm_u32x4_ge(ax, wasm_i32x4_splat(0x477ff000));
    v128_t r = wasm_v128_bitselect(sub, normal, is_sub);
    r = wasm_v128_bitselect(wasm_i32x4_splat(0x7f800000), r, is_inf);
    return wasm_v128_or(r, sign);
}
#endif

}  // namespace

void round_to_f16(float* x, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, round_f16_x4(wasm_v128_load(x + i)));
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) x[i] = round_f16_scalar(x[i]);
}

// Whole groups of 32 in vector lanes; what remains (all of it for heads
// narrower than 32) is summed in order in float. The f16 value accumulator
// downstream amplifies the last-bit differences of other summation orders, and
// this one reproduces llama.cpp's running perplexities on stories260K (head
// size 8) to every printed digit, where a double-precision remainder did not.
float dot_f32(const float* a, const float* b, int64_t n, KernelVariant v) {
    const int64_t n32 = n & ~int64_t(31);
    float main = 0.0f;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
        for (int64_t i = 0; i < n32; i += 8) {
            acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
            acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
        }
        main = simd::f32x4_hsum(wasm_f32x4_add(acc0, acc1));
    } else
#else
    (void)v;
#endif
    {
        for (int64_t i = 0; i < n32; ++i) main += a[i] * b[i];
    }
    for (int64_t i = n32; i < n; ++i) main += a[i] * b[i];
    return main;
}

void scale_round_f16(float* acc, float scale, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        const v128_t s = wasm_f32x4_splat(scale);
        for (; i + 4 <= n; i += 4) wasm_v128_store(acc + i, round_f16_x4(wasm_f32x4_mul(wasm_v128_load(acc + i), s)));
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) acc[i] = round_f16_scalar(acc[i] * scale);
}

void axpy_round_f16(float* acc, const float* x, float w, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        const v128_t s = wasm_f32x4_splat(w);
        for (; i + 4 <= n; i += 4) {
            const v128_t r = wasm_f32x4_add(wasm_v128_load(acc + i), wasm_f32x4_mul(wasm_v128_load(x + i), s));
            wasm_v128_store(acc + i, round_f16_x4(r));
        }
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) acc[i] = round_f16_scalar(acc[i] + x[i] * w);
}

}  // namespace quantlab
