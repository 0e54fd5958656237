// Scalar reference kernels of the K-quants and Q8_K.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_<t>_ref,
// quantize_row_<t>_impl, quantize_<t>, dequantize_row_<t>) and
// ggml/src/ggml-cpu/quants.c (ggml_vec_dot_<t>_q8_K_generic). Output bytes
// must equal ggml's, so float expressions keep ggml's operand order and the
// integer-to-float conversions happen where ggml's C promotions put them.
#include "formats/ref/k_quants_ref.h"

#include <cmath>
#include <cstring>

#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/ref/quant_search.h"

namespace quantlab {

namespace {

// Packs four 2-bit planes: byte l of each 32-byte group holds values l, l+32,
// l+64 and l+96 of its 128-value half (Q2_K and the low bits of Q3_K).
void pack_2bit_planes(const uint8_t* L, uint8_t* qs) {
    for (int j = 0; j < QK_K; j += 128) {
        for (int l = 0; l < 32; ++l) {
            qs[j / 4 + l] = uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        }
    }
}

// Q3_K's 16 six-bit scales (already offset by +32): low nibbles of scales
// 0-7 in bytes 0-7, of scales 8-15 in the high nibbles of the same bytes, and
// the top two bits of scale j at bit 2*(j/4) of byte 8 + j%4.
void pack_q3_scales(const int8_t* ls, uint8_t* scales) {
    std::memset(scales, 0, 12);
    for (int j = 0; j < QK_K / 16; ++j) {
        int l = ls[j];
        if (j < 8) {
            scales[j] = uint8_t(l & 0xF);
        } else {
            scales[j - 8] = uint8_t(scales[j - 8] | ((l & 0xF) << 4));
        }
        l >>= 4;
        scales[j % 4 + 8] = uint8_t(scales[j % 4 + 8] | (l << (2 * (j / 4))));
    }
}

int8_t unpack_q3_scale(const uint8_t* scales, int j) {
    int8_t sc = int8_t(j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4);
    sc = int8_t((sc | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
    return sc;
}

// Final Q3_K pass shared by the plain and imatrix paths: requantize against
// the stored fp16 scales, then split each 3-bit value into hmask and qs.
void finish_q3_block(const float* x, int8_t* L, block_q3_K& y) {
    for (int j = 0; j < QK_K / 16; ++j) {
        const int8_t sc = unpack_q3_scale(y.scales, j);
        const float d = fp16_to_fp32(y.d) * float(sc);
        if (!d) continue;  // keep the group's search result, as ggml does
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearest_int(x[16 * j + ii] / d);
            l = qmax(-4, qmin(3, l));
            L[16 * j + ii] = int8_t(l + 4);
        }
    }
    // High bit of value j goes to bit j/32 of hmask[j%32].
    std::memset(y.hmask, 0, QK_K / 8);
    int m = 0;
    uint8_t hm = 1;
    for (int j = 0; j < QK_K; ++j) {
        if (L[j] > 3) {
            y.hmask[m] = uint8_t(y.hmask[m] | hm);
            L[j] = int8_t(L[j] - 4);
        }
        if (++m == QK_K / 8) {
            m = 0;
            hm = uint8_t(hm << 1);
        }
    }
    pack_2bit_planes(reinterpret_cast<const uint8_t*>(L), y.qs);
}

// Final Q2_K pass: requantize every 16-value group against its 4-bit scale
// and min as stored (fp16 super-scales applied), then pack.
void finish_q2_block(const float* x, uint8_t* L, block_q2_K& y) {
    const float dd = fp16_to_fp32(y.d);
    const float dmm = fp16_to_fp32(y.dmin);
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = dd * float(y.scales[j] & 0xF);
        if (!d) continue;
        const float dm = dmm * float(y.scales[j] >> 4);
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearest_int((x[16 * j + ii] + dm) / d);
            l = qmax(0, qmin(3, l));
            L[16 * j + ii] = uint8_t(l);
        }
    }
    pack_2bit_planes(L, y.qs);
}

// Requantization shared by Q4_K and Q5_K: nmax is 15 or 31.
void requantize_k4_groups(const float* x, const uint8_t* scales, ggml_half d16, ggml_half dmin16, int nmax,
                          uint8_t* L) {
    for (int j = 0; j < QK_K / 32; ++j) {
        uint8_t sc, m;
        get_scale_min_k4(j, scales, &sc, &m);
        const float d = fp16_to_fp32(d16) * float(sc);
        if (!d) continue;
        const float dm = fp16_to_fp32(dmin16) * float(m);
        for (int ii = 0; ii < 32; ++ii) {
            int l = nearest_int((x[32 * j + ii] + dm) / d);
            l = qmax(0, qmin(nmax, l));
            L[32 * j + ii] = uint8_t(l);
        }
    }
}

// Q4_K nibbles: byte l of each 32-byte group holds value l (low) and l+32
// (high) of its 64-value chunk.
void pack_q4_nibbles(const uint8_t* L, uint8_t* q) {
    for (int j = 0; j < QK_K; j += 64) {
        for (int l = 0; l < 32; ++l) q[l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
        q += 32;
    }
}

// Q5_K: nibbles as Q4_K; the fifth bit of value l of chunk c (0-3) goes to
// bit 2c (first half) or 2c+1 (second half) of qh[l].
void pack_q5(const uint8_t* L, uint8_t* qh, uint8_t* ql) {
    std::memset(qh, 0, QK_K / 8);
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < QK_K; n += 64) {
        for (int j = 0; j < 32; ++j) {
            int l1 = L[n + j];
            if (l1 > 15) {
                l1 -= 16;
                qh[j] = uint8_t(qh[j] | m1);
            }
            int l2 = L[n + j + 32];
            if (l2 > 15) {
                l2 -= 16;
                qh[j] = uint8_t(qh[j] | m2);
            }
            ql[j] = uint8_t(l1 | (l2 << 4));
        }
        m1 = uint8_t(m1 << 2);
        m2 = uint8_t(m2 << 2);
        ql += 32;
    }
}

// Q6_K tail shared by both paths: quantize the 16 group scales to int8 and
// requantize against them. A block whose group scales are all negligible is
// written as zeros.
void finish_q6_block(const float* x, const float* scales, int8_t* L, block_q6_K& y) {
    float max_scale = 0;
    float max_abs_scale = 0;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        const float abs_scale = std::fabs(scales[ib]);
        if (abs_scale > max_abs_scale) {
            max_abs_scale = abs_scale;
            max_scale = scales[ib];
        }
    }
    if (max_abs_scale < kGroupMaxEps) {
        std::memset(&y, 0, sizeof(block_q6_K));
        y.d = fp32_to_fp16(0.f);
        return;
    }
    const float iscale = -128.f / max_scale;
    y.d = fp32_to_fp16(1 / iscale);
    for (int ib = 0; ib < QK_K / 16; ++ib) {
        y.scales[ib] = int8_t(qmin(127, nearest_int(iscale * scales[ib])));
    }
    for (int j = 0; j < QK_K / 16; ++j) {
        const float d = fp16_to_fp32(y.d) * float(y.scales[j]);
        if (!d) continue;
        for (int ii = 0; ii < 16; ++ii) {
            int l = nearest_int(x[16 * j + ii] / d);
            l = qmax(-32, qmin(31, l));
            L[16 * j + ii] = int8_t(l + 32);
        }
    }
    // ql: low nibbles, values l / l+64 in byte l and l+32 / l+96 in byte l+32
    // of each 64-byte half; qh: the 2 high bits of l, l+32, l+64, l+96.
    uint8_t* ql = y.ql;
    uint8_t* qh = y.qh;
    for (int j = 0; j < QK_K; j += 128) {
        for (int l = 0; l < 32; ++l) {
            const uint8_t q1 = uint8_t(L[j + l + 0] & 0xF);
            const uint8_t q2 = uint8_t(L[j + l + 32] & 0xF);
            const uint8_t q3 = uint8_t(L[j + l + 64] & 0xF);
            const uint8_t q4 = uint8_t(L[j + l + 96] & 0xF);
            ql[l + 0] = uint8_t(q1 | (q3 << 4));
            ql[l + 32] = uint8_t(q2 | (q4 << 4));
            qh[l] = uint8_t((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                            ((L[j + l + 96] >> 4) << 6));
        }
        ql += 64;
        qh += 32;
    }
}

// sum of x^2 over one super-block, accumulated in order like ggml.
float sum_squares(const float* x) {
    float s = 0;
    for (int j = 0; j < QK_K; ++j) s += x[j] * x[j];
    return s;
}

// Runs a per-row imatrix quantizer over nrows rows (ggml quantize_<t>).
template <typename Block, typename RowImpl>
size_t quantize_rows_imatrix(RowImpl impl, const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                             const float* imatrix) {
    const size_t row_bytes = size_t(n_per_row / QK_K) * sizeof(Block);
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        impl(src + r * n_per_row, reinterpret_cast<Block*>(out + size_t(r) * row_bytes), n_per_row, imatrix);
    }
    return size_t(nrows) * row_bytes;
}

}  // namespace

// ---------------------------------------------------------------- Q2_K
// 16 groups of 16: each gets an asymmetric 2-bit fit (|x|-weighted, MAD),
// then the group scales and mins are themselves quantized to 4 bits.
void quantize_row_q2_K_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q2_K*>(vy);
    const int64_t nb = k / QK_K;
    uint8_t L[QK_K];
    uint8_t Laux[16];
    float weights[16];
    float mins[QK_K / 16];
    float scales[QK_K / 16];
    const float q4scale = 15.f;

    for (int64_t i = 0; i < nb; ++i) {
        float max_scale = 0;
        float max_min = 0;
        for (int j = 0; j < QK_K / 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
            scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int j = 0; j < QK_K / 16; ++j) y[i].scales[j] = uint8_t(nearest_int(iscale * scales[j]));
            y[i].d = fp32_to_fp16(max_scale / q4scale);
        } else {
            for (int j = 0; j < QK_K / 16; ++j) y[i].scales[j] = 0;
            y[i].d = fp32_to_fp16(0.f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int j = 0; j < QK_K / 16; ++j) {
                const int l = nearest_int(iscale * mins[j]);
                // Unsigned shift: an infinite input makes l negative (ggml's
                // int shift is undefined there); the stored byte is the same.
                y[i].scales[j] = uint8_t(y[i].scales[j] | (uint32_t(l) << 4));
            }
            y[i].dmin = fp32_to_fp16(max_min / q4scale);
        } else {
            y[i].dmin = fp32_to_fp16(0.f);
        }
        finish_q2_block(x, L, y[i]);
        x += QK_K;
    }
}

namespace {

// ggml quantize_row_q2_K_impl: imatrix-weighted group fits (make_qkx3_quants)
// and weighted 4-bit quantization of the scales and mins (make_qp_quants).
void quantize_row_q2_K_imatrix(const float* x, block_q2_K* y, int64_t n_per_row, const float* quant_weights) {
    const int64_t nb = n_per_row / QK_K;
    uint8_t L[QK_K];
    uint8_t Laux[16];
    float mins[QK_K / 16];
    float scales[QK_K / 16];
    float sw[QK_K / 16];
    float weight[16];
    uint8_t Ls[QK_K / 16], Lm[QK_K / 16];

    for (int64_t i = 0; i < nb; ++i) {
        std::memset(sw, 0, sizeof sw);
        // Unlike Q3_K..Q5_K, ggml uses sigma2 = mean(x^2) here, without the factor 2.
        const float sigma2 = sum_squares(x) / QK_K;
        for (int j = 0; j < QK_K / 16; ++j) {
            const float* qw = quant_weights + QK_K * i + 16 * j;
            for (int l = 0; l < 16; ++l) weight[l] = qw[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
            for (int l = 0; l < QK_K / 16; ++l) sw[j] += weight[l];
            scales[j] = make_qkx3_quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
        }
        const float dm = make_qp_quants(QK_K / 16, 15, scales, Ls, sw);
        const float mm = make_qp_quants(QK_K / 16, 15, mins, Lm, sw);
        y[i].d = fp32_to_fp16(dm);
        y[i].dmin = fp32_to_fp16(mm);
        for (int j = 0; j < QK_K / 16; ++j) y[i].scales[j] = uint8_t(Ls[j] | (Lm[j] << 4));
        finish_q2_block(x, L, y[i]);
        x += QK_K;
    }
}

}  // namespace

size_t quantize_q2_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) {
        quantize_row_q2_K_ref(src, dst, nrows * n_per_row);
        return size_t(nrows) * size_t(n_per_row / QK_K) * sizeof(block_q2_K);
    }
    return quantize_rows_imatrix<block_q2_K>(quantize_row_q2_K_imatrix, src, dst, nrows, n_per_row, imatrix);
}

void dequantize_row_q2_K_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q2_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const float min = fp16_to_fp32(x[i].dmin);
        const uint8_t* q = x[i].qs;
        int is = 0;
        for (int n = 0; n < QK_K; n += 128) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                uint8_t sc = x[i].scales[is++];
                float dl = d * float(sc & 0xF);
                float ml = min * float(sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * float((q[l] >> shift) & 3) - ml;
                sc = x[i].scales[is++];
                dl = d * float(sc & 0xF);
                ml = min * float(sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * float((q[l + 16] >> shift) & 3) - ml;
                shift += 2;
            }
            q += 32;
        }
    }
}

// ---------------------------------------------------------------- Q3_K
// 16 groups of 16, symmetric 3-bit; group scales quantized to 6 bits signed.
void quantize_row_q3_K_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q3_K*>(vy);
    const int64_t nb = k / QK_K;
    int8_t L[QK_K];
    float scales[QK_K / 16];

    for (int64_t i = 0; i < nb; ++i) {
        float max_scale = 0;
        float amax = 0;
        for (int j = 0; j < QK_K / 16; ++j) {
            scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j, true);
            const float scale = std::fabs(scales[j]);
            if (scale > amax) {
                amax = scale;
                max_scale = scales[j];
            }
        }
        if (max_scale != 0.0f) {
            const float iscale = -32.f / max_scale;
            int8_t ls[QK_K / 16];
            for (int j = 0; j < QK_K / 16; ++j) {
                // ggml narrows to int8_t before clamping.
                const int8_t l = int8_t(nearest_int(iscale * scales[j]));
                ls[j] = int8_t(qmax<int>(-32, qmin<int>(31, l)) + 32);
            }
            pack_q3_scales(ls, y[i].scales);
            y[i].d = fp32_to_fp16(1 / iscale);
        } else {
            std::memset(y[i].scales, 0, 12);
            y[i].d = fp32_to_fp16(0.f);
        }
        finish_q3_block(x, L, y[i]);
        x += QK_K;
    }
}

namespace {

// ggml quantize_row_q3_K_impl: groups and then the 16 group scales are fit
// with the weighted make_qx_quants.
void quantize_row_q3_K_imatrix(const float* x, block_q3_K* y, int64_t n_per_row, const float* quant_weights) {
    const int64_t nb = n_per_row / QK_K;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float weight[16];
    float sw[QK_K / 16];
    int8_t Ls[QK_K / 16];

    for (int64_t i = 0; i < nb; ++i) {
        const float sigma2 = 2 * sum_squares(x) / QK_K;
        for (int j = 0; j < QK_K / 16; ++j) {
            const float* qw = quant_weights + QK_K * i + 16 * j;
            for (int l = 0; l < 16; ++l) weight[l] = qw[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
            float sumw = 0;
            for (int l = 0; l < 16; ++l) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, 1, weight);
        }
        const float d_block = make_qx_quants(QK_K / 16, 32, scales, Ls, 1, sw);
        pack_q3_scales(Ls, y[i].scales);
        y[i].d = fp32_to_fp16(d_block);
        finish_q3_block(x, L, y[i]);
        x += QK_K;
    }
}

}  // namespace

size_t quantize_q3_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) {
        quantize_row_q3_K_ref(src, dst, nrows * n_per_row);
        return size_t(nrows) * size_t(n_per_row / QK_K) * sizeof(block_q3_K);
    }
    return quantize_rows_imatrix<block_q3_K>(quantize_row_q3_K_imatrix, src, dst, nrows, n_per_row, imatrix);
}

void dequantize_row_q3_K_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q3_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const float d_all = fp16_to_fp32(x[i].d);
        const uint8_t* q = x[i].qs;
        const uint8_t* hm = x[i].hmask;
        uint8_t m = 1;
        int is = 0;
        for (int n = 0; n < QK_K; n += 128) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                float dl = d_all * float(unpack_q3_scale(x[i].scales, is++));
                for (int l = 0; l < 16; ++l) {
                    *y++ = dl * float(((q[l + 0] >> shift) & 3) - ((hm[l + 0] & m) ? 0 : 4));
                }
                dl = d_all * float(unpack_q3_scale(x[i].scales, is++));
                for (int l = 0; l < 16; ++l) {
                    *y++ = dl * float(((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
                }
                shift += 2;
                m = uint8_t(m << 1);
            }
            q += 32;
        }
    }
}

// ---------------------------------------------------------------- Q4_K / Q5_K
namespace {

// quantize_row_q4_K_ref and quantize_row_q5_K_ref differ only in nmax and the
// make_qkx2_quants grid (Q4_K: -1.0 + 0.1*is for 21 steps, Q5_K: -0.5 + 0.1*is
// for 16), so they share this body.
void quantize_k4_groups_ref(const float* x, int nmax, float rmin, int nstep, uint8_t* L, uint8_t* scales_out,
                            ggml_half* d_out, ggml_half* dmin_out) {
    uint8_t Laux[32];
    float weights[32];
    float mins[QK_K / 32];
    float scales[QK_K / 32];
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < QK_K / 32; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
        const float av_x = std::sqrt(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep, false);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < QK_K / 32; ++j) {
        // ggml narrows to uint8_t before clamping to 63.
        uint8_t ls = uint8_t(nearest_int(inv_scale * scales[j]));
        uint8_t lm = uint8_t(nearest_int(inv_min * mins[j]));
        ls = qmin<uint8_t>(63, ls);
        lm = qmin<uint8_t>(63, lm);
        set_scale_min_k4(j, ls, lm, scales_out);
    }
    *d_out = fp32_to_fp16(max_scale / 63.f);
    *dmin_out = fp32_to_fp16(max_min / 63.f);
}

// ggml quantize_row_q4_K_impl / q5_K_impl body: weighted make_qkx3_quants per
// 32-value group, then make_qp_quants for the 6-bit scales and mins.
void quantize_k4_groups_imatrix(const float* x, const float* qw_block, int nmax, bool clamp_63, uint8_t* L,
                                uint8_t* scales_out, ggml_half* d_out, ggml_half* dmin_out) {
    uint8_t Laux[32];
    uint8_t Ls[QK_K / 32];
    uint8_t Lm[QK_K / 32];
    float weights[32];
    float sw[QK_K / 32];
    float mins[QK_K / 32];
    float scales[QK_K / 32];
    const float sigma2 = 2 * sum_squares(x) / QK_K;
    for (int j = 0; j < QK_K / 32; ++j) {
        const float* qw = qw_block + 32 * j;
        for (int l = 0; l < 32; ++l) weights[l] = qw[l] * std::sqrt(sigma2 + x[32 * j + l] * x[32 * j + l]);
        float sumw = 0;
        for (int l = 0; l < 32; ++l) sumw += weights[l];
        sw[j] = sumw;
        scales[j] = make_qkx3_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    const float d_block = make_qp_quants(QK_K / 32, 63, scales, Ls, sw);
    const float m_block = make_qp_quants(QK_K / 32, 63, mins, Lm, sw);
    for (int j = 0; j < QK_K / 32; ++j) {
        uint8_t ls = Ls[j];
        uint8_t lm = Lm[j];
        // Only ggml's Q5_K path clamps here; make_qp_quants already caps at 63
        // for non-negative inputs, so this matters only for wrapped values.
        if (clamp_63) {
            ls = qmin<uint8_t>(63, ls);
            lm = qmin<uint8_t>(63, lm);
        }
        set_scale_min_k4(j, ls, lm, scales_out);
    }
    *d_out = fp32_to_fp16(d_block);
    *dmin_out = fp32_to_fp16(m_block);
}

void quantize_row_q4_K_imatrix(const float* x, block_q4_K* y, int64_t n_per_row, const float* quant_weights) {
    const int64_t nb = n_per_row / QK_K;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i) {
        quantize_k4_groups_imatrix(x, quant_weights + QK_K * i, 15, false, L, y[i].scales, &y[i].d, &y[i].dmin);
        requantize_k4_groups(x, y[i].scales, y[i].d, y[i].dmin, 15, L);
        pack_q4_nibbles(L, y[i].qs);
        x += QK_K;
    }
}

void quantize_row_q5_K_imatrix(const float* x, block_q5_K* y, int64_t n_per_row, const float* quant_weights) {
    const int64_t nb = n_per_row / QK_K;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i) {
        quantize_k4_groups_imatrix(x, quant_weights + QK_K * i, 31, true, L, y[i].scales, &y[i].d, &y[i].dmin);
        requantize_k4_groups(x, y[i].scales, y[i].d, y[i].dmin, 31, L);
        pack_q5(L, y[i].qh, y[i].qs);
        x += QK_K;
    }
}

}  // namespace

void quantize_row_q4_K_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q4_K*>(vy);
    const int64_t nb = k / QK_K;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i) {
        quantize_k4_groups_ref(x, 15, -1.f, 20, L, y[i].scales, &y[i].d, &y[i].dmin);
        requantize_k4_groups(x, y[i].scales, y[i].d, y[i].dmin, 15, L);
        pack_q4_nibbles(L, y[i].qs);
        x += QK_K;
    }
}

size_t quantize_q4_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) {
        quantize_row_q4_K_ref(src, dst, nrows * n_per_row);
        return size_t(nrows) * size_t(n_per_row / QK_K) * sizeof(block_q4_K);
    }
    return quantize_rows_imatrix<block_q4_K>(quantize_row_q4_K_imatrix, src, dst, nrows, n_per_row, imatrix);
}

void dequantize_row_q4_K_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q4_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q = x[i].qs;
        const float d = fp16_to_fp32(x[i].d);
        const float min = fp16_to_fp32(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        for (int j = 0; j < QK_K; j += 64) {
            get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * float(sc);
            const float m1 = min * float(m);
            get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * float(sc);
            const float m2 = min * float(m);
            for (int l = 0; l < 32; ++l) *y++ = d1 * float(q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * float(q[l] >> 4) - m2;
            q += 32;
            is += 2;
        }
    }
}

void quantize_row_q5_K_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q5_K*>(vy);
    const int64_t nb = k / QK_K;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i) {
        quantize_k4_groups_ref(x, 31, -0.5f, 15, L, y[i].scales, &y[i].d, &y[i].dmin);
        requantize_k4_groups(x, y[i].scales, y[i].d, y[i].dmin, 31, L);
        pack_q5(L, y[i].qh, y[i].qs);
        x += QK_K;
    }
}

size_t quantize_q5_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) {
        quantize_row_q5_K_ref(src, dst, nrows * n_per_row);
        return size_t(nrows) * size_t(n_per_row / QK_K) * sizeof(block_q5_K);
    }
    return quantize_rows_imatrix<block_q5_K>(quantize_row_q5_K_imatrix, src, dst, nrows, n_per_row, imatrix);
}

void dequantize_row_q5_K_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q5_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* ql = x[i].qs;
        const uint8_t* qh = x[i].qh;
        const float d = fp16_to_fp32(x[i].d);
        const float min = fp16_to_fp32(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0; j < QK_K; j += 64) {
            get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * float(sc);
            const float m1 = min * float(m);
            get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * float(sc);
            const float m2 = min * float(m);
            for (int l = 0; l < 32; ++l) *y++ = d1 * float((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * float((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32;
            is += 2;
            u1 = uint8_t(u1 << 2);
            u2 = uint8_t(u2 << 2);
        }
    }
}

// ---------------------------------------------------------------- Q6_K
// 16 groups of 16, symmetric 6-bit; group scales stored as int8.
void quantize_row_q6_K_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q6_K*>(vy);
    const int64_t nb = k / QK_K;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < nb; ++i) {
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1, nullptr);
        }
        finish_q6_block(x, scales, L, y[i]);
        x += QK_K;
    }
}

namespace {

// ggml quantize_row_q6_K_impl: the raw importance weights (no sigma term)
// drive make_qx_quants; everything after the group fits is the reference path.
void quantize_row_q6_K_imatrix(const float* x, block_q6_K* y, int64_t n_per_row, const float* quant_weights) {
    const int64_t nb = n_per_row / QK_K;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < nb; ++i) {
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            const float* qw = quant_weights + QK_K * i + 16 * ib;
            scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1, qw);
        }
        finish_q6_block(x, scales, L, y[i]);
        x += QK_K;
    }
}

}  // namespace

size_t quantize_q6_K_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) {
        quantize_row_q6_K_ref(src, dst, nrows * n_per_row);
        return size_t(nrows) * size_t(n_per_row / QK_K) * sizeof(block_q6_K);
    }
    return quantize_rows_imatrix<block_q6_K>(quantize_row_q6_K_imatrix, src, dst, nrows, n_per_row, imatrix);
}

void dequantize_row_q6_K_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q6_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t* ql = x[i].ql;
        const uint8_t* qh = x[i].qh;
        const int8_t* sc = x[i].scales;
        for (int n = 0; n < QK_K; n += 128) {
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = int((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = int((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * float(sc[is + 0]) * float(q1);
                y[l + 32] = d * float(sc[is + 2]) * float(q2);
                y[l + 64] = d * float(sc[is + 4]) * float(q3);
                y[l + 96] = d * float(sc[is + 6]) * float(q4);
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}

// ---------------------------------------------------------------- Q8_K
// d = -max/127 with max the signed value of largest magnitude; bsums carry the
// 16-value group sums the K-quant dot products use for the min terms.
void quantize_row_q8_K_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_K*>(vy);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        float max = 0;
        float amax = 0;
        for (int j = 0; j < QK_K; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            // ggml leaves bsums untouched here; quantlab writes them as zero
            // (what ../shared/golden expects) so output never depends on the buffer.
            y[i].d = 0;
            std::memset(y[i].qs, 0, QK_K);
            std::memset(y[i].bsums, 0, sizeof y[i].bsums);
            x += QK_K;
            continue;
        }
        // -127 rather than -128 keeps every quant in [-127, 127].
        const float iscale = -127.f / max;
        for (int j = 0; j < QK_K; ++j) {
            const int v = nearest_int(iscale * x[j]);
            y[i].qs[j] = int8_t(qmin(127, v));
        }
        for (int j = 0; j < QK_K / 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += y[i].qs[j * 16 + ii];
            y[i].bsums[j] = int16_t(sum);
        }
        y[i].d = 1 / iscale;
        x += QK_K;
    }
}

void dequantize_row_q8_K_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        for (int j = 0; j < QK_K; ++j) *y++ = x[i].d * float(x[i].qs[j]);
    }
}

// ---------------------------------------------------------------- dot products
// All follow ggml_vec_dot_<t>_q8_K_generic: exact integer sums per block, one
// float multiply-add per block (Q2_K) or per 8 lanes (the others), summed in
// ggml's order so results match ggml's scalar build to the last bit.

float vec_dot_q2_K_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q2_K*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    float sumf = 0;
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q2 = x[i].qs;
        const int8_t* q8 = y[i].qs;
        const uint8_t* sc = x[i].scales;
        int summs = 0;
        for (int j = 0; j < 16; ++j) summs += y[i].bsums[j] * (sc[j] >> 4);
        const float dall = y[i].d * fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
        int isum = 0;
        int is = 0;
        for (int kk = 0; kk < QK_K / 128; ++kk) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                int d = sc[is++] & 0xF;
                int isuml = 0;
                for (int l = 0; l < 16; ++l) isuml += q8[l] * ((q2[l] >> shift) & 3);
                isum += d * isuml;
                d = sc[is++] & 0xF;
                isuml = 0;
                for (int l = 16; l < 32; ++l) isuml += q8[l] * ((q2[l] >> shift) & 3);
                isum += d * isuml;
                shift += 2;
                q8 += 32;
            }
            q2 += 32;
        }
        sumf += dall * float(isum) - dmin * float(summs);
    }
    return sumf;
}

namespace {

// The 8-lane accumulation ggml's generic Q3_K..Q6_K dots share: a[] holds the
// 256 signed weight quants, scale(j) the integer scale of 16-value group j
// (for Q4_K/Q5_K groups 2j and 2j+1 share one 32-value scale).
template <typename ScaleFn>
void accumulate_8_lanes(const int8_t* a, const int8_t* q8, ScaleFn scale, int32_t aux32[8]) {
    int16_t aux16[8];
    for (int l = 0; l < 8; ++l) aux32[l] = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
        const int32_t s = scale(j);
        for (int half = 0; half < 2; ++half) {
            for (int l = 0; l < 8; ++l) aux16[l] = int16_t(q8[l] * a[l]);
            for (int l = 0; l < 8; ++l) aux32[l] += s * aux16[l];
            q8 += 8;
            a += 8;
        }
    }
}

// Unpacks Q4_K/Q5_K's 12 scale bytes into 8 scales and 8 mins (6 bits each).
void unpack_k4_scales(const uint8_t* packed, uint8_t scales[8], uint8_t mins[8]) {
    for (int j = 0; j < 8; ++j) get_scale_min_k4(j, packed, &scales[j], &mins[j]);
}

}  // namespace

float vec_dot_q3_K_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q3_K*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    int8_t aux8[QK_K];
    int32_t aux32[8];
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q3 = x[i].qs;
        const uint8_t* hm = x[i].hmask;
        int8_t* a = aux8;
        uint8_t m = 1;
        for (int j = 0; j < QK_K; j += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int l = 0; l < 32; ++l) a[l] = int8_t(((q3[l] >> shift) & 3) - (hm[l] & m ? 0 : 4));
                a += 32;
                m = uint8_t(m << 1);
            }
            q3 += 32;
        }
        int8_t sc[QK_K / 16];
        for (int j = 0; j < QK_K / 16; ++j) sc[j] = unpack_q3_scale(x[i].scales, j);
        accumulate_8_lanes(aux8, y[i].qs, [&](int j) { return int32_t(sc[j]); }, aux32);
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * float(aux32[l]);
    }
    float sumf = 0;
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    return sumf;
}

float vec_dot_q4_K_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q4_K*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    int8_t aux8[QK_K];
    int32_t aux32[8];
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float sumf = 0;
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q4 = x[i].qs;
        int8_t* a = aux8;
        for (int j = 0; j < QK_K / 64; ++j) {
            for (int l = 0; l < 32; ++l) a[l] = int8_t(q4[l] & 0xF);
            a += 32;
            for (int l = 0; l < 32; ++l) a[l] = int8_t(q4[l] >> 4);
            a += 32;
            q4 += 32;
        }
        uint8_t scales[8], mins[8];
        unpack_k4_scales(x[i].scales, scales, mins);
        int sumi = 0;
        for (int j = 0; j < QK_K / 16; ++j) sumi += y[i].bsums[j] * mins[j / 2];
        accumulate_8_lanes(aux8, y[i].qs, [&](int j) { return int32_t(scales[j / 2]); }, aux32);
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * float(aux32[l]);
        const float dmin = fp16_to_fp32(x[i].dmin) * y[i].d;
        sumf -= dmin * float(sumi);
    }
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    return sumf;
}

float vec_dot_q5_K_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q5_K*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    int8_t aux8[QK_K];
    int32_t aux32[8];
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float sumf = 0;
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q4 = x[i].qs;
        const uint8_t* hm = x[i].qh;
        int8_t* a = aux8;
        uint8_t m = 1;
        for (int j = 0; j < QK_K / 64; ++j) {
            for (int l = 0; l < 32; ++l) a[l] = int8_t((q4[l] & 0xF) + (hm[l] & m ? 16 : 0));
            a += 32;
            m = uint8_t(m << 1);
            for (int l = 0; l < 32; ++l) a[l] = int8_t((q4[l] >> 4) + (hm[l] & m ? 16 : 0));
            a += 32;
            m = uint8_t(m << 1);
            q4 += 32;
        }
        uint8_t scales[8], mins[8];
        unpack_k4_scales(x[i].scales, scales, mins);
        int sumi = 0;
        for (int j = 0; j < QK_K / 16; ++j) sumi += y[i].bsums[j] * mins[j / 2];
        accumulate_8_lanes(aux8, y[i].qs, [&](int j) { return int32_t(scales[j / 2]); }, aux32);
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * float(aux32[l]);
        const float dmin = fp16_to_fp32(x[i].dmin) * y[i].d;
        sumf -= dmin * float(sumi);
    }
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    return sumf;
}

float vec_dot_q6_K_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q6_K*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    int8_t aux8[QK_K];
    int32_t aux32[8];
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q4 = x[i].ql;
        const uint8_t* qh = x[i].qh;
        int8_t* a = aux8;
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                a[l + 0] = int8_t(((q4[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                a[l + 32] = int8_t(((q4[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                a[l + 64] = int8_t(((q4[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                a[l + 96] = int8_t(((q4[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
            a += 128;
            q4 += 64;
            qh += 32;
        }
        const int8_t* sc = x[i].scales;
        accumulate_8_lanes(aux8, y[i].qs, [&](int j) { return int32_t(sc[j]); }, aux32);
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * float(aux32[l]);
    }
    float sumf = 0;
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    return sumf;
}

}  // namespace quantlab
