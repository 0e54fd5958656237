// ggml's IQ1_S / IQ1_M quantizers (ggml-quants.c quantize_row_iq1_s_impl,
// quantize_row_iq1_m_impl, iq1_find_best_neighbour2, quantize_iq1_s/_m) as
// one driver that the scalar reference and the SIMD128 kernels share. The
// driver does the bookkeeping; the four hot steps are a kernel's own (a class
// with static functions: RefSteps below, the scalar reference):
//
//   weights(qw, x, sigma2, w)        importance of each value: qw * sqrt(sigma2 + x^2)
//   order(x, n, idx)                 the values' indices sorted ascending, equal values
//                                    in index order (ggml's qsort is glibc's merge sort,
//                                    which is stable, so ties keep index order there too)
//   split_s(sumx, sumw) / split_m(px, pw)
//                                    the exhaustive search for the two boundaries that
//                                    split the sorted values into levels 0 / 1 / 2
//   neighbour(lat, list, x, w, scale, xg, L)
//                                    iq1_find_best_neighbour2 over one neighbour list
//
// Every step must compute ggml's floats, operation by operation and in ggml's
// order (the library is built with -ffp-contract=off); SIMD kernels may
// evaluate many candidates at once but each candidate's arithmetic is
// ggml's, and comparisons are replayed in ggml's candidate order.
//
// IQ1_M: the golden files come from llama.cpp de3ff815 (the npm prebuilt),
// whose scale search works with prefix sums per half block; the older
// 3f545bec summed each candidate from scratch (other float rounding). This is
// de3ff815's (tests/formats/golden/README.md).
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/iq_lattice.h"
#include "formats/ref/quant_search.h"  // nearest_int, qmax, qmin

namespace quantlab::iq1 {

constexpr int kGroupS = 32;       // IQ1S_BLOCK_SIZE: values under one 3-bit scale
constexpr int kGroupM = 16;       // IQ1M_BLOCK_SIZE
constexpr float kEpsS = 1e-12f;   // GROUP_MAX_EPS_IQ1_S: smaller groups are all zero
constexpr float kEpsM = 1e-7f;    // GROUP_MAX_EPS_IQ1_M

// The three levels of a group whose delta is +1/8 (ggml's x_p) or -1/8 (x_m),
// padded to four floats for SIMD loads.
alignas(16) inline constexpr float kXp[4] = {-1 + kIq1Delta, kIq1Delta, 1 + kIq1Delta, 0};
alignas(16) inline constexpr float kXm[4] = {-1 - kIq1Delta, -kIq1Delta, 1 - kIq1Delta, 0};

// The winner of a split search: the sorted positions [0, i1) take level 0,
// [i1, i2) level 1, [i2, n) level 2; shift is IQ1_S's +1 / -1 (x_p / x_m) or
// IQ1_M's k (bit 1: first 8 values use x_m, bit 0: last 8 values use x_m).
// i1 < 0: no candidate had a positive fit (the group is stored as zero).
struct Split {
    int i1 = -1, i2 = -1, shift = 0;
    float scale = 0;
};

// One candidate of the search in ggml's loop order: it replaces the best when
// sumq2 > 0 and sumqx^2 > best_score * sumq2 (best_score starts at -FLT_MAX).
inline void consider(float sumqx, float sumq2, int i1, int i2, int shift, float& best_score, Split& best) {
    if (sumq2 > 0 && sumqx * sumqx > best_score * sumq2) {
        best.scale = sumqx / sumq2;
        best_score = best.scale * sumqx;
        best.i1 = i1;
        best.i2 = i2;
        best.shift = shift;
    }
}

// IQ1_S's candidate (i1, i2) for the levels xs (x_p or x_m), from the prefix
// sums of weight * x (sumx) and weight (sumw) over the sorted values.
inline void split_s_sums(const float* sumx, const float* sumw, int i1, int i2, const float* xs, float* sumqx,
                         float* sumq2) {
    constexpr int n = kGroupS;
    *sumqx = (sumx[i1] - sumx[0]) * xs[0] + (sumx[i2] - sumx[i1]) * xs[1] + (sumx[n] - sumx[i2]) * xs[2];
    *sumq2 = (sumw[i1] - sumw[0]) * xs[0] * xs[0] + (sumw[i2] - sumw[i1]) * xs[1] * xs[1] +
             (sumw[n] - sumw[i2]) * xs[2] * xs[2];
}

// Room after prefix sums of n values (n + 1 entries) for SIMD kernels that
// read them four at a time from any start up to n; the padding is zero and
// never counts.
constexpr int kSumsPad = 3;

// IQ1_M's prefix sums: px[h][j] / pw[h][j] sum weight * x / weight over the
// first j sorted values that lie in half h of the 16 (index < 8: h = 0).
struct HalfSums {
    float px[2][kGroupM + 1 + kSumsPad] = {}, pw[2][kGroupM + 1 + kSumsPad] = {};
};

// The constants of IQ1_M's collapsed sums: for both level sets v[0] - v[1] =
// v[1] - v[2] = -1, so a split's sum of weight * x * level is
// T * v[2] - px[i1] - px[i2] and its sum of weight * level^2 is
// W * v[2]^2 + pw[i1] * (v[0]^2 - v[1]^2) + pw[i2] * (v[1]^2 - v[2]^2).
struct SplitMConstants {
    float p2 = kXp[2], m2 = kXm[2];
    float cp1 = kXp[0] * kXp[0] - kXp[1] * kXp[1];
    float cp2 = kXp[1] * kXp[1] - kXp[2] * kXp[2];
    float cm1 = kXm[0] * kXm[0] - kXm[1] * kXm[1];
    float cm2 = kXm[1] * kXm[1] - kXm[2] * kXm[2];
};

// IQ1_M's four candidates of (i1, i2) in ggml's order k = 0..3 (++, +-, -+, --).
inline void split_m_sums(const HalfSums& s, int i1, int i2, float* sumqx, float* sumq2) {
    const SplitMConstants c;
    float qx_p[2], qx_m[2], q2_p[2], q2_m[2];
    for (int h = 0; h < 2; ++h) {
        const float tx = s.px[h][kGroupM], tw = s.pw[h][kGroupM];
        const float sx = s.px[h][i1] + s.px[h][i2];
        qx_p[h] = tx * c.p2 - sx;
        qx_m[h] = tx * c.m2 - sx;
        q2_p[h] = tw * c.p2 * c.p2 + s.pw[h][i1] * c.cp1 + s.pw[h][i2] * c.cp2;
        q2_m[h] = tw * c.m2 * c.m2 + s.pw[h][i1] * c.cm1 + s.pw[h][i2] * c.cm2;
    }
    sumqx[0] = qx_p[0] + qx_p[1];
    sumqx[1] = qx_p[0] + qx_m[1];
    sumqx[2] = qx_m[0] + qx_p[1];
    sumqx[3] = qx_m[0] + qx_m[1];
    sumq2[0] = q2_p[0] + q2_p[1];
    sumq2[1] = q2_p[0] + q2_m[1];
    sumq2[2] = q2_m[0] + q2_p[1];
    sumq2[3] = q2_m[0] + q2_m[1];
}

// iq1_find_best_neighbour2's fallback when no listed point has a finite
// distance (only when weight * diff^2 overflows, i.e. values beyond ~1e12):
// ggml then scans the whole grid with the value index taken from the grid
// loop (an out-of-bounds read, so its result is undefined) and asserts. Here
// the whole grid is scanned correctly, and the first listed point is taken if
// that finds nothing either.
inline int neighbour_fallback(const IqLattice& lat, const uint16_t* list, const float* xval, const float* weight,
                              float scale, const float* xg) {
    float best_d2 = FLT_MAX;
    int best = -1;
    for (int g = 0; g < lat.grid_size; ++g) {
        const int8_t* pg = lat.point(g);
        float d2 = 0;
        for (int i = 0; i < 8; ++i) {
            const float diff = scale * xg[(pg[i] - 1) / 2] - xval[i];
            d2 += weight[i] * diff * diff;
        }
        if (d2 < best_d2) {
            best_d2 = d2;
            best = g;
        }
    }
    return best >= 0 ? best : list[1];
}

// Levels 0..2 of grid point g into L[0..7].
inline void levels_of_point(const IqLattice& lat, int g, int8_t* L) {
    const int8_t* pg = lat.point(g);
    for (int i = 0; i < 8; ++i) L[i] = int8_t((pg[i] - 1) / 2);
}

// Sum of x^2 in index order: sigma2 = 2 * sum / 256 of a super-block.
inline float sum_x2(const float* x, int n) {
    float s = 0;
    for (int i = 0; i < n; ++i) s += x[i] * x[i];
    return s;
}

inline float abs_max(const float* x, int n) {
    float m = std::fabs(x[0]);
    for (int i = 1; i < n; ++i) m = qmax(m, std::fabs(x[i]));
    return m;
}

// Levels L of a group from its winning split (idx: the sorted order). When
// the scale came out negative the callers flip them to 2 - L and take the
// other level sets (IQ1_S: shift -> -shift; IQ1_M: k -> 3 - k).
inline void split_levels(const Split& s, const int* idx, int n, int8_t* L) {
    for (int j = 0; j < s.i1; ++j) L[idx[j]] = 0;
    for (int j = s.i1; j < s.i2; ++j) L[idx[j]] = 1;
    for (int j = s.i2; j < n; ++j) L[idx[j]] = 2;
}

// Grid indices of the n / 8 groups of levels L (snapping off-grid groups to
// their best neighbour at `scale`, L updated); the level set of group k is
// xg(k). Returns whether every group was on the grid.
template <class Steps, class LevelSet>
bool snap_to_grid(const IqLattice& lat, int n, const float* xb, const float* weight, float scale, LevelSet xg,
                  int8_t* L, uint16_t* index) {
    bool all_on_grid = true;
    for (int k = 0; k < n / 8; ++k) {
        const int u = lat.index_of(L + 8 * k);
        int g = lat.map[size_t(u)];
        if (g < 0) {
            all_on_grid = false;
            g = Steps::neighbour(lat, lat.neighbours_of(u), xb + 8 * k, weight + 8 * k, scale, xg(k), L + 8 * k);
        }
        index[k] = uint16_t(g);
    }
    return all_on_grid;
}

// The least-squares scale of groups snapped to grid points `index` (level
// sets xg(k)): sum w * q * x / sum w * q^2 when both sums are positive, else
// `scale` unchanged.
template <class LevelSet>
float refit_scale(const IqLattice& lat, int n, const float* xb, const float* weight, const uint16_t* index,
                  LevelSet xg, float scale) {
    float sumqx = 0, sumq2 = 0;
    for (int k = 0; k < n / 8; ++k) {
        const int8_t* pg = lat.point(index[k]);
        const float* xs = xg(k);
        for (int j = 0; j < 8; ++j) {
            const float w = weight[8 * k + j];
            const float q = xs[(pg[j] - 1) / 2];
            sumqx += w * q * xb[8 * k + j];
            sumq2 += w * q * q;
        }
    }
    return sumqx > 0 && sumq2 > 0 ? sumqx / sumq2 : scale;
}

// The hot steps of the search, one value / candidate at a time in ggml's order.
struct RefSteps {
    static void weights(const float* qw, const float* x, float sigma2, float* w, int n) {
        for (int i = 0; i < n; ++i) w[i] = qw[i] * std::sqrt(sigma2 + x[i] * x[i]);
    }

    static void order(const float* x, int n, int* idx) {
        for (int i = 0; i < n; ++i) idx[i] = i;
        std::stable_sort(idx, idx + n, [x](int a, int b) { return x[a] < x[b]; });
    }

    static Split split_s(const float* sumx, const float* sumw) {
        Split best;
        float best_score = -FLT_MAX;
        for (int i1 = 0; i1 <= kGroupS; ++i1) {
            for (int i2 = i1; i2 <= kGroupS; ++i2) {
                float sumqx, sumq2;
                split_s_sums(sumx, sumw, i1, i2, kXp, &sumqx, &sumq2);
                consider(sumqx, sumq2, i1, i2, 1, best_score, best);
                split_s_sums(sumx, sumw, i1, i2, kXm, &sumqx, &sumq2);
                consider(sumqx, sumq2, i1, i2, -1, best_score, best);
            }
        }
        return best;
    }

    static Split split_m(const HalfSums& hs) {
        Split best;
        float best_score = -FLT_MAX;
        for (int i1 = 0; i1 <= kGroupM; ++i1) {
            for (int i2 = i1; i2 <= kGroupM; ++i2) {
                float sumqx[4], sumq2[4];
                split_m_sums(hs, i1, i2, sumqx, sumq2);
                for (int k = 0; k < 4; ++k) consider(sumqx[k], sumq2[k], i1, i2, k, best_score, best);
            }
        }
        return best;
    }

    // iq1_find_best_neighbour2: the listed point whose levels, valued xg and
    // times scale, are nearest to x in weighted squared distance (the first
    // on ties).
    static int neighbour(const IqLattice& lat, const uint16_t* list, const float* x, const float* w, float scale,
                         const float* xg, int8_t* L) {
        float best_d2 = FLT_MAX;
        int best = -1;
        for (int j = 1; j <= int(list[0]); ++j) {
            const int8_t* pg = lat.point(list[j]);
            float d2 = 0;
            for (int i = 0; i < 8; ++i) {
                const float q = xg[(pg[i] - 1) / 2];
                const float diff = scale * q - x[i];
                d2 += w[i] * diff * diff;
            }
            if (d2 < best_d2) {
                best_d2 = d2;
                best = list[j];
            }
        }
        if (best < 0) best = neighbour_fallback(lat, list, x, w, scale, xg);
        levels_of_point(lat, best, L);
        return best;
    }
};


// ---------------------------------------------------------------- IQ1_S

// One row of IQ1_S (n a multiple of 256); qw: the row's importance weights.
template <class Steps>
void quantize_row_iq1_s(const IqLattice& lat, const float* x, block_iq1_s* y, int64_t n, const float* qw) {
    constexpr int bs = kGroupS;
    float scales[QK_K / bs], weight[bs], sumx[bs + 1 + kSumsPad] = {}, sumw[bs + 1 + kSumsPad] = {};
    int8_t shifts[QK_K / bs], L[bs];
    int idx[bs];
    uint16_t index[bs / 8];
    for (int64_t ibl = 0; ibl < n / QK_K; ++ibl) {
        block_iq1_s& b = y[ibl];
        b.d = fp32_to_fp16(0.f);
        std::memset(b.qs, 0, sizeof b.qs);
        std::memset(b.qh, 0, sizeof b.qh);
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = 2 * sum_x2(xbl, QK_K) / QK_K;
        float max_scale = 0;
        for (int ib = 0; ib < QK_K / bs; ++ib) {
            const float* xb = xbl + bs * ib;
            scales[ib] = 0;
            shifts[ib] = 1;
            Steps::weights(qw + QK_K * ibl + bs * ib, xb, sigma2, weight, bs);
            if (abs_max(xb, bs) < kEpsS) continue;
            Steps::order(xb, bs, idx);
            sumx[0] = sumw[0] = 0;
            for (int j = 0; j < bs; ++j) {
                const int i = idx[j];
                sumx[j + 1] = sumx[j] + weight[i] * xb[i];
                sumw[j + 1] = sumw[j] + weight[i];
            }
            Split s = Steps::split_s(sumx, sumw);
            if (s.i1 < 0 || s.i2 < 0 || s.shift == 0) continue;
            split_levels(s, idx, bs, L);
            if (s.scale < 0) {
                for (int j = 0; j < bs; ++j) L[j] = int8_t(2 - L[j]);
                s.scale = -s.scale;
                s.shift = -s.shift;
            }
            const float* xs = s.shift == 1 ? kXp : kXm;
            auto level_set = [xs](int) { return xs; };
            if (!snap_to_grid<Steps>(lat, bs, xb, weight, s.scale, level_set, L, index)) {
                s.scale = refit_scale(lat, bs, xb, weight, index, level_set, s.scale);
            }
            uint16_t h = 0;
            for (int k = 0; k < bs / 8; ++k) {
                b.qs[(bs / 8) * ib + k] = uint8_t(index[k] & 255);
                h = uint16_t(h | ((index[k] >> 8) << (3 * k)));
            }
            b.qh[ib] = h;
            scales[ib] = s.scale;
            shifts[ib] = int8_t(s.shift);
            max_scale = qmax(max_scale, s.scale);
        }
        if (max_scale == 0) continue;
        const float d = max_scale / 15;
        b.d = fp32_to_fp16(d * 1.125f);  // ggml's fudge factor
        const float id = 1 / d;
        for (int ib = 0; ib < QK_K / bs; ++ib) {
            int l = nearest_int(0.5f * (id * scales[ib] - 1));
            l = qmax(0, qmin(7, l));
            if (shifts[ib] == -1) l |= 8;
            b.qh[ib] = uint16_t(b.qh[ib] | (l << 12));
        }
    }
}

// ---------------------------------------------------------------- IQ1_M

// The level set of group k (0 or 1) of a 16-value IQ1_M sub-block with shift k.
inline const float* iq1m_levels(int shift, int k) {
    return (k == 0 ? shift < 2 : shift % 2 == 0) ? kXp : kXm;
}

inline void iq1m_weights_or_squares(const float* qw, const float* xb, float sigma2, float* weight,
                                    void (*weights)(const float*, const float*, float, float*, int)) {
    if (qw) {
        weights(qw, xb, sigma2, weight, kGroupM);
    } else {
        for (int i = 0; i < kGroupM; ++i) weight[i] = xb[i] * xb[i];
    }
}

// One row of IQ1_M; qw may be null (weights x^2).
template <class Steps>
void quantize_row_iq1_m(const IqLattice& lat, const float* x, block_iq1_m* y, int64_t n, const float* qw) {
    constexpr int bs = kGroupM;
    constexpr uint8_t masks[4] = {0x00, 0x80, 0x08, 0x88};  // qh bits of a shift: x_m in group 0 (0x08) / 1 (0x80)
    float scales[QK_K / bs], weight[bs];
    int8_t shifts[QK_K / bs], L[bs];
    int idx[bs];
    uint16_t index[bs / 8];
    HalfSums hs;
    for (int64_t ibl = 0; ibl < n / QK_K; ++ibl) {
        block_iq1_m& b = y[ibl];
        std::memset(&b, 0, sizeof b);
        const float* xbl = x + QK_K * ibl;
        const float* qwbl = qw ? qw + QK_K * ibl : nullptr;
        const float sigma2 = 2 * sum_x2(xbl, QK_K) / QK_K;
        float max_scale = 0;
        for (int ib = 0; ib < QK_K / bs; ++ib) {
            const float* xb = xbl + bs * ib;
            scales[ib] = 0;
            shifts[ib] = 0;
            iq1m_weights_or_squares(qwbl ? qwbl + bs * ib : nullptr, xb, sigma2, weight, Steps::weights);
            if (abs_max(xb, bs) < kEpsM) continue;
            Steps::order(xb, bs, idx);
            hs.px[0][0] = hs.px[1][0] = hs.pw[0][0] = hs.pw[1][0] = 0;
            for (int j = 0; j < bs; ++j) {
                const int i = idx[j];
                const int h = i < bs / 2 ? 0 : 1;
                hs.px[h][j + 1] = hs.px[h][j] + weight[i] * xb[i];
                hs.px[1 - h][j + 1] = hs.px[1 - h][j];
                hs.pw[h][j + 1] = hs.pw[h][j] + weight[i];
                hs.pw[1 - h][j + 1] = hs.pw[1 - h][j];
            }
            Split s = Steps::split_m(hs);
            if (s.i1 < 0 || s.i2 < 0 || s.shift < 0) continue;
            split_levels(s, idx, bs, L);
            if (s.scale < 0) {
                for (int j = 0; j < bs; ++j) L[j] = int8_t(2 - L[j]);
                s.scale = -s.scale;
                s.shift = 3 - s.shift;
            }
            const int shift = s.shift;
            auto level_set = [shift](int k) { return iq1m_levels(shift, k); };
            if (!snap_to_grid<Steps>(lat, bs, xb, weight, s.scale, level_set, L, index)) {
                s.scale = refit_scale(lat, bs, xb, weight, index, level_set, s.scale);
            }
            b.qs[2 * ib + 0] = uint8_t(index[0] & 255);
            b.qs[2 * ib + 1] = uint8_t(index[1] & 255);
            b.qh[ib] = uint8_t((index[0] >> 8) | ((index[1] >> 8) << 4));
            scales[ib] = s.scale;
            shifts[ib] = int8_t(s.shift);
            max_scale = qmax(max_scale, s.scale);
        }
        if (max_scale == 0) continue;
        // The four 16-bit scale words: 3-bit scales of 16 values in bits 0..11,
        // a nibble of the fp16 super-block scale in bits 12..15.
        uint16_t sc[4] = {0, 0, 0, 0};
        float d = max_scale / 15;
        const float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < QK_K / bs; ++ib) {
            int l = nearest_int(0.5f * (id * scales[ib] - 1));
            l = qmax(0, qmin(7, l));
            sc[ib / 4] = uint16_t(sc[ib / 4] | (l << (3 * (ib % 4))));
            b.qh[ib] = uint8_t(b.qh[ib] | masks[shifts[ib]]);
            // The super-block scale is refitted to the coded scales.
            const float* xb = xbl + bs * ib;
            iq1m_weights_or_squares(qwbl ? qwbl + bs * ib : nullptr, xb, sigma2, weight, Steps::weights);
            for (int k = 0; k < bs / 8; ++k) {
                const float* xs = iq1m_levels(shifts[ib], k);
                const int g = b.qs[2 * ib + k] | ((b.qh[ib] << (8 - 4 * k)) & 0x700);
                const int8_t* pg = lat.point(g);
                for (int j = 0; j < 8; ++j) {
                    const float w = weight[8 * k + j];
                    const float q = xs[(pg[j] - 1) / 2] * float(2 * l + 1);
                    sumqx += w * q * xb[8 * k + j];
                    sumq2 += w * q * q;
                }
            }
        }
        if (sumq2 > 0) d = sumqx / sumq2;
        const uint16_t s16 = fp32_to_fp16(d * 1.1125f);  // ggml's fudge factor
        sc[0] = uint16_t(sc[0] | ((s16 & 0x000f) << 12));
        sc[1] = uint16_t(sc[1] | ((s16 & 0x00f0) << 8));
        sc[2] = uint16_t(sc[2] | ((s16 & 0x0f00) << 4));
        sc[3] = uint16_t(sc[3] | (s16 & 0xf000));
        std::memcpy(b.scales, sc, sizeof sc);
    }
}

// ggml_quantize_chunk for IQ1_S / IQ1_M: rows quantized one by one with the
// same importance weights (one per column).
template <class Block, class QuantizeRow>
size_t quantize_rows(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix,
                     QuantizeRow quantize_row) {
    const IqLattice& lat = iq2_lattice(GgmlType::IQ1_S);  // IQ1_M shares it
    auto* out = static_cast<Block*>(dst);
    const int64_t nb = n_per_row / QK_K;
    for (int64_t r = 0; r < nrows; ++r) quantize_row(lat, src + r * n_per_row, out + r * nb, n_per_row, imatrix);
    return size_t(nrows * nb) * sizeof(Block);
}

// The fp16 super-block scale of IQ1_M, spread over the top nibbles of its
// four scale words.
inline float iq1m_scale(const block_iq1_m& b) {
    uint16_t sc[4];
    std::memcpy(sc, b.scales, sizeof sc);
    const uint16_t u = uint16_t((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
    return fp16_to_fp32(u);
}

}  // namespace quantlab::iq1
