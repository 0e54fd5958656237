// The 128-bit backend of the x86 vector layer (vec_x86.h): one group per
// register. Each level uses it as V::Narrow for panel unpacking and
// remainders, with the level's dot_us (Dot). Include after the level's
// target pragma.
#pragma once

#include "formats/x86/vec_x86.h"

namespace quantlab::x86 {
namespace {

// (v0 + v2) + (v1 + v3) of one 128-bit accumulator (SIMD128's f32x4_hsum).
inline float hsum4(__m128 v) {
    v = _mm_add_ps(v, _mm_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_add_ps(v, _mm_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtss_f32(v);
}

// The four fp16 *h[0..3] as floats 0..3 of a 128-bit register, gathered in a
// general register for one F16C conversion (exact): cheaper on the vector
// pipes than broadcasting and shuffling each half.
inline __m128 halves4_to_floats(const uint16_t* const* h) {
    const uint64_t bits = uint64_t(*h[0]) | uint64_t(*h[1]) << 16 | uint64_t(*h[2]) << 32 | uint64_t(*h[3]) << 48;
    return _mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(bits)));
}

template <DotKind Dot>
struct Vec128 {
    using I = __m128i;
    using F = __m128;
    static constexpr int kGroups = 1;
    static constexpr int kFloats = 4;
    static constexpr bool kVnni = Dot != DotKind::MaddUbs;
    using Narrow = Vec128<Dot>;

    static I zero() { return _mm_setzero_si128(); }
    static I load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
    static void store(void* p, I v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
    static I set1_i8(int8_t v) { return _mm_set1_epi8(v); }
    static I set1_i16(int16_t v) { return _mm_set1_epi16(v); }
    static I set1_i32(int32_t v) { return _mm_set1_epi32(v); }
    static I set1_i64(int64_t v) { return _mm_set1_epi64x(v); }
    static I bcast128(__m128i v) { return v; }
    static I bcast128(const void* p) { return load(p); }
    static I load_groups(const void* const* p) { return load(p[0]); }
    static void load_halves32(const void* const* p, I* lo, I* hi) {
        *lo = load(p[0]);
        *hi = load(static_cast<const uint8_t*>(p[0]) + 16);
    }
    static I set_groups_u32(const uint32_t* v) { return _mm_set1_epi32(int32_t(v[0])); }
    static I from_groups(const __m128i* g) { return g[0]; }

    static I and_(I a, I b) { return _mm_and_si128(a, b); }
    static I or_(I a, I b) { return _mm_or_si128(a, b); }
    static I xor_(I a, I b) { return _mm_xor_si128(a, b); }
    static I add_i8(I a, I b) { return _mm_add_epi8(a, b); }
    static I sub_i8(I a, I b) { return _mm_sub_epi8(a, b); }
    static I add_i32(I a, I b) { return _mm_add_epi32(a, b); }
    static I sub_i32(I a, I b) { return _mm_sub_epi32(a, b); }
    static I mullo_i32(I a, I b) { return _mm_mullo_epi32(a, b); }
    static I madd_i16(I a, I b) { return _mm_madd_epi16(a, b); }
    template <int N>
    static I slli_i16(I v) { return _mm_slli_epi16(v, N); }
    template <int N>
    static I srli_i16(I v) { return _mm_srli_epi16(v, N); }
    static I srl_i16(I v, int n) { return _mm_srl_epi16(v, _mm_cvtsi32_si128(n)); }
    static I srl_i16_groups(I v, const int* c) { return srl_i16(v, c[0]); }
    static I blend_groups(int mask, I a, I b) { return mask & 1 ? b : a; }
    template <int N>
    static I slli_i32(I v) { return _mm_slli_epi32(v, N); }
    // Each int32 lane: the sum of its group's four lanes.
    static I sum_in_groups_i32(I v) {
        v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
        return _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    }
    static I shuffle_i8(I table, I idx) { return _mm_shuffle_epi8(table, idx); }
    static I lane_class_order(I v) { return _mm_shuffle_epi8(v, load(kLaneClassOrder)); }
    // val where every bit of `bits` is set in v, else 0 (bytewise).
    static I select_bits_i8(I v, I bits, I val) { return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(v, bits), bits), val); }
    static I abs_i8(I v) { return _mm_abs_epi8(v); }
    static I sign_i8(I s, I w) { return _mm_sign_epi8(s, w); }

    static I maddubs(I u, I s) { return _mm_maddubs_epi16(u, s); }
    static I add_i16(I a, I b) { return _mm_add_epi16(a, b); }
    static I dot_us(I acc, I u, I s) {
        if constexpr (Dot == DotKind::VnniEvex) {
            return _mm_dpbusd_epi32(acc, u, s);
        } else if constexpr (Dot == DotKind::VnniVex) {
            return _mm_dpbusd_avx_epi32(acc, u, s);
        } else {
            return _mm_add_epi32(acc, _mm_madd_epi16(_mm_maddubs_epi16(u, s), _mm_set1_epi16(1)));
        }
    }

    static F zero_f() { return _mm_setzero_ps(); }
    static F load_f(const float* p) { return _mm_loadu_ps(p); }
    static void store_f(float* p, F v) { _mm_storeu_ps(p, v); }
    static F set1_f(float v) { return _mm_set1_ps(v); }
    static F add_f(F a, F b) { return _mm_add_ps(a, b); }
    static F mul_f(F a, F b) { return _mm_mul_ps(a, b); }
    static F cvt_f(I v) { return _mm_cvtepi32_ps(v); }
    static F group_floats(const float* v) { return _mm_set1_ps(v[0]); }
    static __m128 add_groups_in_order(__m128 acc, F p) { return _mm_add_ps(acc, p); }
    static void hsum_groups(F v, float* out) { out[0] = hsum4(v); }
};

}  // namespace
}  // namespace quantlab::x86
