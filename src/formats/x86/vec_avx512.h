// The 512-bit AVX-512 VNNI backend of the x86 vector layer (vec_x86.h): four
// groups per register; dot_us is vpdpbusd (exact for every byte pair).
// Include after target_avx512vnni_begin.h.
#pragma once

#include "formats/x86/vec_128.h"

namespace quantlab::x86 {
namespace {

struct VecAvx512 {
    using I = __m512i;
    using F = __m512;
    using MF = __mmask16;
    using MI = __mmask16;
    static constexpr int kGroups = 4;
    static constexpr int kFloats = 16;
    static constexpr bool kVnni = true;
    // gemm tile shapes (rows x token groups) for the 32-value and super-block
    // formats, chosen by measurement (docs/benchmarks.md).
    static constexpr int kTileRows32 = 4, kTileGroups32 = 3, kTileRowsK = 1, kTileGroupsK = 4;
    using Narrow = Vec128<DotKind::VnniEvex>;

    static I zero() { return _mm512_setzero_si512(); }
    static I load(const void* p) { return _mm512_loadu_si512(p); }
    static void store(void* p, I v) { _mm512_storeu_si512(p, v); }
    static I set1_i8(int8_t v) { return _mm512_set1_epi8(v); }
    static I set1_i16(int16_t v) { return _mm512_set1_epi16(v); }
    static I set1_i32(int32_t v) { return _mm512_set1_epi32(v); }
    static I set1_i64(int64_t v) { return _mm512_set1_epi64(v); }
    static I bcast128(__m128i v) { return _mm512_broadcast_i32x4(v); }
    static I bcast128(const void* p) { return bcast128(_mm_loadu_si128(static_cast<const __m128i*>(p))); }
    // The 32 bytes p[0..31], group k = 16-byte piece k % 2.
    static I bcast_pair(const void* p) { return _mm512_broadcast_i64x4(_mm256_loadu_si256(static_cast<const __m256i*>(p))); }
    // Group k = g[k].
    static I from_groups(const __m128i* g) {
        const __m256i r01 = _mm256_inserti128_si256(_mm256_castsi128_si256(g[0]), g[1], 1);
        const __m256i r23 = _mm256_inserti128_si256(_mm256_castsi128_si256(g[2]), g[3], 1);
        return _mm512_inserti64x4(_mm512_castsi256_si512(r01), r23, 1);
    }
    static I load_groups(const void* const* p) {
        auto ld = [&](int k) { return _mm_loadu_si128(static_cast<const __m128i*>(p[k])); };
        const __m128i g[4] = {ld(0), ld(1), ld(2), ld(3)};
        return from_groups(g);
    }
    // Bytes 0..15 of each 32-byte block p[k] into group k of lo, 16..31 into hi.
    static void load_halves32(const void* const* p, I* lo, I* hi) {
        auto ld = [&](int k) { return _mm256_loadu_si256(static_cast<const __m256i*>(p[k])); };
        const I r01 = _mm512_inserti64x4(_mm512_castsi256_si512(ld(0)), ld(1), 1);  // [lo0 hi0 lo1 hi1]
        const I r23 = _mm512_inserti64x4(_mm512_castsi256_si512(ld(2)), ld(3), 1);
        *lo = _mm512_shuffle_i64x2(r01, r23, _MM_SHUFFLE(2, 0, 2, 0));
        *hi = _mm512_shuffle_i64x2(r01, r23, _MM_SHUFFLE(3, 1, 3, 1));
    }
    static I set_groups_u32(const uint32_t* v) {
        return _mm512_setr_epi32(int(v[0]), int(v[0]), int(v[0]), int(v[0]), int(v[1]), int(v[1]), int(v[1]), int(v[1]),
                                 int(v[2]), int(v[2]), int(v[2]), int(v[2]), int(v[3]), int(v[3]), int(v[3]), int(v[3]));
    }

    static I and_(I a, I b) { return _mm512_and_si512(a, b); }
    static I andnot_(I a, I b) { return _mm512_andnot_si512(a, b); }  // ~a & b
    static I or_(I a, I b) { return _mm512_or_si512(a, b); }
    static I xor_(I a, I b) { return _mm512_xor_si512(a, b); }
    static I add_i8(I a, I b) { return _mm512_add_epi8(a, b); }
    static I sub_i8(I a, I b) { return _mm512_sub_epi8(a, b); }
    static I add_i32(I a, I b) { return _mm512_add_epi32(a, b); }
    static I sub_i32(I a, I b) { return _mm512_sub_epi32(a, b); }
    static I mullo_i32(I a, I b) { return _mm512_mullo_epi32(a, b); }
    static I madd_i16(I a, I b) { return _mm512_madd_epi16(a, b); }
    static I max_i32(I a, I b) { return _mm512_max_epi32(a, b); }
    template <int N>
    static I slli_i16(I v) { return _mm512_slli_epi16(v, N); }
    template <int N>
    static I srli_i16(I v) { return _mm512_srli_epi16(v, N); }
    static I srl_i16(I v, int n) { return _mm512_srl_epi16(v, _mm_cvtsi32_si128(n)); }
    // Group k shifted right by c[k] (16-bit lanes).
    static I srl_i16_groups(I v, const int* c) {
        auto w = [](int s) { return int64_t(0x0001000100010001LL) * s; };
        return _mm512_srlv_epi16(v, _mm512_setr_epi64(w(c[0]), w(c[0]), w(c[1]), w(c[1]), w(c[2]), w(c[2]), w(c[3]), w(c[3])));
    }
    template <int N>
    static I slli_i32(I v) { return _mm512_slli_epi32(v, N); }
    // Each int32 lane: the sum of its group's four lanes.
    static I sum_in_groups_i32(I v) {
        v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_ENUM(_MM_SHUFFLE(1, 0, 3, 2))));
        return _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_ENUM(_MM_SHUFFLE(2, 3, 0, 1))));
    }
    static I shuffle_i8(I table, I idx) { return _mm512_shuffle_epi8(table, idx); }
    static I lane_class_order(I v) { return _mm512_shuffle_epi8(v, bcast128(kLaneClassOrder)); }
    static I select_bits_i8(I v, I bits, I val) {
        return _mm512_maskz_mov_epi8(_mm512_cmpeq_epi8_mask(_mm512_and_si512(v, bits), bits), val);
    }
    // Group k from b where bit k of mask is set, else from a.
    static I blend_groups(int mask, I a, I b) {
        const __mmask8 m = __mmask8((mask & 1 ? 0x03 : 0) | (mask & 2 ? 0x0C : 0) | (mask & 4 ? 0x30 : 0) | (mask & 8 ? 0xC0 : 0));
        return _mm512_mask_blend_epi64(m, a, b);
    }
    // Pair sums u * s as int16 (saturating: callers keep them in range).
    static I maddubs(I u, I s) { return _mm512_maddubs_epi16(u, s); }
    static I add_i16(I a, I b) { return _mm512_add_epi16(a, b); }
    static I dot_us(I acc, I u, I s) { return _mm512_dpbusd_epi32(acc, u, s); }
    // Group k's four int32 = sign-extended byte sg[g[k]].
    static I group_scales_i32(__m128i sg, const int* g) {
        const char a = char(g[0]), b = char(g[1]), c = char(g[2]), e = char(g[3]);
        return _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sg, _mm_setr_epi8(a, a, a, a, b, b, b, b, c, c, c, c, e, e, e, e)));
    }
    static __m128i fold_to_128(I v) {
        const __m256i s = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
        return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    }

    static F zero_f() { return _mm512_setzero_ps(); }
    static F load_f(const float* p) { return _mm512_loadu_ps(p); }
    static void store_f(float* p, F v) { _mm512_storeu_ps(p, v); }
    static F set1_f(float v) { return _mm512_set1_ps(v); }
    static F add_f(F a, F b) { return _mm512_add_ps(a, b); }
    static F sub_f(F a, F b) { return _mm512_sub_ps(a, b); }
    static F mul_f(F a, F b) { return _mm512_mul_ps(a, b); }
    static F max_f(F a, F b) { return _mm512_max_ps(a, b); }
    static F abs_f(F v) { return _mm512_abs_ps(v); }
    static F cvt_f(I v) { return _mm512_cvtepi32_ps(v); }
    static I cvtt_i32(F v) { return _mm512_cvttps_epi32(v); }
    static F cast_if(I v) { return _mm512_castsi512_ps(v); }
    static I cast_fi(F v) { return _mm512_castps_si512(v); }
    static F bcast128_f(const float* p) { return _mm512_broadcast_f32x4(_mm_loadu_ps(p)); }
    static F group_floats(const float* v) {
        return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                                     _mm512_castps128_ps512(_mm_loadu_ps(v)));
    }
    // Group k = the fp16 *h[k] as float, all lanes (F16C: exact).
    static F halves_to_groups(const uint16_t* const* h) {
        // One conversion and one permute instead of four broadcasts and three
        // shuffles (Zen 4 runs 512-bit shuffles at half rate).
        const __m128 f = halves4_to_floats(h);
        return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), _mm512_castps128_ps512(f));
    }
    // SIMD128's f32x4_hsum of each group: group k's sum in out[k].
    static void hsum_groups(F v, float* out) {
        v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
        v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, v);
        for (int k = 0; k < 4; ++k) out[k] = lanes[4 * k];
    }
    // acc + group 0 + group 1 + ..., one group after another: SIMD128's order.
    static __m128 add_groups_in_order(__m128 acc, F p) {
        acc = _mm_add_ps(acc, _mm512_castps512_ps128(p));
        acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(p, 1));
        acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(p, 2));
        return _mm_add_ps(acc, _mm512_extractf32x4_ps(p, 3));
    }

    // Quantizer and attention helpers.
    static F round_f16(F v) { return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); }
    static F trunc_f(F v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
    static MF ge_f(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
    static MF lt_f(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
    static MF unordered_f(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
    static bool any(MF m) { return m != 0; }
    static bool all(MF m) { return m == 0xFFFF; }
    static F masked_f(MF m, F v) { return _mm512_maskz_mov_ps(m, v); }
    static F select_f(MF m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }  // m ? a : b
    static F div_f(F a, F b) { return _mm512_div_ps(a, b); }
    static MI gt_i32(I a, I b) { return _mm512_cmpgt_epi32_mask(a, b); }
    static I masked_i32(MI m, I v) { return _mm512_maskz_mov_epi32(m, v); }
    static float reduce_max(F v) { return _mm512_reduce_max_ps(v); }  // max is exact: any order
    // The 16 int32 lanes (within int8 range) as 16 bytes.
    static void store_i32_as_i8(int8_t* dst, I v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtsepi32_epi8(v)); }
};

}  // namespace
}  // namespace quantlab::x86
