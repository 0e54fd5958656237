// Scalar reference kernels of the non-linear 4-bit formats IQ4_NL and IQ4_XS.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_iq4_nl_impl,
// quantize_iq4_nl, quantize_iq4_xs, dequantize_row_iq4_*) and ggml-cpu/quants.c
// (ggml_vec_dot_iq4_nl_q8_0_generic, ggml_vec_dot_iq4_xs_q8_K_generic).
#include "formats/ref/iq_quants_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "formats/block_types.h"
#include "formats/ref/nibble_table_dot.h"
#include "formats/ref/quant_search.h"  // nearest_int, kGroupMaxEps (shared with the K-quants)

namespace quantlab {

namespace {

// Index of the table level nearest to x; an exact midpoint goes to the upper
// level. algorithm: ggml-quants.c best_index_int8 on kvalues_iq4nl.
int best_index_iq4nl(float x) {
    const int8_t* val = kIq4nlValues;
    if (x <= float(val[0])) return 0;
    if (x >= float(val[15])) return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) {
        const int mav = (ml + mu) / 2;
        if (x < float(val[mav])) mu = mav;
        else ml = mav;
    }
    return x - float(val[mu - 1]) < float(val[mu]) - x ? mu - 1 : mu;
}

// algorithm: ggml-quants.c quantize_row_iq4_nl_impl with block_size 32.
// super_block_size 32 is IQ4_NL (one fp16 scale), 256 is IQ4_XS (fp16 super
// scale and eight 6-bit sub-scales). ntry > 0 searches 2*ntry+1 candidate
// scales around the absmax one; ntry <= 0 (ggml's reference row quantizer)
// only refines the absmax scale by least squares. L must hold
// super_block_size entries; for IQ4_NL with ntry <= 0 an all-zero block keeps
// the previous contents of L, as ggml's does.
void quantize_iq4_impl(int super_block_size, const float* x, ggml_half* dh, uint8_t* q4, uint16_t* scales_h,
                       uint8_t* scales_l, float* scales, uint8_t* L, const float* quant_weights, int ntry) {
    constexpr int block_size = 32;
    const int8_t* values = kIq4nlValues;
    float weight[block_size];

    float sigma2 = 0.0f;
    for (int j = 0; j < super_block_size; ++j) sigma2 += x[j] * x[j];
    sigma2 *= 2.0f / float(super_block_size);

    float max_scale = 0.0f, amax_scale = 0.0f;
    const int nblocks = super_block_size / block_size;
    for (int ib = 0; ib < nblocks; ++ib) {
        const float* xb = x + ib * block_size;
        uint8_t* Lb = L + ib * block_size;
        if (quant_weights) {
            const float* qw = quant_weights + ib * block_size;
            for (int j = 0; j < block_size; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
        } else {
            for (int j = 0; j < block_size; ++j) weight[j] = xb[j] * xb[j];
        }
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < block_size; ++j) {
            const float ax = std::fabs(xb[j]);
            if (ax > amax) {
                amax = ax;
                max = xb[j];
            }
        }
        if (amax < kGroupMaxEps) {
            scales[ib] = 0.0f;
            continue;
        }
        float d = ntry > 0 ? -max / float(values[0]) : max / float(values[0]);
        float id = 1.0f / d;
        float sumqx = 0.0f, sumq2 = 0.0f;
        for (int j = 0; j < block_size; ++j) {
            const int l = best_index_iq4nl(id * xb[j]);
            Lb[j] = uint8_t(l);
            const float q = float(values[l]);
            sumqx += weight[j] * q * xb[j];
            sumq2 += weight[j] * q * q;
        }
        d = sumqx / sumq2;
        float best = d * sumqx;
        for (int itry = -ntry; itry <= ntry; ++itry) {
            id = float(itry + values[0]) / max;
            sumqx = sumq2 = 0.0f;
            for (int j = 0; j < block_size; ++j) {
                const float q = float(values[best_index_iq4nl(id * xb[j])]);
                sumqx += weight[j] * q * xb[j];
                sumq2 += weight[j] * q * q;
            }
            // Strict: a tie keeps the earlier candidate.
            if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[ib] = d;
        const float abs_d = std::fabs(d);
        if (abs_d > amax_scale) {
            amax_scale = abs_d;
            max_scale = d;
        }
    }

    if (nblocks > 1) {
        *scales_h = 0;
        const float d = -max_scale / 32.0f;
        *dh = fp32_to_fp16(d);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int ib = 0; ib < nblocks; ++ib) {
            int l = nearest_int(id * scales[ib]);
            l = std::max(-32, std::min(31, l));
            const float dl = d * float(l);
            const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
            uint8_t* Lb = L + ib * block_size;
            const float* xb = x + ib * block_size;
            for (int j = 0; j < block_size; ++j) Lb[j] = uint8_t(best_index_iq4nl(idl * xb[j]));
            l += 32;
            const uint8_t l_l = uint8_t(l & 0xf);
            const uint8_t l_h = uint8_t(l >> 4);
            if (ib % 2 == 0) scales_l[ib / 2] = l_l;
            else scales_l[ib / 2] |= uint8_t(l_l << 4);
            *scales_h |= uint16_t(l_h << 2 * (ib % 8));
        }
    } else {
        *dh = fp32_to_fp16(scales[0]);
        if (ntry > 0) {
            // Requantize against the refined scale (still in float, as ggml does).
            const float id = scales[0] != 0.0f ? 1.0f / scales[0] : 0.0f;
            for (int j = 0; j < super_block_size; ++j) L[j] = uint8_t(best_index_iq4nl(id * x[j]));
        }
    }

    for (int i = 0; i < super_block_size / 32; ++i) {
        for (int j = 0; j < 16; ++j) q4[16 * i + j] = uint8_t(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
    }
}

}  // namespace

// ---------------------------------------------------------------- IQ4_NL
// ggml's quantize_row_iq4_nl_ref: absmax scale refined once (ntry -1).
void quantize_row_iq4_nl_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_iq4_nl*>(vy);
    const int64_t nb = k / QK4_NL;
    // Shared by all blocks of the call: ggml reuses it, so an all-zero block
    // repeats the previous block's indices (zeros here for a leading one,
    // where ggml would read uninitialized memory). The scale is 0 either way.
    uint8_t L[QK4_NL] = {};
    float scale;
    for (int64_t ib = 0; ib < nb; ++ib) {
        quantize_iq4_impl(QK4_NL, x + QK4_NL * ib, &y[ib].d, y[ib].qs, nullptr, nullptr, &scale, L, nullptr, -1);
    }
}

// ggml's quantize_iq4_nl: the 7-step scale search llama-quantize runs.
size_t quantize_iq4_nl_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    const int64_t nb = n_per_row / QK4_NL;
    auto* y = static_cast<block_iq4_nl*>(dst);
    uint8_t L[QK4_NL];
    float scale;
    for (int64_t row = 0; row < nrows; ++row) {
        const float* x = src + row * n_per_row;
        block_iq4_nl* yr = y + row * nb;
        for (int64_t ib = 0; ib < nb; ++ib) {
            const float* qw = imatrix ? imatrix + QK4_NL * ib : nullptr;
            quantize_iq4_impl(QK4_NL, x + QK4_NL * ib, &yr[ib].d, yr[ib].qs, nullptr, nullptr, &scale, L, qw, 7);
            if (std::isnan(scale)) {
                // Deliberate deviation: importance weights that are all zero
                // over a non-zero block make ggml's least-squares scale 0/0 and
                // it writes a NaN scale. Quantize such a block as if there
                // were no importance matrix instead (a valid, finite block).
                quantize_iq4_impl(QK4_NL, x + QK4_NL * ib, &yr[ib].d, yr[ib].qs, nullptr, nullptr, &scale, L,
                                  nullptr, 7);
            }
        }
    }
    return size_t(nrows * nb) * sizeof(block_iq4_nl);
}

void dequantize_row_iq4_nl_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq4_nl*>(vx);
    const int64_t nb = k / QK4_NL;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK4_NL / 2; ++j) {
            y[i * QK4_NL + j] = d * float(kIq4nlValues[x[i].qs[j] & 0xf]);
            y[i * QK4_NL + j + QK4_NL / 2] = d * float(kIq4nlValues[x[i].qs[j] >> 4]);
        }
    }
}

float vec_dot_iq4_nl_q8_0_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_iq4_nl*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK4_NL;
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < nb; ++ib) {
        const float d = fp16_to_fp32(y[ib].d) * fp16_to_fp32(x[ib].d);
        sumf += d * float(nibble_table_dot32(x[ib].qs, kIq4nlValues, y[ib].qs));
    }
    return sumf;
}

// ---------------------------------------------------------------- IQ4_XS
size_t quantize_iq4_xs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    const int64_t nb = n_per_row / QK_K;
    auto* y = static_cast<block_iq4_xs*>(dst);
    uint8_t L[QK_K];
    float scales[QK_K / 32];
    for (int64_t row = 0; row < nrows; ++row) {
        const float* x = src + row * n_per_row;
        block_iq4_xs* yr = y + row * nb;
        for (int64_t ibl = 0; ibl < nb; ++ibl) {
            const float* qw = imatrix ? imatrix + QK_K * ibl : nullptr;
            quantize_iq4_impl(QK_K, x + QK_K * ibl, &yr[ibl].d, yr[ibl].qs, &yr[ibl].scales_h, yr[ibl].scales_l,
                              scales, L, qw, 7);
        }
    }
    return size_t(nrows * nb) * sizeof(block_iq4_xs);
}

// ggml's reference IQ4_XS row quantizer is the searching chunk quantizer.
void quantize_row_iq4_xs_ref(const float* x, void* y, int64_t k) { quantize_iq4_xs_ref(x, y, 1, k, nullptr); }

void dequantize_row_iq4_xs_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq4_xs*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t* qs = x[i].qs;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = ((x[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((x[i].scales_h >> 2 * ib) & 3) << 4);
            const float dl = d * float(ls - 32);
            for (int j = 0; j < 16; ++j) {
                y[j] = dl * float(kIq4nlValues[qs[j] & 0xf]);
                y[j + 16] = dl * float(kIq4nlValues[qs[j] >> 4]);
            }
            y += 32;
            qs += 16;
        }
    }
}

float vec_dot_iq4_xs_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_iq4_xs*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    float sumf = 0.0f;
    for (int64_t ibl = 0; ibl < nb; ++ibl) {
        const float d4d8 = fp16_to_fp32(x[ibl].d) * y[ibl].d;
        uint16_t h = x[ibl].scales_h;
        const uint8_t* qs = x[ibl].qs;
        const int8_t* q8 = y[ibl].qs;
        for (int ib = 0; ib < QK_K / 32; ib += 2) {
            const int ls1 = (x[ibl].scales_l[ib / 2] & 0xf) | ((h << 4) & 0x30);
            const int ls2 = (x[ibl].scales_l[ib / 2] >> 4) | ((h << 2) & 0x30);
            h = uint16_t(h >> 4);
            const float d1 = d4d8 * float(ls1 - 32);
            const float d2 = d4d8 * float(ls2 - 32);
            sumf += d1 * float(nibble_table_dot32(qs, kIq4nlValues, q8));
            qs += 16;
            q8 += 32;
            sumf += d2 * float(nibble_table_dot32(qs, kIq4nlValues, q8));
            qs += 16;
            q8 += 32;
        }
    }
    return sumf;
}

}  // namespace quantlab
