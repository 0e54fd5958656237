// The 256-bit backend of the x86 vector layer (vec_x86.h): two groups per
// register. VecAvx2: dot_us is vpmaddubsw + vpmaddwd (exact for u <= 128);
// include after target_avx2_begin.h. VecAvxVnni: dot_us is AVX-VNNI's
// vpdpbusd (exact for any bytes); include after target_avxvnni_begin.h.
#pragma once

#include "formats/x86/vec_128.h"

namespace quantlab::x86 {
namespace {

template <DotKind Dot>
struct VecAvx2T {
    using I = __m256i;
    using F = __m256;
    using MF = __m256;   // float compare results
    using MI = __m256i;  // int32 compare results
    static constexpr int kGroups = 2;
    static constexpr int kFloats = 8;
    static constexpr bool kVnni = Dot != DotKind::MaddUbs;
    // gemm tile shapes (rows x token groups) for the 32-value and super-block
    // formats, chosen by measurement (docs/benchmarks.md).
    static constexpr int kTileRows32 = 4, kTileGroups32 = 2, kTileRowsK = 1, kTileGroupsK = 6;
    using Narrow = Vec128<Dot>;

    static I zero() { return _mm256_setzero_si256(); }
    static I load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
    static void store(void* p, I v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
    static I set1_i8(int8_t v) { return _mm256_set1_epi8(v); }
    static I set1_i16(int16_t v) { return _mm256_set1_epi16(v); }
    static I set1_i32(int32_t v) { return _mm256_set1_epi32(v); }
    static I set1_i64(int64_t v) { return _mm256_set1_epi64x(v); }
    static I bcast128(__m128i v) { return _mm256_broadcastsi128_si256(v); }
    static I bcast128(const void* p) { return bcast128(_mm_loadu_si128(static_cast<const __m128i*>(p))); }
    // The 32 bytes p[0..31], group k = 16-byte piece k % 2.
    static I bcast_pair(const void* p) { return load(p); }
    static I combine(__m128i g0, __m128i g1) { return _mm256_inserti128_si256(_mm256_castsi128_si256(g0), g1, 1); }
    static I load_groups(const void* const* p) {
        return combine(_mm_loadu_si128(static_cast<const __m128i*>(p[0])), _mm_loadu_si128(static_cast<const __m128i*>(p[1])));
    }
    // Bytes 0..15 of each 32-byte block p[k] into group k of lo, 16..31 into hi.
    static void load_halves32(const void* const* p, I* lo, I* hi) {
        const I b0 = load(p[0]), b1 = load(p[1]);
        *lo = _mm256_permute2x128_si256(b0, b1, 0x20);
        *hi = _mm256_permute2x128_si256(b0, b1, 0x31);
    }
    static I from_groups(const __m128i* g) { return combine(g[0], g[1]); }  // group k = g[k]
    static I set_groups_u32(const uint32_t* v) { return combine(_mm_set1_epi32(int32_t(v[0])), _mm_set1_epi32(int32_t(v[1]))); }

    static I and_(I a, I b) { return _mm256_and_si256(a, b); }
    static I andnot_(I a, I b) { return _mm256_andnot_si256(a, b); }  // ~a & b
    static I or_(I a, I b) { return _mm256_or_si256(a, b); }
    static I xor_(I a, I b) { return _mm256_xor_si256(a, b); }
    static I add_i8(I a, I b) { return _mm256_add_epi8(a, b); }
    static I sub_i8(I a, I b) { return _mm256_sub_epi8(a, b); }
    static I add_i32(I a, I b) { return _mm256_add_epi32(a, b); }
    static I sub_i32(I a, I b) { return _mm256_sub_epi32(a, b); }
    static I mullo_i32(I a, I b) { return _mm256_mullo_epi32(a, b); }
    static I madd_i16(I a, I b) { return _mm256_madd_epi16(a, b); }
    static I max_i32(I a, I b) { return _mm256_max_epi32(a, b); }
    template <int N>
    static I slli_i16(I v) { return _mm256_slli_epi16(v, N); }
    template <int N>
    static I srli_i16(I v) { return _mm256_srli_epi16(v, N); }
    static I srl_i16(I v, int n) { return _mm256_srl_epi16(v, _mm_cvtsi32_si128(n)); }
    // Group k shifted right by c[k] (16-bit lanes).
    static I srl_i16_groups(I v, const int* c) {
        if (c[0] == c[1]) return srl_i16(v, c[0]);
        return _mm256_blend_epi32(srl_i16(v, c[0]), srl_i16(v, c[1]), 0xF0);
    }
    template <int N>
    static I slli_i32(I v) { return _mm256_slli_epi32(v, N); }
    // Each int32 lane: the sum of its group's four lanes.
    static I sum_in_groups_i32(I v) {
        v = _mm256_add_epi32(v, _mm256_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
        return _mm256_add_epi32(v, _mm256_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    }
    static I shuffle_i8(I table, I idx) { return _mm256_shuffle_epi8(table, idx); }
    static I lane_class_order(I v) { return _mm256_shuffle_epi8(v, bcast128(kLaneClassOrder)); }
    static I select_bits_i8(I v, I bits, I val) {
        return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, bits), bits), val);
    }
    // Group k from b where bit k of mask is set, else from a.
    static I blend_groups(int mask, I a, I b) {
        switch (mask & 3) {
            case 0: return a;
            case 1: return _mm256_blend_epi32(a, b, 0x0F);
            case 2: return _mm256_blend_epi32(a, b, 0xF0);
            default: return b;
        }
    }
    static I abs_i8(I v) { return _mm256_abs_epi8(v); }
    static I sign_i8(I s, I w) { return _mm256_sign_epi8(s, w); }
    // Pair sums u * s as int16 (saturating: callers keep them in range).
    static I maddubs(I u, I s) { return _mm256_maddubs_epi16(u, s); }
    static I add_i16(I a, I b) { return _mm256_add_epi16(a, b); }
    static I dot_us(I acc, I u, I s) {
        if constexpr (Dot == DotKind::VnniEvex) {
            return _mm256_dpbusd_epi32(acc, u, s);
        } else if constexpr (Dot == DotKind::VnniVex) {
            return _mm256_dpbusd_avx_epi32(acc, u, s);
        } else {
            return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
        }
    }
    // Group k's four int32 = sign-extended byte sg[g[k]].
    static I group_scales_i32(__m128i sg, const int* g) {
        const char a = char(g[0]), b = char(g[1]);
        return _mm256_cvtepi8_epi32(_mm_shuffle_epi8(sg, _mm_setr_epi8(a, a, a, a, b, b, b, b, 0, 0, 0, 0, 0, 0, 0, 0)));
    }
    // Group k's eight int16 = sign-extended byte sg[g[k]], for many registers
    // from one super-block's scales:
    // ScaleTable holds the sign-extended bytes 0..7 (lo) and 8..15 (hi) of sg
    // as int16 in both 128-bit halves, so that a register's scales are one
    // in-lane vpshufb (pick_scales_i16) instead of a vpshufb + vpmovsxbw each.
    struct ScaleTable {
        I lo, hi;
    };
    static ScaleTable scale_table_i16(__m128i sg) {
        return {bcast128(_mm_cvtepi8_epi16(sg)), bcast128(_mm_cvtepi8_epi16(_mm_unpackhi_epi64(sg, sg)))};
    }
    static I pick_scales_i16(const ScaleTable& t, const int* g) {
        const char a = char(2 * (g[0] % 8)), b = char(2 * (g[1] % 8));
        const I idx = _mm256_setr_epi8(a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1,  //
                                       b, b + 1, b, b + 1, b, b + 1, b, b + 1, b, b + 1, b, b + 1, b, b + 1, b, b + 1);
        const I from0 = g[0] < 8 ? t.lo : t.hi, from1 = g[1] < 8 ? t.lo : t.hi;
        if (g[0] / 8 == g[1] / 8) return _mm256_shuffle_epi8(from0, idx);
        return _mm256_blend_epi32(_mm256_shuffle_epi8(from0, idx), _mm256_shuffle_epi8(from1, idx), 0xF0);
    }
    // int16 lane a of t's low half broadcast over the low half, lane b of
    // its high half over the high half (t: 8 x int16 in each half).
    static I pick_i16(I t, int a, int b) {
        const char x = char(2 * a), y = char(2 * b);
        return _mm256_shuffle_epi8(t, _mm256_setr_epi8(x, x + 1, x, x + 1, x, x + 1, x, x + 1, x, x + 1, x, x + 1, x, x + 1,
                                                       x, x + 1, y, y + 1, y, y + 1, y, y + 1, y, y + 1, y, y + 1,
                                                       y, y + 1, y, y + 1, y, y + 1));
    }
    static __m128i fold_to_128(I v) { return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)); }

    static F zero_f() { return _mm256_setzero_ps(); }
    static F load_f(const float* p) { return _mm256_loadu_ps(p); }
    static void store_f(float* p, F v) { _mm256_storeu_ps(p, v); }
    static F set1_f(float v) { return _mm256_set1_ps(v); }
    static F add_f(F a, F b) { return _mm256_add_ps(a, b); }
    static F sub_f(F a, F b) { return _mm256_sub_ps(a, b); }
    static F mul_f(F a, F b) { return _mm256_mul_ps(a, b); }
    static F max_f(F a, F b) { return _mm256_max_ps(a, b); }
    static F abs_f(F v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
    static F cvt_f(I v) { return _mm256_cvtepi32_ps(v); }
    static I cvtt_i32(F v) { return _mm256_cvttps_epi32(v); }
    static F cast_if(I v) { return _mm256_castsi256_ps(v); }
    static I cast_fi(F v) { return _mm256_castps_si256(v); }
    static F bcast128_f(const float* p) { return _mm256_broadcast_ps(reinterpret_cast<const __m128*>(p)); }
    static F group_floats(const float* v) {
        return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_set1_ps(v[0])), _mm_set1_ps(v[1]), 1);
    }
    // Group k = the fp16 *h[k] as float, all lanes (F16C: exact).
    static F halves_to_groups(const uint16_t* const* h) {
        return _mm256_cvtph_ps(_mm_unpacklo_epi64(_mm_set1_epi16(short(*h[0])), _mm_set1_epi16(short(*h[1]))));
    }
    // halves_to_groups of two registers (out[r] from h[2r], h[2r + 1]): one
    // conversion of the four halves (halves4_to_floats), two permutes.
    static void halves_to_groups_x2(const uint16_t* const* h, F* out) {
        const F f = _mm256_castps128_ps256(halves4_to_floats(h));
        out[0] = _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
        out[1] = _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3));
    }
    // SIMD128's f32x4_hsum of each group: group k's sum in out[k].
    static void hsum_groups(F v, float* out) {
        v = _mm256_add_ps(v, _mm256_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
        v = _mm256_add_ps(v, _mm256_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
        out[0] = _mm256_cvtss_f32(v);
        out[1] = _mm_cvtss_f32(_mm256_extractf128_ps(v, 1));
    }
    // acc + group 0, then + group 1: SIMD128's block-by-block order.
    static __m128 add_groups_in_order(__m128 acc, F p) {
        return _mm_add_ps(_mm_add_ps(acc, _mm256_castps256_ps128(p)), _mm256_extractf128_ps(p, 1));
    }

    // Quantizer and attention helpers.
    static F round_f16(F v) { return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); }
    static F trunc_f(F v) { return _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
    static MF ge_f(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
    static MF lt_f(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
    static MF unordered_f(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
    static bool any(MF m) { return _mm256_movemask_ps(m) != 0; }
    static bool all(MF m) { return _mm256_movemask_ps(m) == 0xFF; }
    static F masked_f(MF m, F v) { return _mm256_and_ps(m, v); }
    static F select_f(MF m, F a, F b) { return _mm256_blendv_ps(b, a, m); }  // m ? a : b
    static F div_f(F a, F b) { return _mm256_div_ps(a, b); }
    static MI gt_i32(I a, I b) { return _mm256_cmpgt_epi32(a, b); }
    static I masked_i32(MI m, I v) { return _mm256_and_si256(m, v); }
    static float reduce_max(F v) {  // max is exact: any order
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        return _mm_cvtss_f32(m);
    }
    // The 8 int32 lanes (within int8 range) as 8 bytes.
    static void store_i32_as_i8(int8_t* dst, I v) {
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_packs_epi16(w, w));
    }
};

using VecAvx2 = VecAvx2T<DotKind::MaddUbs>;
using VecAvxVnni = VecAvx2T<DotKind::VnniVex>;

}  // namespace
}  // namespace quantlab::x86
