// SIMD128 kernels of IQ1_S and IQ1_M.
//
// Quantize: the reference's driver (formats/ref/iq1_search.h) with its hot
// steps vectorised: the importance weights; the sort, as ranks counted four
// values at a time; the grid neighbour search, four listed points at a time
// (Iq1SimdSteps::neighbour); and the split search, across candidates. Four
// upper boundaries i2 are
// evaluated at once, each lane doing exactly the reference's float
// operations for its candidate (split_s_sums / split_m_sums, in the same
// order, no fused operations); the candidates' comparisons are then replayed
// one by one in ggml's order, but only for a vector that holds a candidate
// that beats the current best: while the best does not change every
// comparison is against the same best_score, so a vector whose lanes all
// fail changes nothing, and skipping it is exact. The bytes are the
// reference's (tests/formats/test_simd128_matches_ref.cpp, the libggml golden
// files on every variant).
//
// Dequantize: dl * (g + delta) per value, dl = d * ls, the reference's
// float operations; g + delta comes from a small table of four-value
// patterns (DequantTables), so a grid point is two loads and two multiplies.
//
// vec_dot with Q8_K: the super-block unpacked to int16 (iq1_unpack_simd128.h)
// and dotted in four int32 lanes, acc += float(sumi) * (d_a * d_w / 8):
// the steps of the super-block gemm tile (gemm_superblock_simd128.h), so the
// gemm gives these floats bit for bit.
#include "formats/simd128/iq1_quants_simd128.h"

#include <cstring>

#include "core/error.h"
#include "formats/ref/iq1_search.h"
#include "formats/simd128/iq1_unpack_simd128.h"
#include "formats/simd128/simd128.h"
#include "formats/simd128/unpacked_superblock_dot_simd128.h"
#include "formats/type_traits.h"  // imatrix_required_message

namespace quantlab {

using namespace iq1;
using namespace simd;

namespace {

// Lanes of candidates that would replace a best of score bs (splat):
// sumq2 > 0 and sumqx^2 > best_score * sumq2 (consider()'s test).
inline v128_t beats(v128_t qx, v128_t q2, v128_t bs) {
    return wasm_v128_and(wasm_f32x4_gt(q2, wasm_f32x4_splat(0.0f)),
                         wasm_f32x4_gt(wasm_f32x4_mul(qx, qx), wasm_f32x4_mul(bs, q2)));
}

// Bitmask of the lanes j = 0..3 with j <= last (a vector of candidates whose
// tail runs past the end of the search).
inline int lanes_up_to(int last) { return last >= 3 ? 0xf : (1 << (last + 1)) - 1; }

// consider() for the candidates of one vector, in ggml's order: for each of
// the first `lanes` lanes j (upper boundary i2 + j), the K level sets k with
// their shift codes shift[k].
template <int K>
inline void replay(const v128_t (&vqx)[K], const v128_t (&vq2)[K], const int (&shift)[K], int lanes, int i1, int i2,
                   float& best_score, Split& best) {
    alignas(16) float qx[K][4], q2[K][4];
    for (int k = 0; k < K; ++k) {
        wasm_v128_store(qx[k], vqx[k]);
        wasm_v128_store(q2[k], vq2[k]);
    }
    for (int j = 0; j < lanes; ++j) {
        for (int k = 0; k < K; ++k) consider(qx[k][j], q2[k][j], i1, i2 + j, shift[k], best_score, best);
    }
}

// The terms of iq1_find_best_neighbour2's distance: T[i] holds, for
// coordinate i, w[i] * diff * diff with diff = scale * xg[l] - x[i] at the
// levels l = 0, 1, 2 in lanes 0..2 (lane 3 unused).
inline void term_table(const float* x, const float* w, float scale, const float* xg, v128_t* T) {
    const v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 4);
    const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
    v128_t t[3][2];
    for (int l = 0; l < 3; ++l) {
        const v128_t q = wasm_f32x4_splat(scale * xg[l]);
        const v128_t d0 = wasm_f32x4_sub(q, x0), d1 = wasm_f32x4_sub(q, x1);
        t[l][0] = wasm_f32x4_mul(wasm_f32x4_mul(w0, d0), d0);
        t[l][1] = wasm_f32x4_mul(wasm_f32x4_mul(w1, d1), d1);
    }
    // Transpose levels x coordinates (4 at a time) to coordinates x levels.
    for (int h = 0; h < 2; ++h) {
        const v128_t ab_lo = wasm_i32x4_shuffle(t[0][h], t[1][h], 0, 4, 1, 5);  // t0c0 t1c0 t0c1 t1c1
        const v128_t ab_hi = wasm_i32x4_shuffle(t[0][h], t[1][h], 2, 6, 3, 7);  // t0c2 t1c2 t0c3 t1c3
        const v128_t c = t[2][h];
        T[4 * h + 0] = wasm_i32x4_shuffle(ab_lo, c, 0, 1, 4, 4);
        T[4 * h + 1] = wasm_i32x4_shuffle(ab_lo, c, 2, 3, 5, 5);
        T[4 * h + 2] = wasm_i32x4_shuffle(ab_hi, c, 0, 1, 6, 6);
        T[4 * h + 3] = wasm_i32x4_shuffle(ab_hi, c, 2, 3, 7, 7);
    }
}

// acc + the term of coordinate (4 * block + I) for four points: bytes 4I..4I+3
// of c (the points' byte offsets 4l for that coordinate) spread over the
// lanes' four bytes, plus 0..3, select the lanes' floats from Ti.
template <int I>
inline v128_t add_term(v128_t acc, v128_t c, v128_t Ti, v128_t byte_of_lane) {
    const v128_t rep = wasm_i8x16_shuffle(c, c, 4 * I, 4 * I, 4 * I, 4 * I, 4 * I + 1, 4 * I + 1, 4 * I + 1, 4 * I + 1,
                                          4 * I + 2, 4 * I + 2, 4 * I + 2, 4 * I + 2, 4 * I + 3, 4 * I + 3, 4 * I + 3,
                                          4 * I + 3);
    return wasm_f32x4_add(acc, wasm_i8x16_swizzle(Ti, wasm_i8x16_add(rep, byte_of_lane)));
}

struct Iq1SimdSteps : RefSteps {
    // The indices sorted by value, ties in index order: what the reference's
    // std::stable_sort gives (for numbers the order is unique). Each value's
    // place is its rank, the count of values before it in that order:
    // #{j : x[j] < x[i]} + #{j < i : x[j] == x[i]}, four values at a time.
    // A group holding a NaN (only callers that skip the checked API's
    // finiteness test) is sorted by insertion, as before.
    static void order(const float* x, int n, int* idx) {
        v128_t numbers = wasm_i32x4_splat(-1);
        for (int v = 0; v < n; v += 4) {
            const v128_t xv = wasm_v128_load(x + v);
            numbers = wasm_v128_and(numbers, wasm_f32x4_eq(xv, xv));
        }
        if (!wasm_i32x4_all_true(numbers)) {
            insertion_order(x, n, idx);
            return;
        }
        // Lanes k of a four whose index is above the four's j-th (k > j).
        const v128_t after[4] = {wasm_i32x4_make(0, -1, -1, -1), wasm_i32x4_make(0, 0, -1, -1),
                                 wasm_i32x4_make(0, 0, 0, -1), wasm_i32x4_splat(0)};
        for (int v = 0; v < n; v += 4) {
            const v128_t xi = wasm_v128_load(x + v);
            // Counts are subtracted masks (-1 per true lane).
            v128_t r0 = wasm_i32x4_splat(0), r1 = wasm_i32x4_splat(0);
            int j = 0;
            for (; j < v; j += 2) {  // earlier indices: x[j] <= x[i]
                r0 = wasm_i32x4_sub(r0, wasm_f32x4_le(wasm_v128_load32_splat(x + j), xi));
                r1 = wasm_i32x4_sub(r1, wasm_f32x4_le(wasm_v128_load32_splat(x + j + 1), xi));
            }
            for (; j < v + 4; ++j) {  // the four itself
                const v128_t xj = wasm_v128_load32_splat(x + j);
                r0 = wasm_i32x4_sub(r0, wasm_v128_or(wasm_f32x4_lt(xj, xi),
                                                     wasm_v128_and(wasm_f32x4_eq(xj, xi), after[j - v])));
            }
            for (; j < n; j += 2) {  // later indices: x[j] < x[i]
                r0 = wasm_i32x4_sub(r0, wasm_f32x4_lt(wasm_v128_load32_splat(x + j), xi));
                r1 = wasm_i32x4_sub(r1, wasm_f32x4_lt(wasm_v128_load32_splat(x + j + 1), xi));
            }
            alignas(16) int32_t rank[4];
            wasm_v128_store(rank, wasm_i32x4_add(r0, r1));
            for (int k = 0; k < 4; ++k) idx[rank[k]] = v + k;
        }
    }

    static void insertion_order(const float* x, int n, int* idx) {
        for (int i = 0; i < n; ++i) {
            int j = i;
            while (j > 0 && x[i] < x[idx[j - 1]]) {
                idx[j] = idx[j - 1];
                --j;
            }
            idx[j] = i;
        }
    }

    // qw * sqrt(sigma2 + x^2), four values at a time: the same three IEEE
    // operations as the reference (f32x4.sqrt is correctly rounded, as sqrtf).
    static void weights(const float* qw, const float* x, float sigma2, float* w, int n) {
        const v128_t s2 = wasm_f32x4_splat(sigma2);
        for (int i = 0; i < n; i += 4) {
            const v128_t xi = wasm_v128_load(x + i);
            const v128_t r = wasm_f32x4_sqrt(wasm_f32x4_add(s2, wasm_f32x4_mul(xi, xi)));
            wasm_v128_store(w + i, wasm_f32x4_mul(wasm_v128_load(qw + i), r));
        }
    }

    // iq1_find_best_neighbour2, four listed points at a time. Coordinate i at
    // level l adds t[l][i] = w[i] * diff * diff, diff = scale * xg[l] - x[i]
    // (the reference's operations on the same values); a point's distance is
    // the sum of its eight terms in coordinate order, one lane per point. The
    // terms come from a byte swizzle of T[i] = {t[0][i], t[1][i], t[2][i], -}
    // by the point's level (byte 4l + 0..3 of T[i]). The points' comparisons
    // are replayed in list order, but only for four that hold one nearer than
    // the best so far (skipping the others is exact: each would fail its own
    // comparison against the same best).
    static int neighbour(const IqLattice& lat, const uint16_t* list, const float* x, const float* w, float scale,
                         const float* xg, int8_t* L) {
        v128_t T[8];
        term_table(x, w, scale, xg, T);
        const int count = int(list[0]);
        const uint16_t* g = list + 1;
        const v128_t byte_of_lane = wasm_i32x4_splat(0x03020100);
        float best_d2 = FLT_MAX;
        int best = -1;
        alignas(16) float d2[4];
        for (int j = 0; j < count; j += 4) {
            // Points j..j+3 (past the end: the last again, never replayed).
            const int8_t* p0 = lat.point(g[j]);
            const int8_t* p1 = lat.point(g[qmin(j + 1, count - 1)]);
            const int8_t* p2 = lat.point(g[qmin(j + 2, count - 1)]);
            const int8_t* p3 = lat.point(g[qmin(j + 3, count - 1)]);
            // Odd coordinates p = 2l + 1 to byte offsets 4l = 2p - 2, then
            // transposed: byte 4i + k of c03 / c47 is coordinate i (4 + i) of point k.
            const v128_t two = wasm_i8x16_splat(2);
            v128_t a = wasm_v128_load64_lane(p2, wasm_v128_load64_zero(p0), 1);
            v128_t b = wasm_v128_load64_lane(p3, wasm_v128_load64_zero(p1), 1);
            a = wasm_i8x16_sub(wasm_i8x16_add(a, a), two);
            b = wasm_i8x16_sub(wasm_i8x16_add(b, b), two);
            // a: p0 c0..7, p2 c0..7; b: p1 c0..7, p3 c0..7
            const v128_t lo = wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const v128_t hi = wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            // lo: (p0 ci, p1 ci) for i = 0..7; hi: (p2 ci, p3 ci)
            const v128_t c03 = wasm_i16x8_shuffle(lo, hi, 0, 8, 1, 9, 2, 10, 3, 11);
            const v128_t c47 = wasm_i16x8_shuffle(lo, hi, 4, 12, 5, 13, 6, 14, 7, 15);
            v128_t acc = wasm_f32x4_splat(0.0f);
            acc = add_term<0>(acc, c03, T[0], byte_of_lane);
            acc = add_term<1>(acc, c03, T[1], byte_of_lane);
            acc = add_term<2>(acc, c03, T[2], byte_of_lane);
            acc = add_term<3>(acc, c03, T[3], byte_of_lane);
            acc = add_term<0>(acc, c47, T[4], byte_of_lane);
            acc = add_term<1>(acc, c47, T[5], byte_of_lane);
            acc = add_term<2>(acc, c47, T[6], byte_of_lane);
            acc = add_term<3>(acc, c47, T[7], byte_of_lane);
            if (!wasm_i32x4_bitmask(wasm_f32x4_lt(acc, wasm_f32x4_splat(best_d2)))) continue;
            wasm_v128_store(d2, acc);
            const int m = qmin(4, count - j);
            for (int k = 0; k < m; ++k) {
                if (d2[k] < best_d2) {
                    best_d2 = d2[k];
                    best = g[j + k];
                }
            }
        }
        if (best < 0) best = neighbour_fallback(lat, list, x, w, scale, xg);
        levels_of_point(lat, best, L);
        return best;
    }

    // IQ1_S: for each i1, the candidates i2 = i1 .. 32 four at a time (the
    // last four padded past 32: those lanes are masked off); per i2 ggml
    // tries x_p, then x_m.
    static Split split_s(const float* sumx, const float* sumw) {
        constexpr int n = kGroupS;
        Split best;
        float best_score = -FLT_MAX;
        const float* xs[2] = {kXp, kXm};
        static_assert(kXm[1] == -kXp[1], "IQ1_S's middle levels are opposite");
        const v128_t x1p = wasm_f32x4_splat(kXp[1]);
        const v128_t x2[2] = {wasm_f32x4_splat(kXp[2]), wasm_f32x4_splat(kXm[2])};
        const v128_t sxn = wasm_f32x4_splat(sumx[n]), swn = wasm_f32x4_splat(sumw[n]);
        for (int i1 = 0; i1 <= n; ++i1) {
            // The terms that do not depend on i2, per level set (scalar, as the reference computes them).
            v128_t a0[2], b0[2];
            for (int s = 0; s < 2; ++s) {
                a0[s] = wasm_f32x4_splat((sumx[i1] - sumx[0]) * xs[s][0]);
                b0[s] = wasm_f32x4_splat((sumw[i1] - sumw[0]) * xs[s][0] * xs[s][0]);
            }
            const v128_t sx1 = wasm_f32x4_splat(sumx[i1]), sw1 = wasm_f32x4_splat(sumw[i1]);
            for (int i2 = i1; i2 <= n; i2 += 4) {
                const v128_t sx2 = wasm_v128_load(sumx + i2), sw2 = wasm_v128_load(sumw + i2);
                const v128_t dx1 = wasm_f32x4_sub(sx2, sx1), dx2 = wasm_f32x4_sub(sxn, sx2);
                const v128_t dw1 = wasm_f32x4_sub(sw2, sw1), dw2 = wasm_f32x4_sub(swn, sw2);
                // The middle levels are +-1/8: dx1 * x_m[1] is -(dx1 * x_p[1]) and
                // dw1 * x_m[1] * x_m[1] equals dw1 * x_p[1] * x_p[1], bit for bit
                // (rounding is symmetric in sign), so each is computed once.
                const v128_t mx = wasm_f32x4_mul(dx1, x1p);
                const v128_t mw = wasm_f32x4_mul(wasm_f32x4_mul(dw1, x1p), x1p);
                const v128_t vqx[2] = {wasm_f32x4_add(wasm_f32x4_add(a0[0], mx), wasm_f32x4_mul(dx2, x2[0])),
                                       wasm_f32x4_add(wasm_f32x4_sub(a0[1], mx), wasm_f32x4_mul(dx2, x2[1]))};
                v128_t vq2[2];
                for (int s = 0; s < 2; ++s) {
                    vq2[s] = wasm_f32x4_add(wasm_f32x4_add(b0[s], mw), wasm_f32x4_mul(wasm_f32x4_mul(dw2, x2[s]), x2[s]));
                }
                const v128_t bs = wasm_f32x4_splat(best_score);
                if (!(wasm_i32x4_bitmask(wasm_v128_or(beats(vqx[0], vq2[0], bs), beats(vqx[1], vq2[1], bs))) &
                      lanes_up_to(n - i2))) {
                    continue;
                }
                replay(vqx, vq2, {1, -1}, qmin(4, n - i2 + 1), i1, i2, best_score, best);
            }
        }
        return best;
    }

    // IQ1_M: per (i1, i2) the four level-set pairs k = 0..3 of split_m_sums,
    // four i2 at a time as in split_s.
    static Split split_m(const HalfSums& hs) {
        constexpr int n = kGroupM;
        const SplitMConstants c;
        Split best;
        float best_score = -FLT_MAX;
        const v128_t cp2 = wasm_f32x4_splat(c.cp2), cm2 = wasm_f32x4_splat(c.cm2);
        for (int i1 = 0; i1 <= n; ++i1) {
            // Per half h: tx * v2 (scalar, as the reference), and the first two
            // terms of the weight sums, which do not depend on i2.
            v128_t txp[2], txm[2], q2p0[2], q2m0[2], px1[2];
            for (int h = 0; h < 2; ++h) {
                const float tx = hs.px[h][n], tw = hs.pw[h][n];
                txp[h] = wasm_f32x4_splat(tx * c.p2);
                txm[h] = wasm_f32x4_splat(tx * c.m2);
                q2p0[h] = wasm_f32x4_splat(tw * c.p2 * c.p2 + hs.pw[h][i1] * c.cp1);
                q2m0[h] = wasm_f32x4_splat(tw * c.m2 * c.m2 + hs.pw[h][i1] * c.cm1);
                px1[h] = wasm_f32x4_splat(hs.px[h][i1]);
            }
            for (int i2 = i1; i2 <= n; i2 += 4) {
                v128_t qxp[2], qxm[2], q2p[2], q2m[2];
                for (int h = 0; h < 2; ++h) {
                    const v128_t sx = wasm_f32x4_add(px1[h], wasm_v128_load(hs.px[h] + i2));
                    const v128_t pw2 = wasm_v128_load(hs.pw[h] + i2);
                    qxp[h] = wasm_f32x4_sub(txp[h], sx);
                    qxm[h] = wasm_f32x4_sub(txm[h], sx);
                    q2p[h] = wasm_f32x4_add(q2p0[h], wasm_f32x4_mul(pw2, cp2));
                    q2m[h] = wasm_f32x4_add(q2m0[h], wasm_f32x4_mul(pw2, cm2));
                }
                const v128_t vqx[4] = {wasm_f32x4_add(qxp[0], qxp[1]), wasm_f32x4_add(qxp[0], qxm[1]),
                                       wasm_f32x4_add(qxm[0], qxp[1]), wasm_f32x4_add(qxm[0], qxm[1])};
                const v128_t vq2[4] = {wasm_f32x4_add(q2p[0], q2p[1]), wasm_f32x4_add(q2p[0], q2m[1]),
                                       wasm_f32x4_add(q2m[0], q2p[1]), wasm_f32x4_add(q2m[0], q2m[1])};
                const v128_t bs = wasm_f32x4_splat(best_score);
                const v128_t any = wasm_v128_or(wasm_v128_or(beats(vqx[0], vq2[0], bs), beats(vqx[1], vq2[1], bs)),
                                                wasm_v128_or(beats(vqx[2], vq2[2], bs), beats(vqx[3], vq2[3], bs)));
                if (!(wasm_i32x4_bitmask(any) & lanes_up_to(n - i2))) continue;
                replay(vqx, vq2, {0, 1, 2, 3}, qmin(4, n - i2 + 1), i1, i2, best_score, best);
            }
        }
        return best;
    }
};

template <class Block>
float vec_dot_iq1_simd(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return vec_dot_unpacked_superblocks_simd128<Block>(
        n, vx, vy, a16, [](const Block& b, int16_t* w) { unpack_iq1_superblock(b, w); },
        [](const Block& b) { return iq1_unpacked_d(b); });
}

// Dequantization tables: a grid point's eight coordinates (-1, 0, 1) as two
// halves of four, each one of 3^4 = 81 patterns; half[g] holds grid point
// g's two pattern numbers (low byte: coordinates 0..3). level[s][c] holds
// pattern c's four floats float(coordinate) + delta, delta = +1/8 (s = 0) or
// -1/8 (s = 1): the reference's first float operation, done once here.
struct DequantTables {
    uint16_t half[kIq1sGridSize];
    v128_t level[2][81];

    DequantTables() {
        for (int c = 0; c < 81; ++c) {
            alignas(16) float v[2][4];
            for (int k = 0, r = c; k < 4; ++k, r /= 3) {
                v[0][k] = float(r % 3 - 1) + kIq1Delta;
                v[1][k] = float(r % 3 - 1) + -kIq1Delta;
            }
            level[0][c] = wasm_v128_load(v[0]);
            level[1][c] = wasm_v128_load(v[1]);
        }
        for (int g = 0; g < kIq1sGridSize; ++g) {
            int pattern[2] = {0, 0};
            for (int k = 7; k >= 0; --k) pattern[k / 4] = 3 * pattern[k / 4] + (int8_t(kIq1sGrid[g] >> (8 * k)) + 1);
            half[g] = uint16_t(pattern[0] | pattern[1] << 8);
        }
    }
};

const DequantTables& dequant_tables() {
    static const DequantTables t;
    return t;
}

// Eight values dl * (g + delta) of grid point g (sign: delta < 0): the
// reference's float steps, the first one from the tables.
inline void dequantize_point(const DequantTables& t, int g, v128_t dl, int sign, float* y) {
    const unsigned h = t.half[g];
    wasm_v128_store(y, wasm_f32x4_mul(dl, t.level[sign][h & 255]));
    wasm_v128_store(y + 4, wasm_f32x4_mul(dl, t.level[sign][h >> 8]));
}

}  // namespace

size_t quantize_iq1_s_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) throw Error(ErrorCode::InvalidArgument, imatrix_required_message("iq1_s"));
    return quantize_rows<block_iq1_s>(src, dst, nrows, n_per_row, imatrix, quantize_row_iq1_s<Iq1SimdSteps>);
}

size_t quantize_iq1_m_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_rows<block_iq1_m>(src, dst, nrows, n_per_row, imatrix, quantize_row_iq1_m<Iq1SimdSteps>);
}

void dequantize_row_iq1_s_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq1_s*>(vx);
    const DequantTables& t = dequant_tables();
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const unsigned qh = x[i].qh[ib];
            const v128_t dl = wasm_f32x4_splat(d * float(2 * ((qh >> 12) & 7) + 1));
            const int sign = int(qh >> 15);
            const uint8_t* qs = x[i].qs + 4 * ib;
            for (int l = 0; l < 4; ++l) {
                dequantize_point(t, qs[l] | int((qh >> (3 * l)) & 7) << 8, dl, sign, y);
                y += 8;
            }
        }
    }
}

void dequantize_row_iq1_m_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq1_m*>(vx);
    const DequantTables& t = dequant_tables();
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = iq1m_scale(x[i]);
        uint16_t sc[4];
        std::memcpy(sc, x[i].scales, sizeof sc);
        // 16 values at a time: one 3-bit scale, two grid points whose high
        // index bits and delta signs are the two nibbles of one qh byte.
        for (int j = 0; j < QK_K / 16; ++j) {
            const v128_t dl = wasm_f32x4_splat(d * float(2 * ((sc[j / 4] >> (3 * (j % 4))) & 7) + 1));
            const unsigned qh = x[i].qh[j];
            dequantize_point(t, x[i].qs[2 * j] | int(qh & 7) << 8, dl, int((qh >> 3) & 1), y);
            dequantize_point(t, x[i].qs[2 * j + 1] | int(qh & 0x70) << 4, dl, int(qh >> 7), y + 8);
            y += 16;
        }
    }
}

float vec_dot_iq1_s_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq1_simd<block_iq1_s>(n, x, y, nullptr);
}
float vec_dot_iq1_m_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq1_simd<block_iq1_m>(n, x, y, nullptr);
}
float vec_dot_iq1_s_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq1_simd<block_iq1_s>(n, x, y, y16);
}
float vec_dot_iq1_m_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq1_simd<block_iq1_m>(n, x, y, y16);
}

}  // namespace quantlab
