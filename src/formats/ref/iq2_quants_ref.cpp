// Scalar reference kernels of IQ2_XXS, IQ2_XS and IQ2_S.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_iq2_xxs_impl,
// quantize_row_iq2_xs_impl, quantize_row_iq2_s_impl, quantize_iq2_*,
// dequantize_row_iq2_*, iq2_find_best_neighbour, make_qp_quants) and
// ggml/src/ggml-cpu/quants.c (ggml_vec_dot_iq2_*_q8_K_generic). The lattice
// search maps are ggml's (formats/iq_lattice.h), the grids and sign tables
// ggml's (formats/iq_grids.h).
//
// How the quantizers work: each group of 8 values has its signs folded out
// (formats/ref/iq2_search.h), then a scale search tries 13 (IQ2_XXS, per 32
// values) or 19 (IQ2_XS / IQ2_S, per 16 values) inverse scales; for each it
// rounds every value to a level 0..2, and where the 8 levels of a group are
// not a grid point it takes the listed neighbour that fits best. The
// candidate with the best weighted least-squares fit wins; its scale is
// refined once more, and the group scales are coded in 4 bits against the
// super-block's fp16 scale.
#include "formats/ref/iq2_quants_ref.h"

#include <cstring>

#include "formats/block_types.h"
#include "formats/ref/iq2_search.h"

namespace quantlab {

using namespace iq2;

namespace {

// Levels of the 8 values of a group at inverse scale id, snapped to the grid:
// when the rounded levels are not a grid point, the listed neighbour nearest
// to xval at scale `scale` (weights waux). Returns whether they were on it.
inline bool round_to_grid(const IqLattice& lat, float id, float scale, const float* xval, const float* waux,
                          int8_t* L) {
    for (int i = 0; i < 8; ++i) L[i] = level_of(id, xval[i]);
    const int u = lat.index_of(L);
    if (lat.map[size_t(u)] >= 0) return true;
    lat.best_neighbour(lat.neighbours_of(u), xval, waux, scale, L);
    return false;
}

// ---------------------------------------------------------------- the scale searches
// IQ2_XXS, 32 values: make_qp_quants' scale, 13 candidates around it, then
// the winner's scale refined with every group re-snapped.
bool search_group32(const IqLattice& lat, const Group& g, int8_t* L, float* scale_out) {
    int8_t Laux[32];
    float scale = make_qp_quants(32, kMaxQ + 1, g.xval, reinterpret_cast<uint8_t*>(L), g.weight);
    const float eff_max = scale * kMaxQ;
    if (eff_max <= 0) return false;
    float best = 0;
    for (int is = -6; is <= 6; ++is) {
        const float id = (float(2 * kMaxQ - 1) + float(is) * 0.1f) / eff_max;
        const float this_scale = 1 / id;
        for (int k = 0; k < 4; ++k) round_to_grid(lat, id, this_scale, g.xval + 8 * k, g.waux + 8 * k, Laux + 8 * k);
        float sumqx, sumq2;
        fit_sums(32, g.weight, g.xval, Laux, &sumqx, &sumq2);
        if (take_if_better(sumqx, sumq2, best, scale)) std::memcpy(L, Laux, 32);
    }
    if (scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 4; ++k) round_to_grid(lat, id, scale, g.xval + 8 * k, g.waux + 8 * k, L + 8 * k);
        float sumqx, sumq2;
        fit_sums(32, g.weight, g.xval, L, &sumqx, &sumq2);
        if (sumq2 > 0) scale = sumqx / sumq2;
    }
    *scale_out = scale;
    return true;
}

// IQ2_XS and IQ2_S, 16 values: 19 candidates around max / 5, then the groups
// the winner snapped to a neighbour are re-snapped at its scale.
bool search_group16(const IqLattice& lat, const Group& g, int8_t* L, float* scale_out) {
    int8_t Laux[16];
    bool on_grid[2] = {true, true}, on_grid_aux[2];
    float best = 0;
    float scale = g.max / (2 * kMaxQ - 1);
    for (int is = -9; is <= 9; ++is) {
        const float id = (float(2 * kMaxQ - 1) + float(is) * 0.1f) / g.max;
        const float this_scale = 1 / id;
        for (int k = 0; k < 2; ++k) {
            on_grid_aux[k] = round_to_grid(lat, id, this_scale, g.xval + 8 * k, g.waux + 8 * k, Laux + 8 * k);
        }
        float sumqx, sumq2;
        fit_sums(16, g.weight, g.xval, Laux, &sumqx, &sumq2);
        if (take_if_better(sumqx, sumq2, best, scale)) {
            std::memcpy(L, Laux, 16);
            on_grid[0] = on_grid_aux[0];
            on_grid[1] = on_grid_aux[1];
        }
    }
    if ((!on_grid[0] || !on_grid[1]) && scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 2; ++k) {
            if (!on_grid[k]) round_to_grid(lat, id, scale, g.xval + 8 * k, g.waux + 8 * k, L + 8 * k);
        }
        float sumqx, sumq2;
        fit_sums(16, g.weight, g.xval, L, &sumqx, &sumq2);
        if (sumq2 > 0) scale = sumqx / sumq2;
    }
    *scale_out = scale;
    return true;
}

// The reference searches for format F's group size.
template <class F>
auto reference_search(const IqLattice& lat) {
    return [&lat](const Group& g, int8_t* L, float* scale) {
        return F::kGroup == 32 ? search_group32(lat, g, L, scale) : search_group16(lat, g, L, scale);
    };
}

}  // namespace

size_t quantize_iq2_xxs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq2_chunk<Iq2xxsFormat>(src, dst, nrows, n_per_row, imatrix, reference_search<Iq2xxsFormat>);
}

size_t quantize_iq2_xs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq2_chunk<Iq2xsFormat>(src, dst, nrows, n_per_row, imatrix, reference_search<Iq2xsFormat>);
}

size_t quantize_iq2_s_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq2_chunk<Iq2sFormat>(src, dst, nrows, n_per_row, imatrix, reference_search<Iq2sFormat>);
}

// ggml's quantize_row_iq2_s_ref: the chunk quantizer without weights.
void quantize_row_iq2_s_ref(const float* x, void* y, int64_t k) { quantize_iq2_s_ref(x, y, 1, k, nullptr); }

// ---------------------------------------------------------------- dequantize
namespace {

// y = d * (0.5 + s) * 0.25 * grid[j], negated where sign bit j is set, in
// ggml's order of float operations (dequantize_row_iq2_*).
template <class Block>
void dequantize_iq2(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const Block*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            const SubBlock sb = sub_block(x[i], ib32);
            for (int l = 0; l < 4; ++l) {
                const float db = d * (0.5f + float(sb.scale[l / 2])) * 0.25f;
                for (int j = 0; j < 8; ++j) {
                    const float g = float(uint8_t(sb.grid[l] >> (8 * j)));
                    y[j] = db * g * (sb.signs[l] & kIq2xsMask[j] ? -1.f : 1.f);
                }
                y += 8;
            }
        }
    }
}

// ggml_vec_dot_iq2_*_q8_K_generic: exact integer sums per 16 values, times
// the odd scale 2s + 1, one float step per super-block, 1/8 at the end.
template <class Block>
float vec_dot_iq2(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const Block*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0.f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        const int8_t* q8 = y[i].qs;
        int32_t bsum = 0;
        for (int ib32 = 0; ib32 < QK_K / 32; ++ib32) {
            const SubBlock sb = sub_block(x[i], ib32);
            int32_t sumi[2] = {0, 0};
            for (int l = 0; l < 4; ++l) {
                for (int j = 0; j < 8; ++j) {
                    const int g = uint8_t(sb.grid[l] >> (8 * j));
                    sumi[l / 2] += g * q8[j] * (sb.signs[l] & kIq2xsMask[j] ? -1 : 1);
                }
                q8 += 8;
            }
            bsum += sumi[0] * (2 * sb.scale[0] + 1) + sumi[1] * (2 * sb.scale[1] + 1);
        }
        sumf += d * float(bsum);
    }
    return 0.125f * sumf;
}

}  // namespace

void dequantize_row_iq2_xxs_ref(const void* x, float* y, int64_t k) { dequantize_iq2<block_iq2_xxs>(x, y, k); }
void dequantize_row_iq2_xs_ref(const void* x, float* y, int64_t k) { dequantize_iq2<block_iq2_xs>(x, y, k); }
void dequantize_row_iq2_s_ref(const void* x, float* y, int64_t k) { dequantize_iq2<block_iq2_s>(x, y, k); }

float vec_dot_iq2_xxs_q8_K_ref(int64_t n, const void* x, const void* y) { return vec_dot_iq2<block_iq2_xxs>(n, x, y); }
float vec_dot_iq2_xs_q8_K_ref(int64_t n, const void* x, const void* y) { return vec_dot_iq2<block_iq2_xs>(n, x, y); }
float vec_dot_iq2_s_q8_K_ref(int64_t n, const void* x, const void* y) { return vec_dot_iq2<block_iq2_s>(n, x, y); }

}  // namespace quantlab
