// Scalar reference kernels of IQ3_XXS and IQ3_S. Sources of the algorithms:
// ggml/src/ggml-quants.c (quantize_iq3_xxs, quantize_row_iq3_xxs_ref,
// quantize_iq3_s, quantize_row_iq3_s_ref, dequantize_row_iq3_xxs,
// dequantize_row_iq3_s) and ggml/src/ggml-cpu/quants.c
// (ggml_vec_dot_iq3_xxs_q8_K_generic, ggml_vec_dot_iq3_s_q8_K_generic).
#include "formats/ref/iq3_quants_ref.h"

#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/ref/iq3_quantize.h"

namespace quantlab {

namespace {

// IQ3_S grid index of group l (0..7) of a 32-value group: 8 bits in qs, the
// 9th is bit l of the group's qh byte.
inline int iq3s_index(const uint8_t* qs, uint8_t qh, int l) { return qs[l] | ((qh << (8 - l)) & 256); }

}  // namespace

// ---------------------------------------------------------------- IQ3_XXS
size_t quantize_iq3_xxs_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq3_rows<Iq3xxsWriter>(src, dst, nrows, n_per_row, imatrix, iq3_search_group_ref);
}

void quantize_row_iq3_xxs_ref(const float* x, void* y, int64_t k) { quantize_iq3_xxs_ref(x, y, 1, k, nullptr); }

void dequantize_row_iq3_xxs_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq3_xxs*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t* qs = x[i].qs;
        const uint8_t* signs_scales = x[i].qs + QK_K / 4;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            uint32_t aux;
            std::memcpy(&aux, signs_scales + 4 * ib, 4);
            const float db = d * (0.5f + float(aux >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l) {
                const uint8_t signs = kIq2xsSigns[(aux >> 7 * l) & 127];
                const uint32_t g1 = kIq3xxsGrid[qs[2 * l]], g2 = kIq3xxsGrid[qs[2 * l + 1]];
                for (int j = 0; j < 4; ++j) {
                    y[j] = db * float(uint8_t(g1 >> 8 * j)) * (signs & kIq2xsMask[j] ? -1.f : 1.f);
                    y[j + 4] = db * float(uint8_t(g2 >> 8 * j)) * (signs & kIq2xsMask[j + 4] ? -1.f : 1.f);
                }
                y += 8;
            }
            qs += 8;
        }
    }
}

float vec_dot_iq3_xxs_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_iq3_xxs*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0.f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        const uint8_t* q3 = x[i].qs;
        const uint8_t* signs_scales = x[i].qs + QK_K / 4;
        const int8_t* q8 = y[i].qs;
        int32_t bsum = 0;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            uint32_t aux;
            std::memcpy(&aux, signs_scales + 4 * ib, 4);
            const int32_t ls = int32_t(2 * (aux >> 28) + 1);
            int32_t sumi = 0;
            for (int l = 0; l < 4; ++l) {
                const uint32_t g1 = kIq3xxsGrid[q3[2 * l]], g2 = kIq3xxsGrid[q3[2 * l + 1]];
                const uint8_t signs = kIq2xsSigns[(aux >> 7 * l) & 127];
                for (int j = 0; j < 4; ++j) {
                    sumi += int32_t(uint8_t(g1 >> 8 * j)) * q8[j] * (signs & kIq2xsMask[j] ? -1 : 1);
                    sumi += int32_t(uint8_t(g2 >> 8 * j)) * q8[j + 4] * (signs & kIq2xsMask[j + 4] ? -1 : 1);
                }
                q8 += 8;
            }
            q3 += 8;
            bsum += sumi * ls;
        }
        sumf += d * float(bsum);
    }
    return 0.25f * sumf;
}

// ---------------------------------------------------------------- IQ3_S
size_t quantize_iq3_s_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_iq3_rows<Iq3sWriter>(src, dst, nrows, n_per_row, imatrix, iq3_search_group_ref);
}

void quantize_row_iq3_s_ref(const float* x, void* y, int64_t k) { quantize_iq3_s_ref(x, y, 1, k, nullptr); }

void dequantize_row_iq3_s_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq3_s*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t* qs = x[i].qs;
        const uint8_t* signs = x[i].signs;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = (x[i].scales[ib / 2] >> 4 * (ib % 2)) & 0xf;
            const float db = d * float(1 + 2 * ls);
            for (int l = 0; l < 4; ++l) {
                const uint32_t g1 = kIq3sGrid[iq3s_index(qs, x[i].qh[ib], 2 * l)];
                const uint32_t g2 = kIq3sGrid[iq3s_index(qs, x[i].qh[ib], 2 * l + 1)];
                for (int j = 0; j < 4; ++j) {
                    y[j] = db * float(uint8_t(g1 >> 8 * j)) * (signs[l] & kIq2xsMask[j] ? -1.f : 1.f);
                    y[j + 4] = db * float(uint8_t(g2 >> 8 * j)) * (signs[l] & kIq2xsMask[j + 4] ? -1.f : 1.f);
                }
                y += 8;
            }
            qs += 8;
            signs += 4;
        }
    }
}

float vec_dot_iq3_s_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_iq3_s*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0.f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        const uint8_t* qs = x[i].qs;
        const uint8_t* signs = x[i].signs;
        const int8_t* q8 = y[i].qs;
        int32_t bsum = 0;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int32_t ls = 2 * ((x[i].scales[ib / 2] >> 4 * (ib % 2)) & 0xf) + 1;
            int32_t sumi = 0;
            for (int l = 0; l < 4; ++l) {
                const uint32_t g1 = kIq3sGrid[iq3s_index(qs, x[i].qh[ib], 2 * l)];
                const uint32_t g2 = kIq3sGrid[iq3s_index(qs, x[i].qh[ib], 2 * l + 1)];
                for (int j = 0; j < 4; ++j) {
                    sumi += int32_t(uint8_t(g1 >> 8 * j)) * q8[j] * (signs[l] & kIq2xsMask[j] ? -1 : 1);
                    sumi += int32_t(uint8_t(g2 >> 8 * j)) * q8[j + 4] * (signs[l] & kIq2xsMask[j + 4] ? -1 : 1);
                }
                q8 += 8;
            }
            qs += 8;
            signs += 4;
            bsum += sumi * ls;
        }
        sumf += d * float(bsum);
    }
    return sumf;
}

}  // namespace quantlab
