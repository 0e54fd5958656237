#include "model/exp_kernels.h"

#include <cmath>

#include "core/half.h"

#if QUANTLAB_SIMD128
#include "formats/simd128/simd128.h"
#endif
#if QUANTLAB_X86_KERNELS
#include "model/x86/attention_kernels_x86.h"
#endif

namespace quantlab {

using namespace exp_consts;

float exp_ref(float x) {
    if (std::isnan(x)) return x;
    if (x > kHi) return bits_float(0x7f800000u);
    if (x < kLo) return 0.0f;
    const float f = (x * kLog2e + kRound) - kRound;  // n as a float
    float r = x - f * kLn2Hi;
    r = r - f * kLn2Lo;
    float p = kP0;
    p = p * r + kP1;
    p = p * r + kP2;
    p = p * r + kP3;
    p = p * r + kP4;
    p = p * r + kP5;
    const float y = (p * (r * r) + r) + 1.0f;
    // 2^n as 2^(n-1) * 2: n runs from -124 to 128 here, 2^(n-1) is a normal
    // float for all of them, and both products are exact scalings.
    const int32_t n = int32_t(f);
    return (y * bits_float(uint32_t(n + 126) << 23)) * 2.0f;
}

#if QUANTLAB_SIMD128
namespace {

// exp_ref in four lanes, operation for operation.
inline v128_t exp_f32x4(v128_t x) {
    const v128_t hi = wasm_f32x4_gt(x, wasm_f32x4_splat(kHi));
    const v128_t lo = wasm_f32x4_lt(x, wasm_f32x4_splat(kLo));
    // Out-of-range lanes compute on 0 and are replaced at the end.
    const v128_t xc = wasm_v128_andnot(x, wasm_v128_or(hi, lo));
    const v128_t round = wasm_f32x4_splat(kRound);
    const v128_t f = wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(kLog2e)), round), round);
    v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(f, wasm_f32x4_splat(kLn2Hi)));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(f, wasm_f32x4_splat(kLn2Lo)));
    v128_t p = wasm_f32x4_splat(kP0);
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(kP1));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(kP2));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(kP3));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(kP4));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(kP5));
    const v128_t y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), wasm_f32x4_splat(1.0f));
    const v128_t n = wasm_i32x4_trunc_sat_f32x4(f);
    const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(126)), 23);
    const v128_t e = wasm_f32x4_mul(wasm_f32x4_mul(y, scale), wasm_f32x4_splat(2.0f));
    // NaN lanes are neither hi nor lo and stay NaN through the arithmetic.
    const v128_t inf = wasm_i32x4_splat(0x7f800000);
    return wasm_v128_bitselect(inf, wasm_v128_andnot(e, lo), hi);
}

}  // namespace
#endif

void exp_f32(const float* x, float* y, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
#if QUANTLAB_X86_KERNELS
        // The same lanes eight or sixteen at a time: the same floats.
        if (const x86::AttentionKernels* k = x86::attention_kernels()) i = k->exp_f32(x, y, n);
#endif
        for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, exp_f32x4(wasm_v128_load(x + i)));
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) y[i] = exp_ref(x[i]);
}

void silu_mul_f32(float* g, const float* u, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
#if QUANTLAB_X86_KERNELS
        if (const x86::AttentionKernels* k = x86::attention_kernels()) i = k->silu_mul_f32(g, u, n);
#endif
        const v128_t one = wasm_f32x4_splat(1.0f);
        for (; i + 4 <= n; i += 4) {
            const v128_t x = wasm_v128_load(g + i);
            const v128_t s = wasm_f32x4_div(x, wasm_f32x4_add(one, exp_f32x4(wasm_f32x4_neg(x))));
            wasm_v128_store(g + i, wasm_f32x4_mul(s, wasm_v128_load(u + i)));
        }
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) g[i] = g[i] / (1.0f + exp_ref(-g[i])) * u[i];
}

}  // namespace quantlab
