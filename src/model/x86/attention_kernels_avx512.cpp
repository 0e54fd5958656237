#include "model/x86/attention_kernels_avx512.h"

#include "formats/x86/intrinsics.h"

#include <cstdlib>
#include <new>

#include "formats/x86/target_avx512vnni_begin.h"

namespace quantlab::x86 {

namespace {

// round_f16_x4 of attention_kernels.cpp, lane for lane: (|x| + c) - c with
// c = 2^(e+13) (at least 0.5), infinity from 65520 up, the sign put back.
inline __m512 round_f16_x16(__m512 x) {
    const __m512i xi = _mm512_castps_si512(x);
    const __m512i sign_bit = _mm512_set1_epi32(int32_t(0x80000000u));
    const __m512i ax = _mm512_andnot_si512(sign_bit, xi);
    const __m512i c = _mm512_max_epi32(
        _mm512_add_epi32(_mm512_and_si512(ax, _mm512_set1_epi32(0x7f800000)), _mm512_set1_epi32(13 << 23)),
        _mm512_set1_epi32(0x3f000000));
    const __m512 cf = _mm512_castsi512_ps(c);
    const __m512i r = _mm512_castps_si512(_mm512_sub_ps(_mm512_add_ps(_mm512_castsi512_ps(ax), cf), cf));
    const __m512i inf = _mm512_maskz_mov_epi32(_mm512_cmpgt_epi32_mask(ax, _mm512_set1_epi32(0x477fefff)),
                                               _mm512_set1_epi32(0x7f800000));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_max_epi32(r, inf), _mm512_and_si512(xi, sign_bit)));
}

template <int W>
void accumulate_chunk(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs, int64_t n) {
    __m512 a[W];
    for (int k = 0; k < W; ++k) a[k] = _mm512_loadu_ps(acc + 16 * k);
    for (int64_t j = 0; j < n; ++j) {
        if (ms[j] != 1.0f) {
            const __m512 s = _mm512_set1_ps(ms[j]);
            for (int k = 0; k < W; ++k) a[k] = round_f16_x16(_mm512_mul_ps(a[k], s));
        }
        const __m512 w = _mm512_set1_ps(vs[j]);
        const float* row = v + j * v_stride;
        for (int k = 0; k < W; ++k) {
            a[k] = round_f16_x16(_mm512_add_ps(a[k], _mm512_mul_ps(_mm512_loadu_ps(row + 16 * k), w)));
        }
    }
    for (int k = 0; k < W; ++k) _mm512_storeu_ps(acc + 16 * k, a[k]);
}

}  // namespace

int64_t accumulate_values_f16_avx512(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs,
                                     int64_t n, int64_t d) {
    int64_t i = 0;
    for (; i + 64 <= d; i += 64) accumulate_chunk<4>(acc + i, v + i, v_stride, ms, vs, n);
    for (; i + 16 <= d; i += 16) accumulate_chunk<1>(acc + i, v + i, v_stride, ms, vs, n);
    return i;
}

void dot_f32_keys_avx512(const float* K, int64_t k_stride, int64_t n_keys, const float* const* q, int nq, int64_t d,
                         float* scores) {
    // Chunk c of query k (values 4c..4c+3) in 128-bit lane k; absent queries are zero.
    const int64_t nc = d / 4;
    alignas(64) float qi[64 * 16];  // up to d = 256 in registers' worth of L1
    float* qs = qi;
    float* heap = nullptr;
    if (nc > 64) {
        qs = heap = static_cast<float*>(std::aligned_alloc(64, size_t(nc) * 64));
        if (!heap) throw std::bad_alloc();
    }
    for (int64_t c = 0; c < nc; ++c) {
        for (int k = 0; k < 4; ++k) {
            for (int e = 0; e < 4; ++e) qs[c * 16 + 4 * k + e] = k < nq ? q[k][4 * c + e] : 0.0f;
        }
    }
    for (int64_t j = 0; j < n_keys; ++j) {
        const float* kr = K + j * k_stride;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        for (int64_t i = 0; i < d; i += 8) {
            acc0 = _mm512_add_ps(acc0, _mm512_mul_ps(_mm512_broadcast_f32x4(_mm_loadu_ps(kr + i)),
                                                     _mm512_load_ps(qs + (i / 4) * 16)));
            acc1 = _mm512_add_ps(acc1, _mm512_mul_ps(_mm512_broadcast_f32x4(_mm_loadu_ps(kr + i + 4)),
                                                     _mm512_load_ps(qs + (i / 4 + 1) * 16)));
        }
        __m512 v = _mm512_add_ps(acc0, acc1);
        v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
        v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, v);
        for (int k = 0; k < nq; ++k) scores[k * n_keys + j] = lanes[4 * k];
    }
    std::free(heap);
}

}  // namespace quantlab::x86

#include "formats/x86/target_avx512vnni_end.h"
