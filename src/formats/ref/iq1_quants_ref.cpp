// Scalar reference kernels of IQ1_S and IQ1_M.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_iq1_s_impl,
// quantize_row_iq1_m_impl as of llama.cpp de3ff815, iq1_find_best_neighbour2,
// quantize_iq1_s/_m, dequantize_row_iq1_s/_m) and ggml/src/ggml-cpu/quants.c
// (ggml_vec_dot_iq1_s_q8_K_generic, ggml_vec_dot_iq1_m_q8_K_generic). The
// grid is ggml's iq1s_grid (formats/iq_grids.h), the search maps those of
// iq2xs_init_impl (formats/iq_lattice.h).
//
// How the quantizers work (formats/ref/iq1_search.h has the driver): each
// group of 32 (IQ1_S) or 16 (IQ1_M) values is sorted; with only three levels
// per value, every pair of boundaries splitting the sorted values into levels
// 0 / 1 / 2 is tried, with the group's delta +1/8 or -1/8 (IQ1_M: chosen per
// 8 values), and the best weighted least-squares fit wins. Each 8 levels then
// snap to the 2048-point grid (or its nearest listed neighbour), and the
// group scales are coded in 3 bits against the super-block's fp16 scale.
#include "formats/ref/iq1_quants_ref.h"

#include "core/error.h"
#include "formats/ref/iq1_search.h"
#include "formats/type_traits.h"  // imatrix_required_message

namespace quantlab {

using namespace iq1;

size_t quantize_iq1_s_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) throw Error(ErrorCode::InvalidArgument, imatrix_required_message("iq1_s"));
    return quantize_rows<block_iq1_s>(src, dst, nrows, n_per_row, imatrix, quantize_row_iq1_s<RefSteps>);
}

size_t quantize_iq1_m_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_rows<block_iq1_m>(src, dst, nrows, n_per_row, imatrix, quantize_row_iq1_m<RefSteps>);
}

void dequantize_row_iq1_s_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq1_s*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t* qs = x[i].qs;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const uint16_t qh = x[i].qh[ib];
            const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
            const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
            for (int l = 0; l < 4; ++l) {
                const uint64_t g = kIq1sGrid[qs[l] | (((qh >> (3 * l)) & 7) << 8)];
                for (int j = 0; j < 8; ++j) y[j] = dl * (float(int8_t(g >> (8 * j))) + delta);
                y += 8;
            }
            qs += 4;
        }
    }
}

void dequantize_row_iq1_m_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq1_m*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = iq1m_scale(x[i]);
        uint16_t sc[4];
        std::memcpy(sc, x[i].scales, sizeof sc);
        const uint8_t* qs = x[i].qs;
        const uint8_t* qh = x[i].qh;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            // Two 3-bit scales per 32 values: the first 16 and the last 16.
            const float dl[2] = {d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1),
                                 d * float(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1)};
            for (int l = 0; l < 4; ++l) {
                // Group l: 8 index bits in qs, 3 more and the delta's sign in a nibble of qh.
                const int nib = qh[l / 2] >> (4 * (l % 2));
                const uint64_t g = kIq1sGrid[qs[l] | ((nib & 7) << 8)];
                const float delta = nib & 8 ? -kIq1Delta : kIq1Delta;
                for (int j = 0; j < 8; ++j) y[j] = dl[l / 2] * (float(int8_t(g >> (8 * j))) + delta);
                y += 8;
            }
            qs += 4;
            qh += 2;
        }
    }
}

float vec_dot_iq1_s_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_iq1_s*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const int8_t* q8 = y[i].qs;
        const uint8_t* qs = x[i].qs;
        int sumi = 0, sumi1 = 0;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const uint16_t qh = x[i].qh[ib];
            const int ls = 2 * ((qh >> 12) & 7) + 1;
            const int delta = qh & 0x8000 ? -1 : 1;
            int lsum = 0;
            for (int l = 0; l < 4; ++l) {
                const uint64_t g = kIq1sGrid[qs[l] | (((qh >> (3 * l)) & 7) << 8)];
                for (int j = 0; j < 8; ++j) lsum += q8[j] * int8_t(g >> (8 * j));
                q8 += 8;
            }
            sumi += ls * lsum;
            sumi1 += ls * delta * (y[i].bsums[2 * ib] + y[i].bsums[2 * ib + 1]);
            qs += 4;
        }
        sumf += fp16_to_fp32(x[i].d) * y[i].d * (float(sumi) + kIq1Delta * float(sumi1));
    }
    return sumf;
}

float vec_dot_iq1_m_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_iq1_m*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const int8_t* q8 = y[i].qs;
        const uint8_t* qs = x[i].qs;
        const uint8_t* qh = x[i].qh;
        uint16_t sc[4];
        std::memcpy(sc, x[i].scales, sizeof sc);
        int sumi1 = 0, sumi2 = 0;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            int sum1[2] = {0, 0}, sum2[2] = {0, 0};
            for (int l = 0; l < 4; ++l) {
                const int nib = qh[l / 2] >> (4 * (l % 2));
                const uint64_t g = kIq1sGrid[qs[l] | ((nib & 7) << 8)];
                const int delta = nib & 8 ? -1 : 1;
                int lsum1 = 0, lsum2 = 0;
                for (int j = 0; j < 8; ++j) {
                    lsum1 += q8[j] * int8_t(g >> (8 * j));
                    lsum2 += q8[j];
                }
                q8 += 8;
                sum1[l / 2] += lsum1;
                sum2[l / 2] += lsum2 * delta;
            }
            const int ls1 = 2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1;
            const int ls2 = 2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1;
            sumi1 += sum1[0] * ls1 + sum1[1] * ls2;
            sumi2 += sum2[0] * ls1 + sum2[1] * ls2;
            qs += 4;
            qh += 2;
        }
        sumf += iq1m_scale(x[i]) * y[i].d * (float(sumi1) + kIq1Delta * float(sumi2));
    }
    return sumf;
}

}  // namespace quantlab
