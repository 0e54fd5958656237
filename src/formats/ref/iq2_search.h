// The pieces of ggml's IQ2_XXS / IQ2_XS / IQ2_S quantizers
// (ggml-quants.c quantize_row_iq2_xxs_impl, quantize_row_iq2_xs_impl,
// quantize_row_iq2_s_impl) that the scalar reference and the SIMD128 kernels
// share: the per-group preparation before the scale search, the rounding of a
// value to a lattice level, and the packing after it. The scale searches
// themselves live in each kernel file; they must make the same float
// operations in the same order, so the expressions here keep ggml's operand
// order (the library is built with -ffp-contract=off).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/iq_lattice.h"
#include "formats/ref/quant_search.h"  // nearest_int, qmax, qmin, make_qp_quants
#include "formats/type_traits.h"

namespace quantlab::iq2 {

constexpr int kMaxQ = 3;                  // levels 0..2 per coordinate, odd values 1, 3, 5
constexpr float kGroupMaxEpsIq2s = 1e-8f; // ggml's GROUP_MAX_EPS_IQ2_S (the others use kGroupMaxEps)

// Level of one value for inverse scale id: nearest_int(0.5 * (id * x - 1))
// clamped to 0..kMaxQ-1, the expression every IQ2 search rounds with.
inline int8_t level_of(float id, float x) {
    const int l = nearest_int(0.5f * (id * x - 1));
    return int8_t(qmax(0, qmin(kMaxQ - 1, l)));
}

// sum of x[i]^2 in index order: a super-block's sumx2, from which sigma2 comes.
inline float sum_x2(const float* x, int n) {
    float s = 0;
    for (int i = 0; i < n; ++i) s += x[i] * x[i];
    return s;
}

// Folds the signs of 8 values into xval = |x| and returns the sign byte (bit
// i set for x[i] < 0; -0.0 counts as positive). IQ2_S stores it as it is.
inline uint8_t fold_signs_raw(const float* x, float* xval) {
    uint8_t s = 0;
    for (int i = 0; i < 8; ++i) {
        if (x[i] >= 0) {
            xval[i] = x[i];
        } else {
            xval[i] = -x[i];
            s = uint8_t(s | (1 << i));
        }
    }
    return s;
}

// IQ2_XXS / IQ2_XS store the sign byte as a 7-bit index, which needs an even
// number of minus signs: when the count is odd, the value with the smallest
// weight * x^2 (the first on ties) has its sign flipped, so xval holds -|x|
// there. Returns the 7 stored sign bits.
inline uint8_t fold_signs_even(const float* x, const float* weight, float* xval) {
    uint8_t s = fold_signs_raw(x, xval);
    if (__builtin_popcount(s) % 2) {
        int imin = 0;
        float min = weight[imin] * x[imin] * x[imin];
        for (int i = 1; i < 8; ++i) {
            const float ax = weight[i] * x[i] * x[i];
            if (ax < min) {
                min = ax;
                imin = i;
            }
        }
        xval[imin] = -xval[imin];
        s = uint8_t(s ^ (1 << imin));
    }
    return uint8_t(s & 127);
}

// Grid index of 8 levels that the search left on the grid. ggml aborts when
// they are not (it cannot happen for finite sums); here such levels (only
// reachable when x^2 overflows float) are clamped to 0..2 and snapped to the
// nearest grid point, so the kernel never stops and stays deterministic.
inline int grid_index_of(const IqLattice& lat, int8_t* L) {
    int u = 0;
    for (int i = 0; i < 8; ++i) {
        L[i] = int8_t(qmax<int>(0, qmin<int>(kMaxQ - 1, L[i])));
        u |= int(L[i]) << (2 * i);
    }
    int g = lat.map[size_t(u)];
    if (g < 0) {
        g = lat.neighbours_of(u)[1];
        const int8_t* p = lat.point(g);
        for (int i = 0; i < 8; ++i) L[i] = int8_t((p[i] - 1) / 2);
    }
    return g;
}

// sumqx = sum w * xval * q and sumq2 = sum w * q * q over n values with
// q = 2L + 1, in index order (ggml's candidate and refinement sums).
inline void fit_sums(int n, const float* weight, const float* xval, const int8_t* L, float* sumqx, float* sumq2) {
    float sqx = 0, sq2 = 0;
    for (int i = 0; i < n; ++i) {
        const float w = weight[i];
        const float q = float(2 * L[i] + 1);
        sqx += w * xval[i] * q;
        sq2 += w * q * q;
    }
    *sumqx = sqx;
    *sumq2 = sq2;
}

// ggml's test of a scale-search candidate with fit sums sumqx, sumq2: a
// strictly better weighted least-squares fit than `best` replaces it and the
// scale (ties keep the earlier candidate).
inline bool take_if_better(float sumqx, float sumq2, float& best, float& scale) {
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        scale = sumqx / sumq2;
        best = scale * sumqx;
        return true;
    }
    return false;
}

// A group scale's 4-bit code against the super-block scale's inverse id:
// nearest_int(0.5 * (id * scale - 1)) clamped to 0..15.
inline int scale_code(float id, float scale) {
    const int l = nearest_int(0.5f * (id * scale - 1));
    return qmax(0, qmin(15, l));
}

// ---- the row quantizer around the scale search
// A group of 32 (IQ2_XXS) or 16 values (IQ2_XS, IQ2_S) ready for its scale
// search: importance weights, their square roots (the neighbour search's
// weights), the values with their signs folded out, and the largest of them.
struct Group {
    int n = 0;
    float weight[32], waux[32], xval[32];
    uint8_t signs[4];
    float max = 0;
};

// What differs between the three formats outside the search.
struct Iq2xxsFormat {
    using Block = block_iq2_xxs;
    static constexpr GgmlType kType = GgmlType::IQ2_XXS;
    static constexpr const char* kName = "iq2_xxs";
    static constexpr int kGroup = 32;
    static constexpr float kEps = kGroupMaxEps;
    static constexpr bool kEvenSigns = true;
    static float sigma2(float sumx2) { return sumx2 / QK_K; }
    // Four 8-bit grid indices in the group's first word, four 7-bit sign indices in its second.
    static void put_group(Block& y, int ib, const int* grid_index, const uint8_t* signs) {
        uint32_t q2[2];
        std::memcpy(q2, y.qs + 4 * ib, sizeof q2);
        for (int k = 0; k < 4; ++k) {
            q2[0] |= uint32_t(grid_index[k]) << 8 * k;
            q2[1] |= uint32_t(signs[k]) << 7 * k;
        }
        std::memcpy(y.qs + 4 * ib, q2, sizeof q2);
    }
    static void no_scale(Block& y) { std::memset(y.qs, 0, sizeof y.qs); }
    // d = max / 31 and a 4-bit code per group on top of its sign word.
    static void put_scales(Block& y, float max_scale, const float* scales) {
        const float d = max_scale / 31;
        y.d = fp32_to_fp16(d);
        const float id = 1 / d;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            uint32_t w;
            std::memcpy(&w, y.qs + 4 * ib + 2, sizeof w);
            w |= uint32_t(scale_code(id, scales[ib])) << 28;
            std::memcpy(y.qs + 4 * ib + 2, &w, sizeof w);
        }
    }
};

// Two 4-bit codes per byte, the even group's in the low nibble.
inline void put_nibble_scales(uint8_t* out, float id, const float* scales) {
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const int l = scale_code(id, scales[ib]);
        if (ib % 2 == 0) out[ib / 2] = uint8_t(l);
        else out[ib / 2] = uint8_t(out[ib / 2] | (l << 4));
    }
}

struct Iq2xsFormat {
    using Block = block_iq2_xs;
    static constexpr GgmlType kType = GgmlType::IQ2_XS;
    static constexpr const char* kName = "iq2_xs";
    static constexpr int kGroup = 16;
    static constexpr float kEps = kGroupMaxEps;
    static constexpr bool kEvenSigns = true;
    static float sigma2(float sumx2) { return sumx2 / QK_K; }
    // Per 8 values a 9-bit grid index with the 7-bit sign index above it.
    static void put_group(Block& y, int ib, const int* grid_index, const uint8_t* signs) {
        for (int k = 0; k < 2; ++k) y.qs[2 * ib + k] = uint16_t(grid_index[k] | (signs[k] << 9));
    }
    static void no_scale(Block& y) { std::memset(y.qs, 0, sizeof y.qs); }
    static void put_scales(Block& y, float max_scale, const float* scales) {
        const float d = max_scale / 31;
        y.d = fp32_to_fp16(d);
        put_nibble_scales(y.scales, 1 / d, scales);
    }
};

struct Iq2sFormat {
    using Block = block_iq2_s;
    static constexpr GgmlType kType = GgmlType::IQ2_S;
    static constexpr const char* kName = "iq2_s";
    static constexpr int kGroup = 16;
    static constexpr float kEps = kGroupMaxEpsIq2s;
    static constexpr bool kEvenSigns = false;
    static float sigma2(float sumx2) { return 2 * sumx2 / QK_K; }
    // Low 8 index bits in qs, the top 2 in qh, the raw sign byte in qs' second half.
    static void put_group(Block& y, int ib, const int* grid_index, const uint8_t* signs) {
        for (int k = 0; k < 2; ++k) {
            const int i8 = 2 * ib + k;
            y.qs[i8] = uint8_t(grid_index[k] & 255);
            y.qh[i8 / 4] = uint8_t(y.qh[i8 / 4] | ((grid_index[k] >> 8) << 2 * (i8 % 4)));
            y.qs[QK_K / 8 + i8] = signs[k];
        }
    }
    static void no_scale(Block&) {}  // ggml keeps the indices and signs it wrote
    // The stored d is shrunk by 0.9875; the codes are against the unshrunk one.
    static void put_scales(Block& y, float max_scale, const float* scales) {
        const float d = max_scale / 31;
        y.d = fp32_to_fp16(d * 0.9875f);
        put_nibble_scales(y.scales, 1 / d, scales);
    }
};

// Weights, folded signs and max of group ib of a super-block (ggml's code
// before each search). quant_weights null (IQ2_S only): 0.25 sigma2 + x^2.
template <class F>
void prepare_group(const float* xb, const float* qw, float sigma2, Group& g) {
    constexpr int n = F::kGroup;
    g.n = n;
    if (qw) {
        for (int i = 0; i < n; ++i) g.weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
    } else {
        for (int i = 0; i < n; ++i) g.weight[i] = 0.25f * sigma2 + xb[i] * xb[i];
    }
    for (int i = 0; i < n; ++i) g.waux[i] = std::sqrt(g.weight[i]);
    for (int k = 0; k < n / 8; ++k) {
        g.signs[k] = F::kEvenSigns ? fold_signs_even(xb + 8 * k, g.weight + 8 * k, g.xval + 8 * k)
                                   : fold_signs_raw(xb + 8 * k, g.xval + 8 * k);
    }
    float max = g.xval[0];
    for (int i = 1; i < n; ++i) max = qmax(max, g.xval[i]);
    g.max = max;
}

// One row of n values (quantize_row_iq2_*_impl). search(g, L, &scale) runs
// the scale search of a group whose max is above the format's eps, L zeroed:
// it returns false when the group gets scale 0 (IQ2_XXS's eff_max <= 0), else
// the levels of the chosen grid points in L and the group scale.
template <class F, class Search>
void quantize_iq2_row(const IqLattice& lat, const float* x, typename F::Block* y, int64_t n,
                      const float* quant_weights, Search&& search) {
    constexpr int G = F::kGroup;
    for (int64_t ibl = 0; ibl < n / QK_K; ++ibl) {
        typename F::Block& b = y[ibl];
        std::memset(&b, 0, sizeof b);
        const float* xbl = x + QK_K * ibl;
        const float sigma2 = F::sigma2(sum_x2(xbl, QK_K));
        float scales[QK_K / 16];
        float max_scale = 0;
        Group g;
        for (int ib = 0; ib < QK_K / G; ++ib) {
            prepare_group<F>(xbl + G * ib, quant_weights ? quant_weights + QK_K * ibl + G * ib : nullptr, sigma2, g);
            int8_t L[32] = {};
            float scale = 0;
            if (g.max < F::kEps || !search(g, L, &scale)) {
                scales[ib] = 0;
                continue;
            }
            if (scale < 0) {
                // ggml: "should never happen"; keep the scale positive by flipping the signs.
                scale = -scale;
                for (int k = 0; k < G / 8; ++k) g.signs[k] = uint8_t(~g.signs[k] & (F::kEvenSigns ? 127 : 255));
            }
            int grid_index[4];
            for (int k = 0; k < G / 8; ++k) grid_index[k] = grid_index_of(lat, L + 8 * k);
            F::put_group(b, ib, grid_index, g.signs);
            scales[ib] = scale;
            max_scale = qmax(max_scale, scale);
        }
        if (!max_scale) {
            F::no_scale(b);
            continue;
        }
        F::put_scales(b, max_scale, scales);
    }
}

// ggml_quantize_chunk's loop for format F: nrows rows of n_per_row values,
// each through quantize_iq2_row with the search made by make_search(lattice).
// IQ2_XXS / IQ2_XS refuse to run without importance weights (ggml asserts).
template <class F, class MakeSearch>
size_t quantize_iq2_chunk(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix,
                          MakeSearch&& make_search) {
    if (!imatrix && quantize_requires_imatrix(F::kType)) {
        throw Error(ErrorCode::InvalidArgument, imatrix_required_message(F::kName));
    }
    const IqLattice& lat = iq2_lattice(F::kType);
    auto search = make_search(lat);
    const int64_t nblock = n_per_row / QK_K;
    auto* y = static_cast<typename F::Block*>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        quantize_iq2_row<F>(lat, src + r * n_per_row, y + r * nblock, n_per_row, imatrix, search);
    }
    return size_t(nrows * nblock) * sizeof(typename F::Block);
}

// ---- decoding: what a 32-value sub-block of each format holds, in one shape
// (ggml-common.h layouts; dequantize_row_iq2_* and the vec_dots read them so).
struct SubBlock {
    uint64_t grid[4];   // the four groups' grid points: byte j is coordinate j (8, 25 or 43)
    uint8_t signs[4];   // their sign bytes: bit j negates coordinate j
    int scale[2];       // 4-bit scale codes of values 0..15 and 16..31 (IQ2_XXS: one code for all 32)
};

inline SubBlock sub_block(const block_iq2_xxs& b, int ib32) {
    uint32_t aux32[2];
    std::memcpy(aux32, b.qs + 4 * ib32, sizeof aux32);
    SubBlock s;
    for (int l = 0; l < 4; ++l) {
        s.grid[l] = kIq2xxsGrid[uint8_t(aux32[0] >> (8 * l))];
        s.signs[l] = kIq2xsSigns[(aux32[1] >> 7 * l) & 127];
    }
    s.scale[0] = s.scale[1] = int(aux32[1] >> 28);
    return s;
}

inline SubBlock sub_block(const block_iq2_xs& b, int ib32) {
    SubBlock s;
    for (int l = 0; l < 4; ++l) {
        const uint16_t q = b.qs[4 * ib32 + l];
        s.grid[l] = kIq2xsGrid[q & 511];
        s.signs[l] = kIq2xsSigns[q >> 9];
    }
    s.scale[0] = b.scales[ib32] & 0xf;
    s.scale[1] = b.scales[ib32] >> 4;
    return s;
}

// IQ2_S: 8 index bits in qs, the top 2 of group l in bits 2l, 2l+1 of the
// sub-block's qh byte; raw sign bytes in the second half of qs.
inline SubBlock sub_block(const block_iq2_s& b, int ib32) {
    SubBlock s;
    for (int l = 0; l < 4; ++l) {
        s.grid[l] = kIq2sGrid[b.qs[4 * ib32 + l] | ((b.qh[ib32] << (8 - 2 * l)) & 0x300)];
        s.signs[l] = b.qs[QK_K / 8 + 4 * ib32 + l];
    }
    s.scale[0] = b.scales[ib32] & 0xf;
    s.scale[1] = b.scales[ib32] >> 4;
    return s;
}

}  // namespace quantlab::iq2
