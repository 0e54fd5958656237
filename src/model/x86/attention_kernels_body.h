// Attention's inner loops, written once over the x86 vector layer
// (formats/x86/vec_x86.h): the same per-lane operations as the SIMD128 ones in
// model/attention_kernels.cpp, V::kFloats lanes at a time, so the same floats.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>

#include "model/x86/attention_kernels_x86.h"

namespace quantlab::x86 {
namespace {

// round_f16_x4 of attention_kernels.cpp, lane for lane: that computes
// fp16_to_fp32(fp32_to_fp16(x)) with round-to-nearest-even (infinity from
// 65520 up, f16 subnormals below 2^-14; tests/model/test_attention_kernels.cpp),
// which is what F16C's two conversions do in two instructions.
template <class V>
inline typename V::F round_f16(typename V::F x) {
    return V::round_f16(x);
}

// W registers of the accumulator stay in registers while every row passes.
template <class V, int W>
void accumulate_chunk(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs, int64_t n) {
    constexpr int L = V::kFloats;
    typename V::F a[W];
    for (int k = 0; k < W; ++k) a[k] = V::load_f(acc + L * k);
    for (int64_t j = 0; j < n; ++j) {
        if (ms[j] != 1.0f) {
            const auto s = V::set1_f(ms[j]);
            for (int k = 0; k < W; ++k) a[k] = round_f16<V>(V::mul_f(a[k], s));
        }
        const auto w = V::set1_f(vs[j]);
        const float* row = v + j * v_stride;
        for (int k = 0; k < W; ++k) a[k] = round_f16<V>(V::add_f(a[k], V::mul_f(V::load_f(row + L * k), w)));
    }
    for (int k = 0; k < W; ++k) V::store_f(acc + L * k, a[k]);
}

template <class V>
int64_t accumulate_values_f16(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs, int64_t n,
                              int64_t d) {
    constexpr int L = V::kFloats;
    int64_t i = 0;
    for (; i + 4 * L <= d; i += 4 * L) accumulate_chunk<V, 4>(acc + i, v + i, v_stride, ms, vs, n);
    for (; i + L <= d; i += L) accumulate_chunk<V, 1>(acc + i, v + i, v_stride, ms, vs, n);
    return i;
}

// Chunk c (values 4c..4c+3) of query k in 128-bit group k % G of register
// k / G; each key chunk, broadcast to every group, meets all the queries at
// once with dot_f32's SIMD128 accumulation in each group.
template <class V>
void dot_f32_keys(const float* K, int64_t k_stride, int64_t n_keys, const float* const* q, int nq, int64_t d,
                  float* scores) {
    constexpr int G = V::kGroups, QR = 4 / G;  // query registers per chunk
    const int nr = (nq + G - 1) / G;           // of which hold a query
    const int64_t nc = d / 4;
    alignas(64) float qi[64 * 16];  // up to d = 256 in L1
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
        typename V::F acc0[QR], acc1[QR];
        for (int r = 0; r < QR; ++r) acc0[r] = acc1[r] = V::zero_f();
        for (int64_t i = 0; i < d; i += 8) {
            const auto k0 = V::bcast128_f(kr + i), k1 = V::bcast128_f(kr + i + 4);
            for (int r = 0; r < QR; ++r) {
                if (r >= nr) break;
                acc0[r] = V::add_f(acc0[r], V::mul_f(k0, V::load_f(qs + (i / 4) * 16 + 4 * G * r)));
                acc1[r] = V::add_f(acc1[r], V::mul_f(k1, V::load_f(qs + (i / 4 + 1) * 16 + 4 * G * r)));
            }
        }
        for (int r = 0; r < nr; ++r) {
            float s[G];
            V::hsum_groups(V::add_f(acc0[r], acc1[r]), s);
            for (int k = 0; k < G && G * r + k < nq; ++k) scores[(G * r + k) * n_keys + j] = s[k];
        }
    }
    std::free(heap);
}

template <class V>
constexpr AttentionKernels attention_kernels_for() {
    return {accumulate_values_f16<V>, dot_f32_keys<V>};
}

}  // namespace
}  // namespace quantlab::x86
