// SIMD128 kernels of IQ1_S and IQ1_M.
//
// Quantize: the reference's driver (formats/ref/iq1_search.h) with its hot
// steps vectorised: the importance weights; the sort, as ranks counted four
// values at a time; the grid neighbour search, four listed points at a time
// (Iq1SimdSteps::neighbour, an arg-min); and the split search, across
// candidates. Four upper boundaries i2 are evaluated at once, each lane doing
// exactly the reference's float operations for its candidate (split_s_sums /
// split_m_sums, in the same order, no fused operations); the winner is then
// found max-first (SplitCandidates): the candidate of largest score, proved
// accepted by ggml whatever came before it, and ggml's comparisons replayed
// from there on. The bytes are the reference's
// (tests/formats/test_simd128_matches_ref.cpp, test_iq1_quants.cpp, the
// libggml golden files on every variant).
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

// Whether the n floats at p (n a multiple of 4) are all below 1e20 in
// magnitude (false for a NaN).
inline bool all_below_1e20(const float* p, int n) {
    v128_t ok = wasm_i32x4_splat(-1);
    for (int i = 0; i < n; i += 4) {
        ok = wasm_v128_and(ok, wasm_f32x4_lt(wasm_f32x4_abs(wasm_v128_load(p + i)), wasm_f32x4_splat(1e20f)));
    }
    return wasm_i32x4_all_true(ok);
}

// The upper-boundary weight sums (n + 1 of them, at sums) with their SIMD
// padding set to 1e30 instead of 0: a candidate i2 past n then has a large
// negative sumq2 (its top level's weight term, (total - 1e30) * v2^2 or
// 1e30 * (v1^2 - v2^2) with |v1| < |v2|, about -7e29 or less, dominates the
// other terms while the sums are below 1e20, which resolve() is told), so
// it is never accepted nor taken for the maximum, and needs no mask.
inline void pad_weights(const float* sums, int n, float* padded) {
    std::memcpy(padded, sums, sizeof(float) * size_t(n + 1));
    for (int j = n + 1; j < n + 1 + kSumsPad; ++j) padded[j] = 1e30f;
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

// The number of four-candidate vectors of a split search over n sorted
// values: for each i1 = 0..n, the upper boundaries i2 = i1..n four at a time.
constexpr int split_blocks(int n) {
    int b = 0;
    for (int i1 = 0; i1 <= n; ++i1) b += (n - i1 + 4) / 4;
    return b;
}

// The candidates of one split search, evaluated in a first pass and resolved
// max-first (issue 13). ggml's search accepts a candidate when
// sumq2 > 0 and sumqx^2 > best_score * sumq2, and then sets
// best_score = (sumqx / sumq2) * sumqx: the candidate's score s, computed
// here in every lane with the same two IEEE operations. The first pass
// stores each candidate's sumqx and sumq2 and, per block of candidates, the
// lane-wise maximum of their s, and keeps the maximum M of all s
// (f32x4.pmax: a NaN never becomes the maximum). Every candidate with
// sumq2 > 0 has s >= +0, or +inf; one with sumq2 < 0 (the lanes past the
// end are made so) has s <= 0, and one with sumq2 = +-0 has s = NaN or
// +-inf; so when 0 < M < +inf, M is the score of a real candidate. The
// search's state before the first candidate c* whose s equals M is -FLT_MAX
// or the score of an earlier accepted candidate, so at most P = max(0, the
// largest non-NaN s before c*); rounding is monotone, so if sumqx*^2 > P * sumq2* in
// float, c* is accepted whatever came before, and the state after it is
// exactly (s(c*), c*). Only the candidates after c* are then replayed, with
// a skip test that lets through every candidate ggml would accept (a vector
// none of whose lanes beats the current best changes nothing); as M is the
// largest score, few come near it. When that test fails (near-ties before
// c*), M is 0 or +inf, or the prefix sums are not all below 1e20 in
// magnitude (beyond, a sumqx or sumq2 could overflow and a score be NaN,
// or a padding lane have sumq2 > 0), the whole search is replayed in
// ggml's order from the stored sums instead.
template <int K, int NB>
struct SplitCandidates {
    v128_t qx[NB][K], q2[NB][K];
    v128_t block_max[NB];  // per lane, the largest non-NaN s of the block's K level sets (at least 0)
    int i1[NB], i2[NB], lanes[NB];
    int nb = 0;
    v128_t vmax = wasm_f32x4_splat(0.0f);

    // The K level sets of the candidates (a, b + j), j < n_lanes; lanes past
    // n_lanes must have sumq2 < 0 (see pad_weights).
    void add(const v128_t (&vqx)[K], const v128_t (&vq2)[K], int a, int b, int n_lanes) {
        v128_t bm = wasm_f32x4_splat(0.0f);
        for (int k = 0; k < K; ++k) {
            const v128_t sk = wasm_f32x4_mul(wasm_f32x4_div(vqx[k], vq2[k]), vqx[k]);
            bm = wasm_f32x4_pmax(bm, sk);  // pmax(a, b) = a < b ? b : a: a NaN b leaves a
            qx[nb][k] = vqx[k];
            q2[nb][k] = vq2[k];
        }
        block_max[nb] = bm;
        vmax = wasm_f32x4_pmax(vmax, bm);
        i1[nb] = a;
        i2[nb] = b;
        lanes[nb] = n_lanes;
        ++nb;
    }

    // Whether some lane of block b may beat a best of score bs: sumqx^2 >
    // bs * sumq2, consider()'s test without its sumq2 > 0 (a lane it lets
    // through in vain is rejected by the replay's own test).
    bool any_beats(int b, v128_t bs) const {
        v128_t any = wasm_f32x4_gt(wasm_f32x4_mul(qx[b][0], qx[b][0]), wasm_f32x4_mul(bs, q2[b][0]));
        for (int k = 1; k < K; ++k) {
            any = wasm_v128_or(any, wasm_f32x4_gt(wasm_f32x4_mul(qx[b][k], qx[b][k]), wasm_f32x4_mul(bs, q2[b][k])));
        }
        return (wasm_i32x4_bitmask(any) & lanes_up_to(lanes[b] - 1)) != 0;
    }

    // ggml's comparisons for blocks [from, nb), skipping those that change nothing.
    void replay_from(int from, const int (&shift)[K], float& best_score, Split& best) const {
        for (int b = from; b < nb; ++b) {
            if (any_beats(b, wasm_f32x4_splat(best_score))) {
                replay(qx[b], q2[b], shift, lanes[b], i1[b], i2[b], best_score, best);
            }
        }
    }

    // bounded: every prefix sum the candidates came from is below 1e20 in magnitude.
    Split resolve(const int (&shift)[K], bool bounded) const {
        Split best;
        float best_score = -FLT_MAX;
        v128_t m = wasm_f32x4_pmax(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
        m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
        const float M = wasm_f32x4_extract_lane(m, 0);
        if (!bounded || !(M > 0 && M < INFINITY)) {
            replay_from(0, shift, best_score, best);
            return best;
        }
        // The block of c*, and the maximum of the blocks before it.
        v128_t before = wasm_f32x4_splat(0.0f);
        int b = 0;
        while (!wasm_i32x4_bitmask(wasm_f32x4_eq(block_max[b], m))) before = wasm_f32x4_pmax(before, block_max[b++]);
        alignas(16) float sb[K][4], qxb[K][4], q2b[K][4], pb[4];
        for (int k = 0; k < K; ++k) {
            wasm_v128_store(sb[k], wasm_f32x4_mul(wasm_f32x4_div(qx[b][k], q2[b][k]), qx[b][k]));  // as add()
            wasm_v128_store(qxb[k], qx[b][k]);
            wasm_v128_store(q2b[k], q2[b][k]);
        }
        wasm_v128_store(pb, before);
        float P = pb[0];
        for (int j = 1; j < 4; ++j) P = pb[j] > P ? pb[j] : P;
        // c* in ggml's order within its block: lane j, then level set k.
        int jc = 0, kc = 0;
        for (int jk = 0;; ++jk) {
            jc = jk / K;
            kc = jk % K;
            if (sb[kc][jc] == M) break;
            P = sb[kc][jc] > P ? sb[kc][jc] : P;
        }
        const float cqx = qxb[kc][jc], cq2 = q2b[kc][jc];
        if (!(cqx * cqx > P * cq2)) {
            replay_from(0, shift, best_score, best);
            return best;
        }
        best.scale = cqx / cq2;
        best_score = best.scale * cqx;
        best.i1 = i1[b];
        best.i2 = i2[b] + jc;
        best.shift = shift[kc];
        for (int jk = jc * K + kc + 1; jk < lanes[b] * K; ++jk) {
            const int j = jk / K, k = jk % K;
            consider(qxb[k][j], q2b[k][j], i1[b], i2[b] + j, shift[k], best_score, best);
        }
        replay_from(b + 1, shift, best_score, best);
        return best;
    }
};

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

// The swizzle selectors of the IQ1 grid's points: code[g][i] picks, from a
// term vector {t[0][i], t[1][i], t[2][i], -} (term_table), the four bytes of
// the float at point g's level l of coordinate i: bytes 4l..4l+3, as one
// little-endian word 0x03020100 + 0x04040404 * l. Precomputed (64 KiB) so the
// neighbour search reads four points' selectors with four loads and a
// transpose instead of spreading each coordinate's byte at run time.
struct NeighbourCodes {
    alignas(16) uint32_t code[kIq1sGridSize][8];

    explicit NeighbourCodes(const IqLattice& lat) {
        if (lat.grid_size != kIq1sGridSize || lat.dims != 8) {
            throw Error(ErrorCode::Unsupported, "IQ1 neighbour codes: not the IQ1 lattice");
        }
        for (int g = 0; g < kIq1sGridSize; ++g) {
            const int8_t* pg = lat.point(g);
            for (int i = 0; i < 8; ++i) code[g][i] = 0x03020100u + 0x04040404u * uint32_t((pg[i] - 1) / 2);
        }
    }
};

// acc + the terms of coordinates 4h..4h+3 of four points, in coordinate
// order: r0..r3 hold the points' selectors of those coordinates (one point
// per vector), transposed to one coordinate per vector, four points per lane.
inline v128_t add_four_terms(v128_t acc, v128_t r0, v128_t r1, v128_t r2, v128_t r3, const v128_t* T) {
    const v128_t a = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);  // r0c0 r1c0 r0c1 r1c1
    const v128_t b = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
    const v128_t c = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);  // r0c2 r1c2 r0c3 r1c3
    const v128_t d = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
    acc = wasm_f32x4_add(acc, wasm_i8x16_swizzle(T[0], wasm_i64x2_shuffle(a, b, 0, 2)));
    acc = wasm_f32x4_add(acc, wasm_i8x16_swizzle(T[1], wasm_i64x2_shuffle(a, b, 1, 3)));
    acc = wasm_f32x4_add(acc, wasm_i8x16_swizzle(T[2], wasm_i64x2_shuffle(c, d, 0, 2)));
    return wasm_f32x4_add(acc, wasm_i8x16_swizzle(T[3], wasm_i64x2_shuffle(c, d, 1, 3)));
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
    // by the point's level (NeighbourCodes). ggml keeps a point when
    // its distance is below the best so far (FLT_MAX at first), so it ends on
    // the first point of least distance (a NaN never wins, nor FLT_MAX or
    // more): a vectorised arg-min, each lane keeping its first least point,
    // then the lowest list position among the lanes at the minimum. (The
    // padding lanes past the end repeat the last point: they tie with it and
    // lose on position.)
    static int neighbour(const IqLattice& lat, const uint16_t* list, const float* x, const float* w, float scale,
                         const float* xg, int8_t* L) {
        v128_t T[8];
        term_table(x, w, scale, xg, T);
        const int count = int(list[0]);
        const uint16_t* g = list + 1;
        static const NeighbourCodes codes(lat);
        // Per lane k: the least distance of points j + k so far (FLT_MAX: none
        // yet) and the first j + k that has it.
        v128_t lane_d2 = wasm_f32x4_splat(FLT_MAX), lane_j = wasm_i32x4_splat(-1);
        v128_t jv = wasm_i32x4_make(0, 1, 2, 3);
        for (int j = 0; j < count; j += 4) {
            // Points j..j+3 (past the end: the last again).
            const uint32_t* q0 = codes.code[g[j]];
            const uint32_t* q1 = codes.code[g[qmin(j + 1, count - 1)]];
            const uint32_t* q2 = codes.code[g[qmin(j + 2, count - 1)]];
            const uint32_t* q3 = codes.code[g[qmin(j + 3, count - 1)]];
            v128_t acc = wasm_f32x4_splat(0.0f);
            acc = add_four_terms(acc, wasm_v128_load(q0), wasm_v128_load(q1), wasm_v128_load(q2), wasm_v128_load(q3),
                                 T);
            acc = add_four_terms(acc, wasm_v128_load(q0 + 4), wasm_v128_load(q1 + 4), wasm_v128_load(q2 + 4),
                                 wasm_v128_load(q3 + 4), T + 4);
            const v128_t nearer = wasm_f32x4_lt(acc, lane_d2);
            lane_d2 = wasm_v128_bitselect(acc, lane_d2, nearer);
            lane_j = wasm_v128_bitselect(jv, lane_j, nearer);
            jv = wasm_i32x4_add(jv, wasm_i32x4_splat(4));
        }
        // The least distance, then the first point that has it.
        v128_t m = wasm_f32x4_pmin(lane_d2, wasm_i32x4_shuffle(lane_d2, lane_d2, 2, 3, 0, 1));
        m = wasm_f32x4_pmin(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
        v128_t first = wasm_v128_bitselect(lane_j, wasm_i32x4_splat(INT32_MAX), wasm_f32x4_eq(lane_d2, m));
        first = wasm_i32x4_min(first, wasm_i32x4_shuffle(first, first, 2, 3, 0, 1));
        first = wasm_i32x4_min(first, wasm_i32x4_shuffle(first, first, 1, 0, 3, 2));
        int best = wasm_f32x4_extract_lane(m, 0) < FLT_MAX ? int(g[wasm_i32x4_extract_lane(first, 0)]) : -1;
        if (best < 0) best = neighbour_fallback(lat, list, x, w, scale, xg);
        levels_of_point(lat, best, L);
        return best;
    }

    // IQ1_S: for each i1, the candidates i2 = i1 .. 32 four at a time (the
    // last four padded past 32: those lanes are masked off); per i2 ggml
    // tries x_p, then x_m.
    static Split split_s(const float* sumx, const float* sumw) {
        constexpr int n = kGroupS;
        SplitCandidates<2, split_blocks(n)> c;
        const float* xs[2] = {kXp, kXm};
        static_assert(kXm[1] == -kXp[1], "IQ1_S's middle levels are opposite");
        const v128_t x1p = wasm_f32x4_splat(kXp[1]);
        const v128_t x2[2] = {wasm_f32x4_splat(kXp[2]), wasm_f32x4_splat(kXm[2])};
        const v128_t sxn = wasm_f32x4_splat(sumx[n]), swn = wasm_f32x4_splat(sumw[n]);
        alignas(16) float sumw_padded[n + 1 + kSumsPad];
        pad_weights(sumw, n, sumw_padded);
        for (int i1 = 0; i1 <= n; ++i1) {
            // The terms that do not depend on i2, per level set (scalar, as the reference computes them).
            v128_t a0[2], b0[2];
            for (int s = 0; s < 2; ++s) {
                a0[s] = wasm_f32x4_splat((sumx[i1] - sumx[0]) * xs[s][0]);
                b0[s] = wasm_f32x4_splat((sumw[i1] - sumw[0]) * xs[s][0] * xs[s][0]);
            }
            const v128_t sx1 = wasm_f32x4_splat(sumx[i1]), sw1 = wasm_f32x4_splat(sumw[i1]);
            for (int i2 = i1; i2 <= n; i2 += 4) {
                const v128_t sx2 = wasm_v128_load(sumx + i2), sw2 = wasm_v128_load(sumw_padded + i2);
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
                c.add(vqx, vq2, i1, i2, qmin(4, n - i2 + 1));
            }
        }
        return c.resolve({1, -1}, all_below_1e20(sumx, n + 1 + kSumsPad) && all_below_1e20(sumw, n + 1 + kSumsPad));
    }

    // IQ1_M: per (i1, i2) the four level-set pairs k = 0..3 of split_m_sums,
    // four i2 at a time as in split_s.
    static Split split_m(const HalfSums& hs) {
        constexpr int n = kGroupM;
        const SplitMConstants c;
        SplitCandidates<4, split_blocks(n)> cands;
        const v128_t cp2 = wasm_f32x4_splat(c.cp2), cm2 = wasm_f32x4_splat(c.cm2);
        alignas(16) float pw_padded[2][n + 1 + kSumsPad];
        pad_weights(hs.pw[0], n, pw_padded[0]);
        pad_weights(hs.pw[1], n, pw_padded[1]);
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
                    const v128_t pw2 = wasm_v128_load(pw_padded[h] + i2);
                    qxp[h] = wasm_f32x4_sub(txp[h], sx);
                    qxm[h] = wasm_f32x4_sub(txm[h], sx);
                    q2p[h] = wasm_f32x4_add(q2p0[h], wasm_f32x4_mul(pw2, cp2));
                    q2m[h] = wasm_f32x4_add(q2m0[h], wasm_f32x4_mul(pw2, cm2));
                }
                const v128_t vqx[4] = {wasm_f32x4_add(qxp[0], qxp[1]), wasm_f32x4_add(qxp[0], qxm[1]),
                                       wasm_f32x4_add(qxm[0], qxp[1]), wasm_f32x4_add(qxm[0], qxm[1])};
                const v128_t vq2[4] = {wasm_f32x4_add(q2p[0], q2p[1]), wasm_f32x4_add(q2p[0], q2m[1]),
                                       wasm_f32x4_add(q2m[0], q2p[1]), wasm_f32x4_add(q2m[0], q2m[1])};
                cands.add(vqx, vq2, i1, i2, qmin(4, n - i2 + 1));
            }
        }
        constexpr int len = n + 1 + kSumsPad;
        return cands.resolve({0, 1, 2, 3}, all_below_1e20(hs.px[0], len) && all_below_1e20(hs.px[1], len) &&
                                               all_below_1e20(hs.pw[0], len) && all_below_1e20(hs.pw[1], len));
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

iq1::Split iq1_split_s_simd128(const float* sumx, const float* sumw) { return Iq1SimdSteps::split_s(sumx, sumw); }
iq1::Split iq1_split_m_simd128(const iq1::HalfSums& hs) { return Iq1SimdSteps::split_m(hs); }
int iq1_neighbour_simd128(const IqLattice& lat, const uint16_t* list, const float* x, const float* w, float scale,
                          const float* xg, int8_t* L) {
    return Iq1SimdSteps::neighbour(lat, list, x, w, scale, xg, L);
}

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
