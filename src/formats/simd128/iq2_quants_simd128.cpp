// SIMD128 kernels of IQ2_XXS, IQ2_XS and IQ2_S (algorithms: ggml-quants.c,
// see formats/ref/iq2_quants_ref.cpp; these must reproduce its bytes).
//
// Where the quantizers' time goes, and how it is cut. ggml tries 13 (IQ2_XXS)
// or 19 candidate scales per group; for each, every group of 8 values is
// rounded to levels, and when those are not a grid point (75-95 % of the
// time) its neighbour list is searched: on ggml's test data 24 (IQ2_XXS), 44
// (IQ2_XS) or 9 (IQ2_S) points, each a sum of 8 weighted squared distances.
// Here:
//   - a neighbour's term for coordinate i, (w_i * (s*q - x_i)) * (s*q - x_i),
//     takes one of three values (q = 1, 3, 5), so the three are computed once
//     per search into a 4-float table per coordinate; four neighbours' terms
//     are then one byte swizzle of that table, and their sums run in four
//     lanes, each adding its 8 terms in ggml's order (bit-identical sums);
//   - the swizzle indices of a list depend only on the list, and consecutive
//     candidates land on the same list ~78 % of the time, so they are built
//     once per list and kept;
//   - the candidates' fit sums (sum w x q, sum w q^2 over the group, in index
//     order) run with candidates in lanes, q again looked up by swizzle;
//     only the choice among candidates (ggml's strict comparison, in order)
//     is sequential.
// Every float that reaches a comparison is computed by the same operations on
// the same operands as in the reference, so every decision is the same.
#include "formats/simd128/iq2_quants_simd128.h"

#include <cfloat>
#include <cmath>
#include <cstring>

#include "formats/block_types.h"
#include "formats/ref/iq2_search.h"
#include "formats/simd128/iq2_unpack_simd128.h"
#include "formats/simd128/simd128.h"
#include "formats/simd128/unpacked_superblock_dot_simd128.h"

// Natively, SIMDe emulates i8x16.swizzle with a loop carrying a vectorize
// hint that clang cannot honour for baseline x86-64; -Wpass-failed would fail
// a -Werror build. The emulation stays correct; wasm has the real instruction.
#if defined(__clang__) && !defined(__wasm_simd128__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

namespace quantlab {

using namespace simd;
using namespace iq2;

namespace {

// ---------------------------------------------------------------- neighbour search
// The longest neighbour list of the three lattices (IQ2_XS: 292 points), in chunks of 4.
constexpr int kMaxListChunks = 80;

// Swizzle indices of one neighbour list: for chunk c (points 4c..4c+3) and
// coordinate i, lane j holds the byte offsets 4 * level + 0..3 of point
// 4c+j's coordinate i into a 4-float table. Lanes past the list's end point
// at the table's spare entry 3.
struct ListIndices {
    const IqLattice* lat = nullptr;
    int u = -1;
    int chunks = 0;
    const uint16_t* list = nullptr;
    v128_t idx[kMaxListChunks * 8];
};

// Byte k of every lane: 4 * level(point_j, k) + lane byte, from the points'
// odd coordinates p = 2 level + 1 (4 level = 2p - 2).
template <int k>
inline v128_t coordinate_offsets(v128_t a, v128_t b) {
    return wasm_i8x16_add(wasm_i8x16_shuffle(a, b, k, k, k, k, 8 + k, 8 + k, 8 + k, 8 + k, 16 + k, 16 + k, 16 + k,
                                             16 + k, 24 + k, 24 + k, 24 + k, 24 + k),
                          wasm_i8x16_const(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
}

void build_list_indices(const IqLattice& lat, int u, ListIndices& c) {
    c.lat = &lat;
    c.u = u;
    c.list = lat.neighbours_of(u);
    const int n = c.list[0];
    c.chunks = (n + 3) / 4;
    // A point of all 7s stands for "no point": 2 * 7 - 2 = 12, the spare entry.
    constexpr uint64_t kPad = 0x0707070707070707ull;
    for (int ch = 0; ch < c.chunks; ++ch) {
        uint64_t p[4];
        for (int j = 0; j < 4; ++j) {
            const int e = 4 * ch + j;
            if (e < n) std::memcpy(&p[j], lat.point(c.list[1 + e]), 8);
            else p[j] = kPad;
        }
        v128_t a = wasm_i64x2_make(int64_t(p[0]), int64_t(p[1])), b = wasm_i64x2_make(int64_t(p[2]), int64_t(p[3]));
        const v128_t two = wasm_i8x16_splat(2);
        a = wasm_i8x16_sub(wasm_i8x16_add(a, a), two);
        b = wasm_i8x16_sub(wasm_i8x16_add(b, b), two);
        v128_t* out = c.idx + 8 * ch;
        out[0] = coordinate_offsets<0>(a, b);
        out[1] = coordinate_offsets<1>(a, b);
        out[2] = coordinate_offsets<2>(a, b);
        out[3] = coordinate_offsets<3>(a, b);
        out[4] = coordinate_offsets<4>(a, b);
        out[5] = coordinate_offsets<5>(a, b);
        out[6] = coordinate_offsets<6>(a, b);
        out[7] = coordinate_offsets<7>(a, b);
    }
}

// Smallest lane (no lane is NaN here).
inline float f32x4_hmin(v128_t v) {
    v = wasm_f32x4_pmin(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1), v);
    v = wasm_f32x4_pmin(wasm_i32x4_shuffle(v, v, 1, 0, 3, 2), v);
    return wasm_f32x4_extract_lane(v, 0);
}

// ggml's iq2_find_best_neighbour (IqLattice::best_neighbour) for the 8 values
// whose splatted xval / waux are X[0..7] / W[0..7], at scale s, over list u.
// Returns the grid index; the first listed point on ties, list[1] when no
// distance is below FLT_MAX (non-finite sums), as the reference.
int best_neighbour_simd(const IqLattice& lat, ListIndices& c, int u, const v128_t* X, const v128_t* W, float s) {
    if (c.u != u || c.lat != &lat) build_list_indices(lat, u, c);
    // Term tables: lane l of T[i] = (w_i * (s*q_l - x_i)) * (s*q_l - x_i), q = 1, 3, 5; lane 3 a spare
    // (inf or NaN: never below FLT_MAX). s * q is the reference's `scale * q`.
    const v128_t sq = wasm_f32x4_mul(wasm_f32x4_splat(s), wasm_f32x4_make(1.0f, 3.0f, 5.0f, INFINITY));
    v128_t T[8];
    for (int i = 0; i < 8; ++i) {
        const v128_t diff = wasm_f32x4_sub(sq, X[i]);
        T[i] = wasm_f32x4_mul(wasm_f32x4_mul(W[i], diff), diff);
    }
    // All distances, in list order, and their running minimum.
    alignas(16) float d2s[kMaxListChunks * 4];
    v128_t low = wasm_f32x4_splat(FLT_MAX);
    const v128_t* I = c.idx;
    for (int ch = 0; ch < c.chunks; ++ch, I += 8) {
        // d2 = ((t0 + t1) + t2) + ... : the reference's 0 + t0 + t1 + ..., 0 + t0 being t0.
        v128_t d2 = wasm_i8x16_swizzle(T[0], I[0]);
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[1], I[1]));
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[2], I[2]));
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[3], I[3]));
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[4], I[4]));
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[5], I[5]));
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[6], I[6]));
        d2 = wasm_f32x4_add(d2, wasm_i8x16_swizzle(T[7], I[7]));
        wasm_v128_store(d2s + 4 * ch, d2);
        low = wasm_f32x4_pmin(low, d2);  // d2 < low ? d2 : low: a NaN distance never lowers it
    }
    // ggml keeps the first point whose distance is below every earlier one
    // (and below FLT_MAX): the first one equal to the smallest distance.
    const float m = f32x4_hmin(low);
    if (m < FLT_MAX) {
        const v128_t vm = wasm_f32x4_splat(m);
        for (int ch = 0; ch < c.chunks; ++ch) {
            const int hit = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_v128_load(d2s + 4 * ch), vm));
            if (hit) return c.list[1 + 4 * ch + __builtin_ctz(unsigned(hit))];
        }
    }
    return c.list[1];  // no finite distance: the reference's fallback
}

// The levels (p - 1) / 2 of grid point g, as 8 bytes at L.
inline void store_point_levels(const IqLattice& lat, int g, int8_t* L) {
    const v128_t p = wasm_v128_load64_zero(lat.point(g));
    wasm_v128_store64_lane(L, wasm_u8x16_shr(wasm_i8x16_sub(p, wasm_i8x16_splat(1)), 1), 0);
}

// ---------------------------------------------------------------- rounding to levels
// nearest_int(0.5 * (id * x - 1)) clamped to 0..2 for 4 values: ggml's
// nearest_int (add 1.5 * 2^23, read the low mantissa bits) on every lane.
inline v128_t levels4(v128_t id, v128_t x) {
    const v128_t t = wasm_f32x4_mul(wasm_f32x4_splat(0.5f), wasm_f32x4_sub(wasm_f32x4_mul(id, x), wasm_f32x4_splat(1.0f)));
    const v128_t v = wasm_f32x4_add(t, wasm_f32x4_splat(12582912.0f));
    const v128_t l = wasm_i32x4_sub(wasm_v128_and(v, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x00400000));
    return wasm_i32x4_min(wasm_i32x4_max(l, wasm_i32x4_splat(0)), wasm_i32x4_splat(kMaxQ - 1));
}

// The map index sum l_i << 2i of 8 levels (two i32x4).
inline int map_index(v128_t l0, v128_t l1) {
    const v128_t u = wasm_i32x4_add(wasm_i32x4_mul(l0, wasm_i32x4_make(1, 4, 16, 64)),
                                    wasm_i32x4_mul(l1, wasm_i32x4_make(256, 1024, 4096, 16384)));
    return i32x4_hsum(u);
}

// make_qp_quants' trial errors (formats/ref/quant_search.h) with the 8 trial
// scales in lanes; each lane adds its n terms in index order.
void qp_trial_errors_simd(int n, int nmax, const float* x, const float* w, const float* iscale, const float* scale,
                          float* mse) {
    const v128_t is0 = wasm_v128_load(iscale), is1 = wasm_v128_load(iscale + 4);
    const v128_t s0 = wasm_v128_load(scale), s1 = wasm_v128_load(scale + 4);
    const v128_t vmax = wasm_i32x4_splat(nmax);
    v128_t e0 = wasm_f32x4_splat(0.0f), e1 = e0;
    auto term = [&](v128_t is, v128_t s, v128_t xi, v128_t wi) {
        const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(is, xi), wasm_f32x4_splat(12582912.0f));
        v128_t l = wasm_i32x4_sub(wasm_v128_and(v, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x00400000));
        l = wasm_i32x4_min(l, vmax);
        const v128_t diff = wasm_f32x4_sub(xi, wasm_f32x4_mul(s, wasm_f32x4_convert_i32x4(l)));
        return wasm_f32x4_mul(wasm_f32x4_mul(wi, diff), diff);
    };
    for (int i = 0; i < n; ++i) {
        const v128_t xi = wasm_f32x4_splat(x[i]), wi = wasm_f32x4_splat(w[i]);
        e0 = wasm_f32x4_add(e0, term(is0, s0, xi, wi));
        e1 = wasm_f32x4_add(e1, term(is1, s1, xi, wi));
    }
    wasm_v128_store(mse, e0);
    wasm_v128_store(mse + 4, e1);
}

// ---------------------------------------------------------------- the group search
constexpr int kMaxCandidates = 20;  // 19 for IQ2_XS / IQ2_S, 13 for IQ2_XXS; lanes in fours
constexpr int kRowStride = 32;      // bytes per candidate's levels

struct Searcher {
    const IqLattice* lat = nullptr;
    ListIndices lists[4];  // one per group of 8: consecutive candidates reuse its list
    // Per searched group: xval and waux splatted (the term tables), and the
    // fit sums' products of one value at q = 1, 3, 5: P = (w * xval) * q,
    // Q = (w * q) * q, lane 3 zero.
    v128_t X[32], W[32], P[32], Q[32];
    // Candidate c's levels at c * kRowStride (rows past the last candidate
    // only fill lanes whose sums are never read).
    alignas(16) int8_t levels[kMaxCandidates * kRowStride] = {};
    bool on_grid[kMaxCandidates][4];
    uint32_t touched_lists = 0;

    void prepare(const Group& g) {
        const v128_t q = wasm_f32x4_make(1.0f, 3.0f, 5.0f, 0.0f);
        for (int i = 0; i < g.n; ++i) {
            X[i] = wasm_f32x4_splat(g.xval[i]);
            W[i] = wasm_f32x4_splat(g.waux[i]);
            P[i] = wasm_f32x4_mul(wasm_f32x4_splat(g.weight[i] * g.xval[i]), q);
            Q[i] = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_splat(g.weight[i]), q), q);
        }
    }

    // Rounds group k (8 values) at inverse scale id into L; returns its map index.
    int round_group(const Group& g, int k, float id, int8_t* L) const {
        const v128_t vid = wasm_f32x4_splat(id);
        const v128_t l0 = levels4(vid, wasm_v128_load(g.xval + 8 * k));
        const v128_t l1 = levels4(vid, wasm_v128_load(g.xval + 8 * k + 4));
        const v128_t b = wasm_i16x8_narrow_i32x4(l0, l1);
        wasm_v128_store64_lane(L, wasm_i8x16_narrow_i16x8(b, b), 0);
        return map_index(l0, l1);
    }

    // Levels of group k at inverse scale id snapped to the grid at scale s
    // (round_to_grid of the reference). Returns whether they were on it.
    bool snap(const Group& g, int k, float id, float s, int8_t* L) {
        const int u = round_group(g, k, id, L);
        if (lat->map[size_t(u)] >= 0) return true;
        store_point_levels(*lat, best_neighbour_simd(*lat, lists[k], u, X + 8 * k, W + 8 * k, s), L);
        return false;
    }

    // snap() for every candidate c (inverse scale ids[c], scale scales[c])
    // and group of 8, into the candidates' level rows and on_grid. The map
    // and neighbour-list loads of all candidates are issued before the first
    // search needs them: they miss the cache often (the lists are up to 1.1
    // MB), and issued together their latencies overlap.
    void snap_candidates(const Group& g, int ncand, const float* ids, const float* scales) {
        const int groups = g.n / 8;
        int u[kMaxCandidates][4];
        for (int c = 0; c < ncand; ++c) {
            for (int k = 0; k < groups; ++k) u[c][k] = round_group(g, k, ids[c], levels + c * kRowStride + 8 * k);
        }
        int32_t m[kMaxCandidates][4];
        for (int c = 0; c < ncand; ++c) {
            for (int k = 0; k < groups; ++k) m[c][k] = lat->map[size_t(u[c][k])];
        }
        uint32_t touched = 0;  // folds in the first word of every list, so the loads are made
        for (int c = 0; c < ncand; ++c) {
            for (int k = 0; k < groups; ++k) {
                if (m[c][k] < 0) touched += lat->neighbours[size_t(-(m[c][k] + 1))];
            }
        }
        for (int c = 0; c < ncand; ++c) {
            for (int k = 0; k < groups; ++k) {
                on_grid[c][k] = m[c][k] >= 0;
                if (m[c][k] >= 0) continue;
                const int gi = best_neighbour_simd(*lat, lists[k], u[c][k], X + 8 * k, W + 8 * k, scales[c]);
                store_point_levels(*lat, gi, levels + c * kRowStride + 8 * k);
            }
        }
        touched_lists += touched;
    }

    // Fit sums of candidates c0..c0+3 (lanes) over the group's n values, in
    // index order: lane j of sqx / sq2 is candidate c0 + j's sumqx / sumq2.
    void candidate_sums(int n, int c0, v128_t& sqx, v128_t& sq2) const {
        sqx = sq2 = wasm_f32x4_splat(0.0f);
        const v128_t lane_bytes = wasm_i8x16_const(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
        for (int h = 0; h < n / 16; ++h) {
            // Rows of 16 levels of the four candidates, as byte offsets 4 * level;
            // transposed in 32-bit words: Wq lane j = candidate j's levels 4q..4q+3.
            v128_t R[4];
            for (int j = 0; j < 4; ++j) {
                R[j] = wasm_i8x16_shl(wasm_v128_load(levels + (c0 + j) * kRowStride + 16 * h), 2);
            }
            const v128_t t0 = wasm_i32x4_shuffle(R[0], R[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(R[0], R[1], 2, 6, 3, 7);
            const v128_t t2 = wasm_i32x4_shuffle(R[2], R[3], 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(R[2], R[3], 2, 6, 3, 7);
            const v128_t Wq[4] = {wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7),
                                  wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5), wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7)};
            for (int q = 0; q < 4; ++q) {
                const v128_t sel[4] = {
                    wasm_i8x16_swizzle(Wq[q], wasm_i8x16_const(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12)),
                    wasm_i8x16_swizzle(Wq[q], wasm_i8x16_const(1, 1, 1, 1, 5, 5, 5, 5, 9, 9, 9, 9, 13, 13, 13, 13)),
                    wasm_i8x16_swizzle(Wq[q], wasm_i8x16_const(2, 2, 2, 2, 6, 6, 6, 6, 10, 10, 10, 10, 14, 14, 14, 14)),
                    wasm_i8x16_swizzle(Wq[q], wasm_i8x16_const(3, 3, 3, 3, 7, 7, 7, 7, 11, 11, 11, 11, 15, 15, 15, 15))};
                for (int m = 0; m < 4; ++m) {
                    const int i = 16 * h + 4 * q + m;
                    const v128_t idx = wasm_i8x16_add(sel[m], lane_bytes);
                    sqx = wasm_f32x4_add(sqx, wasm_i8x16_swizzle(P[i], idx));
                    sq2 = wasm_f32x4_add(sq2, wasm_i8x16_swizzle(Q[i], idx));
                }
            }
        }
    }

    // All candidates' sums, then ggml's sequential choice among them. Returns
    // the chosen candidate (-1: none beat best = 0) and updates scale.
    int choose(int n, int ncand, float& scale) const {
        alignas(16) float sx[kMaxCandidates], s2[kMaxCandidates];
        for (int c0 = 0; c0 < ncand; c0 += 4) {
            v128_t a, b;
            candidate_sums(n, c0, a, b);
            wasm_v128_store(sx + c0, a);
            wasm_v128_store(s2 + c0, b);
        }
        float best = 0;
        int chosen = -1;
        for (int c = 0; c < ncand; ++c) {
            if (take_if_better(sx[c], s2[c], best, scale)) chosen = c;
        }
        return chosen;
    }

    // search_group32 of the reference (IQ2_XXS).
    bool search32(const Group& g, int8_t* L, float* scale_out) {
        prepare(g);
        float scale =
            make_qp_quants(32, kMaxQ + 1, g.xval, reinterpret_cast<uint8_t*>(L), g.weight, qp_trial_errors_simd);
        const float eff_max = scale * kMaxQ;
        if (eff_max <= 0) return false;
        constexpr int ncand = 13;
        float ids[ncand], scales[ncand];
        for (int c = 0; c < ncand; ++c) {
            ids[c] = (float(2 * kMaxQ - 1) + float(c - 6) * 0.1f) / eff_max;
            scales[c] = 1 / ids[c];
        }
        snap_candidates(g, ncand, ids, scales);
        const int chosen = choose(32, ncand, scale);
        if (chosen >= 0) std::memcpy(L, levels + chosen * kRowStride, 32);
        if (scale > 0) {
            const float id = 1 / scale;
            for (int k = 0; k < 4; ++k) snap(g, k, id, scale, L + 8 * k);
            float sumqx, sumq2;
            fit_sums(32, g.weight, g.xval, L, &sumqx, &sumq2);
            if (sumq2 > 0) scale = sumqx / sumq2;
        }
        *scale_out = scale;
        return true;
    }

    // search_group16 of the reference (IQ2_XS, IQ2_S).
    bool search16(const Group& g, int8_t* L, float* scale_out) {
        prepare(g);
        constexpr int ncand = 19;
        float ids[ncand], scales[ncand];
        for (int c = 0; c < ncand; ++c) {
            ids[c] = (float(2 * kMaxQ - 1) + float(c - 9) * 0.1f) / g.max;
            scales[c] = 1 / ids[c];
        }
        snap_candidates(g, ncand, ids, scales);
        float scale = g.max / (2 * kMaxQ - 1);
        bool grid0 = true, grid1 = true;
        const int chosen = choose(16, ncand, scale);
        if (chosen >= 0) {
            std::memcpy(L, levels + chosen * kRowStride, 16);
            grid0 = on_grid[chosen][0];
            grid1 = on_grid[chosen][1];
        }
        if ((!grid0 || !grid1) && scale > 0) {
            const float id = 1 / scale;
            if (!grid0) snap(g, 0, id, scale, L);
            if (!grid1) snap(g, 1, id, scale, L + 8);
            float sumqx, sumq2;
            fit_sums(16, g.weight, g.xval, L, &sumqx, &sumq2);
            if (sumq2 > 0) scale = sumqx / sumq2;
        }
        *scale_out = scale;
        return true;
    }
};

// The SIMD searches for format F's group size, on this thread's Searcher
// (its list caches survive from call to call).
template <class F>
auto simd_search(const IqLattice& lat) {
    static thread_local Searcher s;
    s.lat = &lat;
    Searcher* p = &s;
    return [p](const Group& g, int8_t* L, float* scale) {
        return F::kGroup == 32 ? p->search32(g, L, scale) : p->search16(g, L, scale);
    };
}

// ---------------------------------------------------------------- dequantize
// 16 values at a time: the signed grid bytes (iq2_signed_pair) to float, times
// the group scale. db * (-g) is the reference's (db * g) * -1 exactly: a
// product's magnitude does not depend on the operands' signs.
inline void store_scaled_i8x16(float* y, v128_t v, v128_t db) {
    const v128_t lo = wasm_i16x8_extend_low_i8x16(v), hi = wasm_i16x8_extend_high_i8x16(v);
    wasm_v128_store(y, wasm_f32x4_mul(db, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo))));
    wasm_v128_store(y + 4, wasm_f32x4_mul(db, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo))));
    wasm_v128_store(y + 8, wasm_f32x4_mul(db, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi))));
    wasm_v128_store(y + 12, wasm_f32x4_mul(db, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi))));
}

template <class Block>
void dequantize_iq2_simd(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const Block*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            const SubBlock sb = sub_block(x[i], ib32);
            for (int h = 0; h < 2; ++h) {
                const v128_t db = wasm_f32x4_splat(d * (0.5f + float(sb.scale[h])) * 0.25f);
                store_scaled_i8x16(y, iq2_signed_pair(sb, 2 * h), db);
                y += 16;
            }
        }
    }
}

// ---------------------------------------------------------------- vec_dot
// The weights unpacked to scale-multiplied int16 (unpack_iq2_superblock; d_w
// carries the 1/8), dotted as the super-block gemm tile does.
template <class Block>
float vec_dot_iq2_simd(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return vec_dot_unpacked_superblocks_simd128<Block>(
        n, vx, vy, a16, [](const Block& b, int16_t* w) { unpack_iq2_superblock(b, w); },
        [](const Block& b) { return iq2_unpacked_d(b); });
}

}  // namespace

size_t quantize_iq2_xxs_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq2_chunk<Iq2xxsFormat>(src, dst, nrows, n_per_row, imatrix, simd_search<Iq2xxsFormat>);
}

size_t quantize_iq2_xs_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq2_chunk<Iq2xsFormat>(src, dst, nrows, n_per_row, imatrix, simd_search<Iq2xsFormat>);
}

size_t quantize_iq2_s_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq2_chunk<Iq2sFormat>(src, dst, nrows, n_per_row, imatrix, simd_search<Iq2sFormat>);
}

void quantize_row_iq2_s_simd128(const float* x, void* y, int64_t k) { quantize_iq2_s_simd128(x, y, 1, k, nullptr); }

void dequantize_row_iq2_xxs_simd128(const void* x, float* y, int64_t k) { dequantize_iq2_simd<block_iq2_xxs>(x, y, k); }
void dequantize_row_iq2_xs_simd128(const void* x, float* y, int64_t k) { dequantize_iq2_simd<block_iq2_xs>(x, y, k); }
void dequantize_row_iq2_s_simd128(const void* x, float* y, int64_t k) { dequantize_iq2_simd<block_iq2_s>(x, y, k); }

float vec_dot_iq2_xxs_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq2_simd<block_iq2_xxs>(n, x, y, nullptr);
}
float vec_dot_iq2_xs_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq2_simd<block_iq2_xs>(n, x, y, nullptr);
}
float vec_dot_iq2_s_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq2_simd<block_iq2_s>(n, x, y, nullptr);
}

float vec_dot_iq2_xxs_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq2_simd<block_iq2_xxs>(n, x, y, y16);
}
float vec_dot_iq2_xs_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq2_simd<block_iq2_xs>(n, x, y, y16);
}
float vec_dot_iq2_s_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq2_simd<block_iq2_s>(n, x, y, y16);
}

}  // namespace quantlab
