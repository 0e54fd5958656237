// SIMD128 kernels of IQ3_XXS and IQ3_S. The quantizers reproduce the
// reference (formats/ref/iq3_quantize.h, ggml's algorithm) byte for byte:
// they run its block loop and replace only the per-group lattice search.
//
// Where a group's time goes: for each of 31 (IQ3_XXS) or 19 (IQ3_S)
// candidate scales, 32 values are rounded to levels, and 75-90 % of the
// 4-value tuples fall off the lattice and are snapped to the best of their
// 5-11 listed neighbours by a weighted distance. The search here vectorizes
// both without changing a single float operation:
//   - four candidate scales side by side (lane = candidate): levels, map
//     indices and the sums sumqx / sumq2 that rank them, each lane adding
//     the 32 values in index order as the reference does;
//   - a neighbour list four points at a time (lane = point): every lane
//     computes its point's distance with the reference's expression and
//     order, from the list stored as floats, coordinate-major, padded with
//     NaN points that never compare below anything; the first point with the
//     smallest distance wins, as in the reference's strict-less scan.
// The candidates are then ranked one by one in the reference's order.
#include "formats/simd128/iq3_quants_simd128.h"

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/iq_lattice.h"
#include "formats/ref/iq3_quantize.h"
#include "formats/simd128/iq3_unpack_simd128.h"
#include "formats/simd128/simd128.h"

// Natively, SIMDe emulates i8x16.swizzle with a loop carrying a vectorize
// hint that clang cannot honour for baseline x86-64 (see iq_quants_simd128.cpp).
#if defined(__clang__) && !defined(__wasm_simd128__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

namespace quantlab {

using namespace simd;

namespace {

// ---------------------------------------------------------------- search tables

// A lattice's neighbour lists in the form the vector search reads.
struct Iq3SimdLattice {
    // Four list positions: coordinate k of the four points at c[4k + lane],
    // as the odd floats 2l+1 (NaN past the list's end), and per lane
    // key = position << 16 | grid index, so one minimum over the keys of the
    // lanes holding the smallest distance gives the earliest of them.
    struct Chunk {
        float c[16];
        int32_t key[4];
    };
    // Per map index u: (grid index << 8) when the levels are a grid point,
    // else (first chunk << 8) | list length (1..255).
    std::vector<uint32_t> entry;
    std::vector<Chunk> chunks;
    std::vector<float> point_q;  // grid index * 4 + k: the point's odd coordinates as floats
};

Iq3SimdLattice build_simd_lattice(const IqLattice& lat) {
    Iq3SimdLattice t;
    t.entry.resize(size_t(lat.map_size));
    t.point_q.resize(size_t(lat.grid_size) * 4);
    for (int g = 0; g < lat.grid_size; ++g) {
        for (int k = 0; k < 4; ++k) t.point_q[size_t(4 * g + k)] = float(lat.point(g)[k]);
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int u = 0; u < lat.map_size; ++u) {
        if (lat.map[size_t(u)] >= 0) {
            t.entry[size_t(u)] = uint32_t(lat.map[size_t(u)]) << 8;
            continue;
        }
        const uint16_t* list = lat.neighbours_of(u);
        const int n = list[0];
        t.entry[size_t(u)] = uint32_t(t.chunks.size() << 8) | uint32_t(n);
        for (int j0 = 0; j0 < n; j0 += 4) {
            Iq3SimdLattice::Chunk c;
            for (int lane = 0; lane < 4; ++lane) {
                const int j = j0 + lane;
                c.key[lane] = j < n ? int32_t(j << 16 | list[1 + j]) : INT_MAX;
                for (int k = 0; k < 4; ++k) c.c[4 * k + lane] = j < n ? float(lat.point(list[1 + j])[k]) : nan;
            }
            t.chunks.push_back(c);
        }
    }
    return t;
}

const Iq3SimdLattice& simd_lattice(int grid_size) {
    if (grid_size == kIq3xxsGridSize) {
        static const Iq3SimdLattice t = build_simd_lattice(iq3_lattice(kIq3xxsGridSize));
        return t;
    }
    static const Iq3SimdLattice t = build_simd_lattice(iq3_lattice(kIq3sGridSize));
    return t;
}

// ---------------------------------------------------------------- group search

// One group's constant vectors: the 4 values and 4 neighbour weights (waux)
// of each tuple k splatted ([8k + c] and [8k + 4 + c]), and per value the
// splats of w and w*x, the factors of sumq2 and sumqx.
struct GroupVectors {
    v128_t tuple[64];
    v128_t w[32], wx[32];
};

void load_group(const Iq3Group& g, GroupVectors& v) {
    for (int i = 0; i < 32; ++i) {
        v.tuple[8 * (i / 4) + i % 4] = wasm_f32x4_splat(g.xval[i]);
        v.tuple[8 * (i / 4) + 4 + i % 4] = wasm_f32x4_splat(g.waux[i]);
        v.w[i] = wasm_f32x4_splat(g.weight[i]);
        v.wx[i] = wasm_f32x4_splat(g.weight[i] * g.xval[i]);  // (w * x) * q in the reference's sumqx
    }
}

// The grid index of map entry e at scale s: the point itself, or the best
// listed neighbour of an off-grid tuple (iq_lattice.h best_neighbour).
// xw: the tuple's 4 value and 4 weight splats.
inline int snap4(const Iq3SimdLattice& t, uint32_t e, v128_t s, const v128_t* xw) {
    const int n = int(e & 0xff);
    if (n == 0) return int(e >> 8);
    const Iq3SimdLattice::Chunk* c = t.chunks.data() + (e >> 8);
    v128_t best = wasm_f32x4_splat(FLT_MAX);
    v128_t best_key = wasm_i32x4_splat(INT_MAX);
    for (int j = 0; j < n; j += 4, ++c) {
        // d2 = sum over k of w[k] * diff * diff, diff = s * q - x[k], k in order
        // (the reference's first addition, 0 + term, changes no comparison).
        v128_t diff = wasm_f32x4_sub(wasm_f32x4_mul(s, wasm_v128_load(c->c)), xw[0]);
        v128_t d2 = wasm_f32x4_mul(wasm_f32x4_mul(xw[4], diff), diff);
        for (int k = 1; k < 4; ++k) {
            diff = wasm_f32x4_sub(wasm_f32x4_mul(s, wasm_v128_load(c->c + 4 * k)), xw[k]);
            d2 = wasm_f32x4_add(d2, wasm_f32x4_mul(wasm_f32x4_mul(xw[4 + k], diff), diff));
        }
        const v128_t lt = wasm_f32x4_lt(d2, best);  // false for NaN: padding and non-finite distances
        best = wasm_f32x4_pmin(best, d2);            // d2 < best ? d2 : best, one instruction
        best_key = wasm_v128_bitselect(wasm_v128_load(c->key), best_key, lt);
    }
    // The smallest distance (best holds no NaN); among lanes holding it, the earliest position.
    v128_t m = wasm_f32x4_pmin(best, wasm_i32x4_shuffle(best, best, 2, 3, 0, 1));
    m = wasm_f32x4_pmin(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
    v128_t key = wasm_v128_bitselect(best_key, wasm_i32x4_splat(INT_MAX), wasm_f32x4_eq(best, m));
    key = wasm_i32x4_min(key, wasm_i32x4_shuffle(key, key, 2, 3, 0, 1));
    key = wasm_i32x4_min(key, wasm_i32x4_shuffle(key, key, 1, 0, 3, 2));
    int32_t k = wasm_i32x4_extract_lane(key, 0);
    // No finite distance: the first listed point, as the reference.
    if (k == INT_MAX) k = t.chunks[e >> 8].key[0];
    return k & 0xffff;
}

// Coordinates of four grid points as four vectors, coordinate-major:
// out[i] lane c = coordinate i of point g[c].
inline void points_transposed(const float* point_q, const int32_t* g, v128_t* out) {
    const v128_t a = wasm_v128_load(point_q + 4 * g[0]), b = wasm_v128_load(point_q + 4 * g[1]);
    const v128_t c = wasm_v128_load(point_q + 4 * g[2]), d = wasm_v128_load(point_q + 4 * g[3]);
    const v128_t ab_lo = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab_hi = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
    const v128_t cd_lo = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), cd_hi = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
    out[0] = wasm_i32x4_shuffle(ab_lo, cd_lo, 0, 1, 4, 5);
    out[1] = wasm_i32x4_shuffle(ab_lo, cd_lo, 2, 3, 6, 7);
    out[2] = wasm_i32x4_shuffle(ab_hi, cd_hi, 0, 1, 4, 5);
    out[3] = wasm_i32x4_shuffle(ab_hi, cd_hi, 2, 3, 6, 7);
}

// Levels of value i at four inverse scales: ggml's
// nearest_int(0.5f * (id * x - 1)) clamped to 0..7, lane by lane.
inline v128_t levels4(v128_t id, v128_t x) {
    const v128_t f = wasm_f32x4_mul(wasm_f32x4_splat(0.5f), wasm_f32x4_sub(wasm_f32x4_mul(id, x), wasm_f32x4_splat(1.0f)));
    const v128_t r = wasm_f32x4_add(f, wasm_f32x4_splat(12582912.f));
    const v128_t l = wasm_i32x4_sub(wasm_v128_and(r, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x00400000));
    return wasm_i32x4_max(wasm_i32x4_splat(0), wasm_i32x4_min(wasm_i32x4_splat(kIq3MaxQ - 1), l));
}

// iq3_search_group_ref, four candidate scales at a time.
float iq3_search_group_simd128(const Iq3Rules& rules, const IqLattice& lat, const Iq3Group& g, int8_t* L) {
    const Iq3SimdLattice& t = simd_lattice(lat.grid_size);
    GroupVectors gv;
    load_group(g, gv);

    float best = 0;
    float scale = g.max / float(2 * kIq3MaxQ - 1);
    int best_grid[8];  // the winner's grid points
    bool won = false;
    unsigned on_grid = rules.on_grid_initial ? 0xffu : 0u;  // bit k: tuple k on the grid

    const int n_cand = 2 * rules.n_steps + 1;
    const v128_t vmax = wasm_f32x4_splat(g.max);
    for (int c0 = 0; c0 < n_cand; c0 += 4) {
        const int nc = n_cand - c0 < 4 ? n_cand - c0 : 4;
        // Lanes past the last candidate repeat it and are ignored.
        alignas(16) float isf[4];
        for (int c = 0; c < 4; ++c) isf[c] = float(-rules.n_steps + c0 + (c < nc ? c : nc - 1));
        const v128_t id = wasm_f32x4_div(
            wasm_f32x4_add(wasm_f32x4_splat(float(2 * kIq3MaxQ - 1)), wasm_f32x4_mul(wasm_v128_load(isf), wasm_f32x4_splat(0.2f))),
            vmax);
        alignas(16) float this_scale[4];
        wasm_v128_store(this_scale, wasm_f32x4_div(wasm_f32x4_splat(1.0f), id));

        // Map indices of the eight tuples under the four candidates.
        alignas(16) uint32_t u[8][4];
        for (int k = 0; k < 8; ++k) {
            v128_t l[4];
            for (int i = 0; i < 4; ++i) l[i] = levels4(id, gv.tuple[8 * k + i]);
            const v128_t uk = wasm_v128_or(wasm_v128_or(l[0], wasm_i32x4_shl(l[1], 3)),
                                           wasm_v128_or(wasm_i32x4_shl(l[2], 6), wasm_i32x4_shl(l[3], 9)));
            wasm_v128_store(u[k], uk);
        }
        // The grid point each tuple takes under each candidate.
        alignas(16) int32_t grid[8][4] = {};
        unsigned off_grid[4] = {0, 0, 0, 0};
        for (int c = 0; c < nc; ++c) {
            const v128_t s = wasm_f32x4_splat(this_scale[c]);
            for (int k = 0; k < 8; ++k) {
                const uint32_t e = t.entry[u[k][c]];
                off_grid[c] |= (e & 0xff) ? 1u << k : 0u;
                grid[k][c] = snap4(t, e, s, gv.tuple + 8 * k);
            }
        }
        // sumqx and sumq2 of the four candidates, each lane in value order.
        v128_t sqx = wasm_f32x4_splat(0.0f), sq2 = wasm_f32x4_splat(0.0f);
        for (int k = 0; k < 8; ++k) {
            v128_t q[4];
            points_transposed(t.point_q.data(), grid[k], q);
            for (int i = 0; i < 4; ++i) {
                sqx = wasm_f32x4_add(sqx, wasm_f32x4_mul(gv.wx[4 * k + i], q[i]));
                sq2 = wasm_f32x4_add(sq2, wasm_f32x4_mul(wasm_f32x4_mul(gv.w[4 * k + i], q[i]), q[i]));
            }
        }
        alignas(16) float sumqx[4], sumq2[4];
        wasm_v128_store(sumqx, sqx);
        wasm_v128_store(sumq2, sq2);
        for (int c = 0; c < nc; ++c) {
            if (sumq2[c] > 0 && sumqx[c] * sumqx[c] > best * sumq2[c]) {
                scale = sumqx[c] / sumq2[c];
                best = scale * sumqx[c];
                for (int k = 0; k < 8; ++k) best_grid[k] = grid[k][c];
                on_grid = ~off_grid[c] & 0xffu;
                won = true;
            }
        }
    }
    if (won) {
        for (int k = 0; k < 8; ++k) {
            for (int i = 0; i < 4; ++i) L[4 * k + i] = int8_t((lat.point(best_grid[k])[i] - 1) / 2);
        }
    } else {
        std::memset(L, 0, 32);  // levels 0 until a candidate wins
    }

    return iq3_resnap(rules, lat, g, on_grid, scale, L, [&](int k, int u, float s) {
        return snap4(t, t.entry[size_t(u)], wasm_f32x4_splat(s), gv.tuple + 8 * k);
    });
}

// ---------------------------------------------------------------- dequantize / dot helpers

// Dequantizer tables: every grid point's coordinates as 4 floats, and the
// float sign masks (0x80000000 or 0 per lane) of the 16 nibbles.
struct Iq3FloatTables {
    alignas(16) float xxs[kIq3xxsGridSize][4];
    alignas(16) float s[kIq3sGridSize][4];
    alignas(16) uint32_t sign[16][4];
};

const Iq3FloatTables& float_tables() {
    static const Iq3FloatTables t = [] {
        Iq3FloatTables f;
        for (int g = 0; g < kIq3xxsGridSize; ++g) {
            for (int j = 0; j < 4; ++j) f.xxs[g][j] = float((kIq3xxsGrid[g] >> 8 * j) & 0xff);
        }
        for (int g = 0; g < kIq3sGridSize; ++g) {
            for (int j = 0; j < 4; ++j) f.s[g][j] = float((kIq3sGrid[g] >> 8 * j) & 0xff);
        }
        for (int m = 0; m < 16; ++m) {
            for (int j = 0; j < 4; ++j) f.sign[m][j] = (m >> j & 1) ? 0x80000000u : 0u;
        }
        return f;
    }();
    return t;
}

// Eight values: two grid points, signs from one sign byte, times db.
// db * (+-g) is the reference's (db * g) * (+-1): negation is exact.
inline void store_points8(float* y, const float* p0, const float* p1, uint8_t signs, v128_t db,
                          const Iq3FloatTables& t) {
    wasm_v128_store(y, wasm_f32x4_mul(db, wasm_v128_xor(wasm_v128_load(p0), wasm_v128_load(t.sign[signs & 15]))));
    wasm_v128_store(y + 4, wasm_f32x4_mul(db, wasm_v128_xor(wasm_v128_load(p1), wasm_v128_load(t.sign[signs >> 4]))));
}

// Integer dot product of 32 signed weight bytes with 32 Q8_K values, folded
// into the lanes the super-block gemm uses (lane j: positions 2j, 2j+1 mod 8).
inline v128_t dot32(const v128_t* w, const int8_t* q8) {
    return wasm_i32x4_add(i8x16_dot_i32x4(w[0], wasm_v128_load(q8)), i8x16_dot_i32x4(w[1], wasm_v128_load(q8 + 16)));
}

}  // namespace

// ---------------------------------------------------------------- IQ3_XXS

size_t quantize_iq3_xxs_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq3_rows<Iq3xxsWriter>(src, dst, nrows, n_per_row, imatrix, iq3_search_group_simd128);
}

void quantize_row_iq3_xxs_simd128(const float* x, void* y, int64_t k) { quantize_iq3_xxs_simd128(x, y, 1, k, nullptr); }

void dequantize_row_iq3_xxs_simd128(const void* vx, float* y, int64_t k) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_iq3_xxs*>(vx);
    const Iq3FloatTables& t = float_tables();
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const float d = f16[x[i].d];
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const uint32_t aux = iq3xxs_signs_scale(x[i], ib);
            // The reference's (d * (0.5 + ls)) * 0.5, then times +-grid (exact negation).
            const v128_t db = wasm_f32x4_splat(d * (0.5f + float(aux >> 28)) * 0.5f);
            const uint8_t* qs = x[i].qs + 8 * ib;
            for (int l = 0; l < 4; ++l) {
                store_points8(y + 32 * ib + 8 * l, t.xxs[qs[2 * l]], t.xxs[qs[2 * l + 1]],
                              kIq2xsSigns[(aux >> 7 * l) & 127], db, t);
            }
        }
    }
}

// Per super-block: sumi = sum over groups of dot32 * (2 ls + 1) in int32 lanes,
// acc += float(sumi) * (d8 * (d * 0.25)); the 1/4 of the reference's final
// 0.25f * sumf goes into the weight scale (exact), as the gemm unpacks it.
float vec_dot_iq3_xxs_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_iq3_xxs*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < n / QK_K; ++i) {
        v128_t sumi = wasm_i32x4_splat(0);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const uint32_t aux = iq3xxs_signs_scale(x[i], ib);
            v128_t v[2];
            iq3xxs_group_bytes(x[i], ib, aux, v);
            sumi = wasm_i32x4_add(sumi, wasm_i32x4_mul(dot32(v, y[i].qs + 32 * ib), wasm_i32x4_splat(int32_t(2 * (aux >> 28) + 1))));
        }
        const float d = y[i].d * (f16[x[i].d] * 0.25f);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

// ---------------------------------------------------------------- IQ3_S

size_t quantize_iq3_s_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq3_rows<Iq3sWriter>(src, dst, nrows, n_per_row, imatrix, iq3_search_group_simd128);
}

void quantize_row_iq3_s_simd128(const float* x, void* y, int64_t k) { quantize_iq3_s_simd128(x, y, 1, k, nullptr); }

void dequantize_row_iq3_s_simd128(const void* vx, float* y, int64_t k) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_iq3_s*>(vx);
    const Iq3FloatTables& t = float_tables();
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const float d = f16[x[i].d];
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = iq3s_scale(x[i], ib);
            const v128_t db = wasm_f32x4_splat(d * float(1 + 2 * ls));
            uint16_t idx[8];
            iq3s_indices(x[i], ib, idx);
            for (int l = 0; l < 4; ++l) {
                store_points8(y + 32 * ib + 8 * l, t.s[idx[2 * l]], t.s[idx[2 * l + 1]], x[i].signs[4 * ib + l], db, t);
            }
        }
    }
}

float vec_dot_iq3_s_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_iq3_s*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < n / QK_K; ++i) {
        v128_t sumi = wasm_i32x4_splat(0);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = 2 * iq3s_scale(x[i], ib) + 1;
            v128_t v[2];
            iq3s_group_bytes(x[i], ib, v);
            sumi = wasm_i32x4_add(sumi, wasm_i32x4_mul(dot32(v, y[i].qs + 32 * ib), wasm_i32x4_splat(ls)));
        }
        const float d = y[i].d * f16[x[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

}  // namespace quantlab
