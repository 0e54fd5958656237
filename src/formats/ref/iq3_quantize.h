// The IQ3_XXS and IQ3_S quantizers, shared by the scalar reference and the
// SIMD128 twin: everything but the per-group lattice search, which each
// kernel variant passes in (iq3_search_group_ref below is the reference one).
// Algorithm and every float expression: ggml-quants.c
// quantize_row_iq3_xxs_impl (grid 256, IQ3_XXS), quantize_row_iq3_s_impl
// (IQ3_S), iq3_find_best_neighbour (formats/iq_lattice.h best_neighbour).
//
// A super-block is 8 groups of 32 values; a group is 8 points of the
// 4-coordinate lattice (levels 0..7, value 2l+1) under one scale, plus signs.
// Per group:
//   1. weights w = imatrix * sqrt(sigma2 + x^2) (or x^2), waux = sqrt(w);
//      xval = |x|, signs in bytes of 8 (IQ3_XXS: an even number of minus
//      signs, the cheapest value flipped when needed);
//   2. the search (one of the Iq3GroupSearch functions): candidate scales
//      max / (15 + 0.2 is) for is = -n_steps..n_steps, each rounding the
//      values to levels, snapping every off-lattice 4-tuple to its best
//      listed neighbour, and scoring sumqx^2 / sumq2; then the winner is
//      re-snapped at its least-squares scale;
//   3. packing: grid indices, signs, and a 4-bit scale relative to the
//      super-block's fp16 d.
// IQ3_S keeps two quirks of ggml's loop, which the golden files pin: a group
// that is all zeros does not advance the qs / signs write position (the next
// group's bytes land in its slot), and a super-block whose scales are all
// zero keeps the grid indices and signs it wrote.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/iq_lattice.h"
#include "formats/ref/quant_search.h"  // nearest_int, qmax, qmin

namespace quantlab {

// What differs between ggml's two IQ3 group searches.
struct Iq3Rules {
    int n_steps;           // candidate scales is = -n_steps..n_steps: 15 (IQ3_XXS), 9 (IQ3_S)
    bool on_grid_initial;  // "on the grid" before any candidate wins: true (XXS), false (S)
    bool requantize_all;   // the final re-snap redoes every group (S) or only the off-grid ones (XXS)
};

constexpr Iq3Rules kIq3xxsRules{15, true, false};
constexpr Iq3Rules kIq3sRules{9, false, true};

constexpr int kIq3MaxQ = 8;           // levels 0..7 (ggml's kMaxQ)
constexpr float kIq3xxsMaxEps = 1e-8f;  // ggml's GROUP_MAX_EPS_IQ3_XXS

// One group of 32 values, ready for the search: xval >= 0 except the one
// value IQ3_XXS flipped for sign parity; weight and waux as in step 1.
struct Iq3Group {
    float xval[32];
    float weight[32];
    float waux[32];
    float max;  // largest xval (ggml's MAX chain)
};

// A search fills L[32] (levels of grid points) and returns the scale.
using Iq3GroupSearch = float (*)(const Iq3Rules& rules, const IqLattice& lat, const Iq3Group& g, int8_t* L);

// Levels of 4 values at inverse scale id: ggml's nearest_int(0.5f * (id * x - 1)) clamped to 0..7.
inline void iq3_levels4(float id, const float* xval, int8_t* L) {
    for (int i = 0; i < 4; ++i) {
        const int l = nearest_int(0.5f * (id * xval[i] - 1));
        L[i] = int8_t(qmax(0, qmin(kIq3MaxQ - 1, l)));
    }
}

// sum w x q and sum w q^2 over the 32 values, q = 2l+1, in ggml's order.
inline void iq3_sums(const Iq3Group& g, const int8_t* L, float* sumqx, float* sumq2) {
    float sx = 0, s2 = 0;
    for (int i = 0; i < 32; ++i) {
        const float w = g.weight[i];
        const float q = float(2 * L[i] + 1);
        sx += w * g.xval[i] * q;
        s2 += w * q * q;
    }
    *sumqx = sx;
    *sumq2 = s2;
}

// The search's last step: the winning candidate's tuples re-snapped at its
// own least-squares scale (every tuple for IQ3_S, the off-grid ones for
// IQ3_XXS; nothing when all are on the grid or the scale is not positive),
// then the scale refit. on_grid: bit k set when tuple k was a grid point.
// snap(k, u, scale) returns the best listed neighbour of off-grid map index u
// for tuple k: the reference's IqLattice::best_neighbour or a SIMD twin.
template <class Snap>
float iq3_resnap(const Iq3Rules& rules, const IqLattice& lat, const Iq3Group& g, unsigned on_grid, float scale,
                 int8_t* L, Snap snap) {
    if (on_grid == 0xffu || !(scale > 0)) return scale;
    const float id = 1 / scale;
    for (int k = 0; k < 8; ++k) {
        if (!rules.requantize_all && (on_grid >> k & 1u)) continue;
        int8_t l[4];
        iq3_levels4(id, g.xval + 4 * k, l);
        const int u = lat.index_of(l);
        int grid_index = lat.map[size_t(u)];
        if (grid_index < 0) grid_index = snap(k, u, scale);
        const int8_t* pg = lat.point(grid_index);
        for (int i = 0; i < 4; ++i) L[4 * k + i] = int8_t((pg[i] - 1) / 2);
    }
    float sumqx, sumq2;
    iq3_sums(g, L, &sumqx, &sumq2);
    if (sumq2 > 0) scale = sumqx / sumq2;
    return scale;
}

// The reference search, step for step ggml's.
inline float iq3_search_group_ref(const Iq3Rules& rules, const IqLattice& lat, const Iq3Group& g, int8_t* L) {
    int8_t Laux[32];
    std::memset(L, 0, 32);
    float best = 0;
    float scale = g.max / float(2 * kIq3MaxQ - 1);
    unsigned on_grid = rules.on_grid_initial ? 0xffu : 0u;  // bit k: tuple k of the winner on the grid
    for (int is = -rules.n_steps; is <= rules.n_steps; ++is) {
        const float id = (float(2 * kIq3MaxQ - 1) + float(is) * 0.2f) / g.max;
        const float this_scale = 1 / id;
        unsigned on_grid_aux = 0;
        for (int k = 0; k < 8; ++k) {
            iq3_levels4(id, g.xval + 4 * k, Laux + 4 * k);
            const int u = lat.index_of(Laux + 4 * k);
            if (lat.map[size_t(u)] >= 0) {
                on_grid_aux |= 1u << k;
            } else {
                lat.best_neighbour(lat.neighbours_of(u), g.xval + 4 * k, g.waux + 4 * k, this_scale, Laux + 4 * k);
            }
        }
        float sumqx, sumq2;
        iq3_sums(g, Laux, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            std::memcpy(L, Laux, 32);
            on_grid = on_grid_aux;
        }
    }
    return iq3_resnap(rules, lat, g, on_grid, scale, L, [&](int k, int u, float s) {
        int8_t unused[8];  // best_neighbour writes dims levels; the caller re-reads the point
        return lat.best_neighbour(lat.neighbours_of(u), g.xval + 4 * k, g.waux + 4 * k, s, unused);
    });
}

namespace iq3_detail {

// Step 1 for group ib of a super-block; returns false for a group ggml
// treats as all zero (then nothing else of it is computed).
inline bool prepare_group(bool even_signs, const float* xb, const float* qw, float sigma2, Iq3Group& g,
                          uint8_t* block_signs) {
    if (qw) {
        for (int i = 0; i < 32; ++i) g.weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
    } else {
        for (int i = 0; i < 32; ++i) g.weight[i] = xb[i] * xb[i];
    }
    for (int i = 0; i < 32; ++i) g.waux[i] = std::sqrt(g.weight[i]);
    for (int k = 0; k < 4; ++k) {
        int nflip = 0;
        uint8_t s = 0;
        for (int i = 0; i < 8; ++i) {
            if (xb[8 * k + i] >= 0) {
                g.xval[8 * k + i] = xb[8 * k + i];
            } else {
                g.xval[8 * k + i] = -xb[8 * k + i];
                ++nflip;
                s = uint8_t(s | (1 << i));
            }
        }
        if (even_signs) {
            // IQ3_XXS stores 7 sign bits; the 8th is implied by even parity, so
            // an odd count flips the value that costs least, w x^2.
            if (nflip % 2) {
                int imin = 0;
                float min = g.weight[8 * k] * xb[8 * k] * xb[8 * k];
                for (int i = 1; i < 8; ++i) {
                    const float ax = g.weight[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
                    if (ax < min) {
                        min = ax;
                        imin = i;
                    }
                }
                g.xval[8 * k + imin] = -g.xval[8 * k + imin];
                s = uint8_t(s ^ (1 << imin));
            }
            block_signs[k] = uint8_t(s & 127);
        } else {
            block_signs[k] = s;
        }
    }
    g.max = g.xval[0];
    for (int i = 1; i < 32; ++i) g.max = qmax(g.max, g.xval[i]);
    return even_signs ? !(g.max < kIq3xxsMaxEps) : g.max != 0;
}

inline float superblock_sigma2(const float* xbl) {
    float sumx2 = 0;
    for (int i = 0; i < QK_K; ++i) sumx2 += xbl[i] * xbl[i];
    return 2 * sumx2 / float(QK_K);
}

// Grid index of the levels of group k (always a grid point: the search only
// returns points, and all-zero levels, index 0 of both maps, are one too).
inline int grid_index_of(const IqLattice& lat, const int8_t* L) {
    const int g = lat.map[size_t(lat.index_of(L))];
    return g < 0 ? 0 : g;
}

}  // namespace iq3_detail

// The block writers: where a quantized group's grid indices and signs go,
// and how the group scales become the super-block's d and 4-bit scales.

// IQ3_XXS: 64 grid indices, then per group a word of four 7-bit sign indices
// with the scale in the top 4 bits; written out only at the end (ggml builds
// it in a buffer and zeroes the block when every scale is zero).
struct Iq3xxsWriter {
    static constexpr int kGridSize = kIq3xxsGridSize;
    static constexpr Iq3Rules kRules = kIq3xxsRules;
    static constexpr bool kEvenSigns = true;
    static constexpr uint8_t kSignMask = 127;
    using Block = block_iq3_xxs;

    Block& b;
    uint8_t q3[QK_K / 4] = {};
    uint32_t signs_scales[QK_K / 32] = {};

    explicit Iq3xxsWriter(Block& block) : b(block) {}

    void put_group(int ib, const int* grid, const uint8_t* signs) {
        for (int k = 0; k < 8; ++k) q3[8 * ib + k] = uint8_t(grid[k]);
        signs_scales[ib] = uint32_t(signs[0]) | uint32_t(signs[1]) << 7 | uint32_t(signs[2]) << 14 |
                           uint32_t(signs[3]) << 21;
    }

    void finish(const float* scales, float max_scale) {
        b.d = fp32_to_fp16(0.f);
        if (!max_scale) {
            std::memset(b.qs, 0, sizeof b.qs);
            return;
        }
        const float d = max_scale / 31;
        b.d = fp32_to_fp16(d * 1.0125f);  // ggml's fudge factor
        const float id = 1 / d;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            int l = nearest_int(0.5f * (id * scales[ib] - 1));
            l = qmax(0, qmin(15, l));
            signs_scales[ib] |= uint32_t(l) << 28;
        }
        std::memcpy(b.qs, q3, sizeof q3);
        std::memcpy(b.qs + QK_K / 4, signs_scales, sizeof signs_scales);  // little-endian words
    }
};

// IQ3_S: written in place like ggml, whose qs / signs write position moves
// past quantized groups only (the quirk in the header comment).
struct Iq3sWriter {
    static constexpr int kGridSize = kIq3sGridSize;
    static constexpr Iq3Rules kRules = kIq3sRules;
    static constexpr bool kEvenSigns = false;
    static constexpr uint8_t kSignMask = 255;
    using Block = block_iq3_s;

    Block& b;
    uint8_t* qs;
    uint8_t* signs;

    explicit Iq3sWriter(Block& block) : b(block) {
        std::memset(&b, 0, sizeof b);
        qs = b.qs;
        signs = b.signs;
    }

    void put_group(int ib, const int* grid, const uint8_t* group_signs) {
        for (int k = 0; k < 8; ++k) {
            qs[k] = uint8_t(grid[k] & 255);
            b.qh[ib] = uint8_t(b.qh[ib] | ((grid[k] >> 8) << k));
        }
        qs += 8;
        std::memcpy(signs, group_signs, 4);
        signs += 4;
    }

    void finish(const float* scales, float max_scale) {
        if (!max_scale) return;
        const float d = max_scale / 31;
        b.d = fp32_to_fp16(d * 1.033f);  // ggml's fudge factor
        const float id = 1 / d;
        for (int ib = 0; ib < QK_K / 32; ib += 2) {
            int l1 = nearest_int(0.5f * (id * scales[ib] - 1));
            l1 = qmax(0, qmin(15, l1));
            int l2 = nearest_int(0.5f * (id * scales[ib + 1] - 1));
            l2 = qmax(0, qmin(15, l2));
            b.scales[ib / 2] = uint8_t(l1 | (l2 << 4));
        }
    }
};

// ggml's quantize_iq3_xxs (Writer Iq3xxsWriter) and quantize_iq3_s
// (Iq3sWriter): nrows rows of n_per_row values, imatrix one weight per
// column or null.
template <class Writer>
size_t quantize_iq3_rows(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix,
                         Iq3GroupSearch search) {
    using namespace iq3_detail;
    const IqLattice& lat = iq3_lattice(Writer::kGridSize);
    const int64_t nbl = n_per_row / QK_K;
    auto* y = static_cast<typename Writer::Block*>(dst);
    Iq3Group g;
    for (int64_t row = 0; row < nrows; ++row) {
        for (int64_t ibl = 0; ibl < nbl; ++ibl) {
            Writer w(y[row * nbl + ibl]);
            const float* xbl = src + row * n_per_row + QK_K * ibl;
            float scales[QK_K / 32];
            float max_scale = 0;
            const float sigma2 = superblock_sigma2(xbl);
            for (int ib = 0; ib < QK_K / 32; ++ib) {
                uint8_t block_signs[4];
                const float* qw = imatrix ? imatrix + QK_K * ibl + 32 * ib : nullptr;
                if (!prepare_group(Writer::kEvenSigns, xbl + 32 * ib, qw, sigma2, g, block_signs)) {
                    scales[ib] = 0;
                    continue;
                }
                int8_t L[32];
                float scale = search(Writer::kRules, lat, g, L);
                if (scale < 0) {  // cannot happen with xval >= 0, kept from ggml: flip scale and signs
                    scale = -scale;
                    for (auto& s : block_signs) s = uint8_t(~s & Writer::kSignMask);
                }
                int grid[8];
                for (int k = 0; k < 8; ++k) grid[k] = grid_index_of(lat, L + 4 * k);
                w.put_group(ib, grid, block_signs);
                scales[ib] = scale;
                max_scale = qmax(max_scale, scale);
            }
            w.finish(scales, max_scale);
        }
    }
    return size_t(nrows * nbl) * sizeof(typename Writer::Block);
}

}  // namespace quantlab
