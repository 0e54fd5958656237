#include "formats/x86/quantize_activations_avx512.h"

#include "formats/x86/intrinsics.h"

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/simd128/legacy_quants_simd128.h"

#include "formats/x86/target_avx512vnni_begin.h"

namespace quantlab {

namespace {

// f32x4_round_half_away (formats/simd128/simd128.h) lane for lane:
// t = trunc(v); t + (|v - t| >= 0.5 ? copysign(1, v) : +0).
inline __m512 round_half_away_x16(__m512 v) {
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
    const __mmask16 step = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    const __m512 one_signed = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_castps_si512(_mm512_set1_ps(1.0f)),
        _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(int32_t(0x80000000u)))));
    return _mm512_add_ps(t, _mm512_maskz_mov_ps(step, one_signed));
}

}  // namespace

void quantize_row_q8_0_avx512(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_0*>(vy);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK8_0;
        const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
        // NaN (whose max differs between x86 and wasm) and values that scale
        // beyond the int32 range take the SIMD128 kernel, the definition here.
        if (_mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q)) {
            quantize_row_q8_0_simd128(xb, y + i, QK8_0);
            continue;
        }
        // max is exact, so the reduction order does not matter.
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m512 vid = _mm512_set1_ps(id);
        const __m512 m0 = _mm512_mul_ps(v0, vid), m1 = _mm512_mul_ps(v1, vid);
        const __m512 limit = _mm512_set1_ps(2147483648.0f);
        if ((_mm512_cmp_ps_mask(_mm512_abs_ps(m0), limit, _CMP_LT_OQ) &
             _mm512_cmp_ps_mask(_mm512_abs_ps(m1), limit, _CMP_LT_OQ)) != 0xFFFF) {
            quantize_row_q8_0_simd128(xb, y + i, QK8_0);
            continue;
        }
        y[i].d = fp32_to_fp16(d);
        const __m128i q0 = _mm512_cvtsepi32_epi8(_mm512_cvttps_epi32(round_half_away_x16(m0)));
        const __m128i q1 = _mm512_cvtsepi32_epi8(_mm512_cvttps_epi32(round_half_away_x16(m1)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs), q0);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs + 16), q1);
    }
}

}  // namespace quantlab

#include "formats/x86/target_avx512vnni_end.h"
