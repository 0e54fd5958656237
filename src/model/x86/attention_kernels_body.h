// Attention's inner loops, written once over the x86 vector layer
// (formats/x86/vec_x86.h): the same per-lane operations as the SIMD128 ones in
// model/attention_kernels.cpp, V::kFloats lanes at a time, so the same floats.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>

#include "model/exp_kernels.h"
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

// Columns [off, off + W * L) of NQ queries: each value row is loaded once and
// meets every query that still takes it (query q takes rows 0..n[q]-1), so
// NQ * W accumulator chains are in flight instead of W. kF16: the f16
// accumulator of one-token attention (rescale by ms, round after every step);
// otherwise the batched f32 accumulator (acc += row * w[q][j], ms unused).
template <class V, int W, int NQ, bool kF16>
void accumulate_chunk_queries(float* const* acc, int64_t off, const float* v, int64_t v_stride,
                              const float* const* ms, const float* const* vs, const int64_t* n) {
    constexpr int L = V::kFloats;
    typename V::F a[NQ][W];
    int64_t n_min = n[0], n_max = n[0];
    for (int q = 0; q < NQ; ++q) {
        for (int k = 0; k < W; ++k) a[q][k] = V::load_f(acc[q] + off + L * k);
        n_min = n[q] < n_min ? n[q] : n_min;
        n_max = n[q] > n_max ? n[q] : n_max;
    }
    const auto step = [&](int q, int64_t j, const typename V::F* r) {
        const auto w = V::set1_f(vs[q][j]);
        if constexpr (kF16) {
            if (ms[q][j] != 1.0f) {
                const auto s = V::set1_f(ms[q][j]);
                for (int k = 0; k < W; ++k) a[q][k] = round_f16<V>(V::mul_f(a[q][k], s));
            }
            for (int k = 0; k < W; ++k) a[q][k] = round_f16<V>(V::add_f(a[q][k], V::mul_f(r[k], w)));
        } else {
            for (int k = 0; k < W; ++k) a[q][k] = V::add_f(a[q][k], V::mul_f(r[k], w));
        }
    };
    for (int64_t j = 0; j < n_max; ++j) {
        typename V::F r[W];
        const float* row = v + j * v_stride + off;
        for (int k = 0; k < W; ++k) r[k] = V::load_f(row + L * k);
        if (j < n_min) {
            for (int q = 0; q < NQ; ++q) step(q, j, r);
        } else {
            for (int q = 0; q < NQ; ++q) {
                if (j < n[q]) step(q, j, r);
            }
        }
    }
    for (int q = 0; q < NQ; ++q) {
        for (int k = 0; k < W; ++k) V::store_f(acc[q] + off + L * k, a[q][k]);
    }
}

// 64 floats of accumulators per query at AVX-512 (16 of its 32 registers for
// four queries), 16 at AVX2 (8 of 16).
template <class V, int NQ, bool kF16>
int64_t accumulate_queries_n(float* const* acc, const float* v, int64_t v_stride, const float* const* ms,
                             const float* const* vs, const int64_t* n, int64_t d) {
    constexpr int W = V::kFloats == 16 ? 4 : 2;
    constexpr int64_t C = W * V::kFloats;
    int64_t i = 0;
    for (; i + C <= d; i += C) accumulate_chunk_queries<V, W, NQ, kF16>(acc, i, v, v_stride, ms, vs, n);
    return i;
}

template <class V, bool kF16>
int64_t accumulate_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* ms,
                           const float* const* vs, const int64_t* n, int nq, int64_t d) {
    switch (nq) {
        case 1: return accumulate_queries_n<V, 1, kF16>(acc, v, v_stride, ms, vs, n, d);
        case 2: return accumulate_queries_n<V, 2, kF16>(acc, v, v_stride, ms, vs, n, d);
        case 3: return accumulate_queries_n<V, 3, kF16>(acc, v, v_stride, ms, vs, n, d);
        case 4: return accumulate_queries_n<V, 4, kF16>(acc, v, v_stride, ms, vs, n, d);
        default: return 0;
    }
}

template <class V>
int64_t accumulate_values_f16_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* ms,
                                      const float* const* vs, const int64_t* n, int nq, int64_t d) {
    return accumulate_queries<V, true>(acc, v, v_stride, ms, vs, n, nq, d);
}

template <class V>
int64_t accumulate_values_f32_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* w,
                                      const int64_t* n, int nq, int64_t d) {
    return accumulate_queries<V, false>(acc, v, v_stride, nullptr, w, n, nq, d);
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

// exp_ref of model/exp_kernels.cpp, lane for lane, with its constants. Lanes outside
// [lo, hi] compute garbage on the raw input and are replaced at the end; NaN
// lanes are neither and stay NaN.
template <class V>
inline typename V::F exp_lanes(typename V::F x) {
    using namespace exp_consts;
    using F = typename V::F;
    const F round = V::set1_f(kRound);
    const F f = V::sub_f(V::add_f(V::mul_f(x, V::set1_f(kLog2e)), round), round);
    F r = V::sub_f(x, V::mul_f(f, V::set1_f(kLn2Hi)));
    r = V::sub_f(r, V::mul_f(f, V::set1_f(kLn2Lo)));
    F p = V::set1_f(kP0);
    p = V::add_f(V::mul_f(p, r), V::set1_f(kP1));
    p = V::add_f(V::mul_f(p, r), V::set1_f(kP2));
    p = V::add_f(V::mul_f(p, r), V::set1_f(kP3));
    p = V::add_f(V::mul_f(p, r), V::set1_f(kP4));
    p = V::add_f(V::mul_f(p, r), V::set1_f(kP5));
    const F y = V::add_f(V::add_f(V::mul_f(p, V::mul_f(r, r)), r), V::set1_f(1.0f));
    const auto scale = V::cast_if(V::template slli_i32<23>(V::add_i32(V::cvtt_i32(f), V::set1_i32(126))));
    const F e = V::mul_f(V::mul_f(y, scale), V::set1_f(2.0f));
    const F hi = V::set1_f(kHi), lo = V::set1_f(kLo);
    const F flushed = V::select_f(V::lt_f(x, lo), V::zero_f(), e);
    return V::select_f(V::lt_f(hi, x), V::cast_if(V::set1_i32(0x7f800000)), flushed);
}

template <class V>
int64_t exp_f32(const float* x, float* y, int64_t n) {
    constexpr int L = V::kFloats;
    int64_t i = 0;
    for (; i + L <= n; i += L) V::store_f(y + i, exp_lanes<V>(V::load_f(x + i)));
    return i;
}

template <class V>
int64_t silu_mul_f32(float* g, const float* u, int64_t n) {
    constexpr int L = V::kFloats;
    const auto one = V::set1_f(1.0f);
    const auto sign = V::set1_i32(int32_t(0x80000000u));
    int64_t i = 0;
    for (; i + L <= n; i += L) {
        const auto x = V::load_f(g + i);
        const auto minus_x = V::cast_if(V::xor_(V::cast_fi(x), sign));  // -x, as the scalar negation
        const auto s = V::div_f(x, V::add_f(one, exp_lanes<V>(minus_x)));
        V::store_f(g + i, V::mul_f(s, V::load_f(u + i)));
    }
    return i;
}

template <class V>
constexpr AttentionKernels attention_kernels_for() {
    return {accumulate_values_f16<V>, accumulate_values_f16_queries<V>, accumulate_values_f32_queries<V>, exp_f32<V>,
            silu_mul_f32<V>, dot_f32_keys<V>};
}

}  // namespace
}  // namespace quantlab::x86
