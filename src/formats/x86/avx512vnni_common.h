// Helpers shared by the AVX-512 VNNI kernels. Include it after
// target_avx512vnni_begin.h: everything here is internal to the including
// file and compiled for that target.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace quantlab {
namespace {

// A growable 64-byte-aligned buffer, one per use and thread.
struct Scratch {
    void* p = nullptr;
    size_t cap = 0;
    ~Scratch() { std::free(p); }
    void* get(size_t bytes) {
        if (bytes > cap) {
            std::free(p);
            cap = (bytes + 63) & ~size_t(63);
            p = std::aligned_alloc(64, cap);
            if (!p) {
                cap = 0;
                throw std::bad_alloc();
            }
        }
        return p;
    }
};

// Byte k of a 16-value half goes to slot 4j + m so that slots 4j..4j+3 hold
// positions {2j, 2j+1, 2j+8, 2j+9}: one lane class per vpdpbusd lane.
inline __m128i lane_class_order(__m128i v) {
    return _mm_shuffle_epi8(v, _mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15));
}

// lane_class_order in each 128-bit lane.
inline __m512i lane_class_order_x4(__m512i v) {
    return _mm512_shuffle_epi8(
        v, _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15)));
}

// -128 * the sum of each lane class of a block's 32 activations (permuted halves p0, p1).
inline __m128i weight_offset_correction(__m128i p0, __m128i p1) {
    const __m128i ones8 = _mm_set1_epi8(1);
    const __m128i pairs = _mm_add_epi16(_mm_maddubs_epi16(ones8, p0), _mm_maddubs_epi16(ones8, p1));
    return _mm_slli_epi32(_mm_sub_epi32(_mm_setzero_si128(), _mm_madd_epi16(pairs, _mm_set1_epi16(1))), 7);
}

// (v0 + v2) + (v1 + v3) of one 128-bit accumulator (SIMD128's f32x4_hsum).
inline float hsum4(__m128 v) {
    v = _mm_add_ps(v, _mm_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_add_ps(v, _mm_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtss_f32(v);
}

// The same in each 128-bit group; group g's sum ends in out[g].
inline void hsum_groups(__m512 v, float out[4]) {
    v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    out[0] = lanes[0];
    out[1] = lanes[4];
    out[2] = lanes[8];
    out[3] = lanes[12];
}

}  // namespace
}  // namespace quantlab
