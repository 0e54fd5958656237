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
    // Per map index u: (grid index << 8) when the levels are a grid point,
    // else (first chunk << 8) | list length (1..255).
    std::vector<uint32_t> entry;
    // Per chunk of four list positions: coordinate k of the four points at
    // [4k + lane], as the odd floats 2l+1; NaN for positions past the list.
    std::vector<float> coords;
    std::vector<uint16_t> index;  // per chunk: the four grid indices
    std::vector<float> point_q;   // grid index * 4 + k: the point's odd coordinates as floats
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
        const size_t chunk0 = t.index.size() / 4;
        t.entry[size_t(u)] = uint32_t(chunk0 << 8) | uint32_t(n);
        for (int j0 = 0; j0 < n; j0 += 4) {
            float c[16];
            for (int lane = 0; lane < 4; ++lane) {
                const int j = j0 + lane;
                t.index.push_back(j < n ? list[1 + j] : list[1]);
                for (int k = 0; k < 4; ++k) c[4 * k + lane] = j < n ? float(lat.point(list[1 + j])[k]) : nan;
            }
            t.coords.insert(t.coords.end(), c, c + 16);
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

// The best listed neighbour of an off-grid tuple (entry e) at scale s:
// iq_lattice.h best_neighbour. xw: the tuple's 4 value and 4 weight splats.
inline int best_neighbour4(const Iq3SimdLattice& t, uint32_t e, v128_t s, const v128_t* xw) {
    const int n = int(e & 0xff);
    const size_t chunk0 = e >> 8;
    const float* c = t.coords.data() + 16 * chunk0;
    v128_t best = wasm_f32x4_splat(FLT_MAX);
    v128_t best_pos = wasm_i32x4_splat(INT_MAX);
    v128_t pos = wasm_i32x4_make(0, 1, 2, 3);
    for (int j = 0; j < n; j += 4, c += 16) {
        // d2 = sum over k of w[k] * diff * diff, diff = s * q - x[k], k in order
        // (the reference's first addition, 0 + term, changes no comparison).
        v128_t diff = wasm_f32x4_sub(wasm_f32x4_mul(s, wasm_v128_load(c)), xw[0]);
        v128_t d2 = wasm_f32x4_mul(wasm_f32x4_mul(xw[4], diff), diff);
        for (int k = 1; k < 4; ++k) {
            diff = wasm_f32x4_sub(wasm_f32x4_mul(s, wasm_v128_load(c + 4 * k)), xw[k]);
            d2 = wasm_f32x4_add(d2, wasm_f32x4_mul(wasm_f32x4_mul(xw[4 + k], diff), diff));
        }
        const v128_t lt = wasm_f32x4_lt(d2, best);  // false for NaN: padding and non-finite distances
        best = wasm_v128_bitselect(d2, best, lt);
        best_pos = wasm_v128_bitselect(pos, best_pos, lt);
        pos = wasm_i32x4_add(pos, wasm_i32x4_splat(4));
    }
    // The smallest distance; among lanes holding it, the earliest position.
    v128_t m = wasm_f32x4_min(best, wasm_i32x4_shuffle(best, best, 2, 3, 0, 1));
    m = wasm_f32x4_min(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
    v128_t p = wasm_v128_bitselect(best_pos, wasm_i32x4_splat(INT_MAX), wasm_f32x4_eq(best, m));
    p = wasm_i32x4_min(p, wasm_i32x4_shuffle(p, p, 2, 3, 0, 1));
    p = wasm_i32x4_min(p, wasm_i32x4_shuffle(p, p, 1, 0, 3, 2));
    int j = wasm_i32x4_extract_lane(p, 0);
    if (j == INT_MAX) j = 0;  // no finite distance: the first listed point, as the reference
    return t.index[4 * chunk0 + size_t(j)];
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
    alignas(16) float best_q[32];  // the winner's odd coordinates
    for (float& q : best_q) q = 1.0f;  // levels 0 until a candidate wins
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

        alignas(16) float q[32][4];  // q[i][c]: odd coordinate of value i under candidate c
        alignas(16) uint32_t u[8][4];
        for (int k = 0; k < 8; ++k) {
            v128_t l[4];
            for (int i = 0; i < 4; ++i) {
                l[i] = levels4(id, gv.tuple[8 * k + i]);
                wasm_v128_store(q[4 * k + i], wasm_f32x4_convert_i32x4(
                                                  wasm_i32x4_add(wasm_i32x4_shl(l[i], 1), wasm_i32x4_splat(1))));
            }
            const v128_t uk = wasm_v128_or(wasm_v128_or(l[0], wasm_i32x4_shl(l[1], 3)),
                                           wasm_v128_or(wasm_i32x4_shl(l[2], 6), wasm_i32x4_shl(l[3], 9)));
            wasm_v128_store(u[k], uk);
        }
        unsigned off_grid[4] = {0, 0, 0, 0};
        for (int c = 0; c < nc; ++c) {
            const v128_t s = wasm_f32x4_splat(this_scale[c]);
            for (int k = 0; k < 8; ++k) {
                const uint32_t e = t.entry[u[k][c]];
                if ((e & 0xff) == 0) continue;
                off_grid[c] |= 1u << k;
                const float* p = t.point_q.data() + 4 * best_neighbour4(t, e, s, gv.tuple + 8 * k);
                for (int i = 0; i < 4; ++i) q[4 * k + i][c] = p[i];
            }
        }
        // sumqx and sumq2 of the four candidates, each lane in value order.
        v128_t sqx = wasm_f32x4_splat(0.0f), sq2 = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < 32; ++i) {
            const v128_t qi = wasm_v128_load(q[i]);
            sqx = wasm_f32x4_add(sqx, wasm_f32x4_mul(gv.wx[i], qi));
            sq2 = wasm_f32x4_add(sq2, wasm_f32x4_mul(wasm_f32x4_mul(gv.w[i], qi), qi));
        }
        alignas(16) float sumqx[4], sumq2[4];
        wasm_v128_store(sumqx, sqx);
        wasm_v128_store(sumq2, sq2);
        for (int c = 0; c < nc; ++c) {
            if (sumq2[c] > 0 && sumqx[c] * sumqx[c] > best * sumq2[c]) {
                scale = sumqx[c] / sumq2[c];
                best = scale * sumqx[c];
                for (int i = 0; i < 32; ++i) best_q[i] = q[i][c];
                on_grid = ~off_grid[c] & 0xffu;
            }
        }
    }
    for (int i = 0; i < 32; ++i) L[i] = int8_t((int(best_q[i]) - 1) / 2);

    return iq3_resnap(rules, lat, g, on_grid, scale, L, [&](int k, int u, float s) {
        return best_neighbour4(t, t.entry[size_t(u)], wasm_f32x4_splat(s), gv.tuple + 8 * k);
    });
}

// ---------------------------------------------------------------- dequantize / dot helpers

// Sixteen signed bytes times d, as four float vectors stored at y.
inline void store_i8x16_times(float* y, v128_t v, v128_t d) {
    const v128_t lo = wasm_i16x8_extend_low_i8x16(v), hi = wasm_i16x8_extend_high_i8x16(v);
    wasm_v128_store(y, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo))));
    wasm_v128_store(y + 4, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo))));
    wasm_v128_store(y + 8, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi))));
    wasm_v128_store(y + 12, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi))));
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
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const float d = f16[x[i].d];
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const uint32_t aux = iq3xxs_signs_scale(x[i], ib);
            // The reference's (d * (0.5 + ls)) * 0.5, then times +-grid (exact negation).
            const v128_t db = wasm_f32x4_splat(d * (0.5f + float(aux >> 28)) * 0.5f);
            v128_t v[2];
            iq3xxs_group_bytes(x[i], ib, aux, v);
            store_i8x16_times(y + 32 * ib, v[0], db);
            store_i8x16_times(y + 32 * ib + 16, v[1], db);
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
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const float d = f16[x[i].d];
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = iq3s_scale(x[i], ib);
            const v128_t db = wasm_f32x4_splat(d * float(1 + 2 * ls));
            v128_t v[2];
            iq3s_group_bytes(x[i], ib, v);
            store_i8x16_times(y + 32 * ib, v[0], db);
            store_i8x16_times(y + 32 * ib + 16, v[1], db);
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
