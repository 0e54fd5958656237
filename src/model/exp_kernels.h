// exp for the engine's softmax weights and SiLU, computed the same way on
// every target so that logits stay bit-identical between the scalar
// reference, SIMD128 (wasm, and natively through SIMDe) and the x86 levels.
// libm's expf is one call per value and cannot be vectorised; this one is
// the classic Cephes expf scheme (Moshier): n = round(x log2 e), a two-part
// ln 2 reduction, a degree-5 polynomial on [-ln2/2, ln2/2], and 2^n put in the
// exponent bits. Only IEEE add, sub, mul, compares and integer bit operations,
// in the same order in every version (no FMA: quantlab_core builds with
// -ffp-contract=off). Within 2 ulp of expf for x in [-85.9, 88.72]
// (tests/model/test_exp_kernels.cpp); exactly 1 at 0; 0 below -85.9 (no
// subnormal or near-subnormal results) and +inf above 88.7228; NaN stays NaN.
#pragma once

#include <cstdint>

#include "formats/type_traits.h"

namespace quantlab {

// The constants of Cephes' expf (facts, not code), shared by every version:
// log2(e); ln 2 split into a part with few mantissa bits (n * kLn2Hi is exact
// for |n| <= 2^15) and the rest; the minimax polynomial for
// (exp(r) - 1 - r) / r^2; 1.5 * 2^23, which added and subtracted rounds
// |t| < 2^22 to an integer, ties to even. exp(x) overflows float above kHi;
// below kLo the result (under 4.8e-38) is flushed to 0: from there on
// y * 2^(n-1) would be subnormal and round twice.
namespace exp_consts {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
constexpr float kRound = 12582912.0f;
constexpr float kHi = 88.72283935546875f;
constexpr float kLo = -85.9f;
}  // namespace exp_consts

// The scalar definition every vector version equals bit for bit.
float exp_ref(float x);

// y[i] = exp_ref(x[i]); y may be x.
void exp_f32(const float* x, float* y, int64_t n, KernelVariant v);

// g[i] = g[i] / (1 + exp_ref(-g[i])) * u[i]   (SwiGLU: silu(gate) * up, as ggml's silu)
void silu_mul_f32(float* g, const float* u, int64_t n, KernelVariant v);

}  // namespace quantlab
