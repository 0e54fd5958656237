// Scalar reference kernels of MXFP4. Source of the algorithms:
// ggml/src/ggml-quants.c (quantize_row_mxfp4_ref, best_index_mxfp4,
// dequantize_row_mxfp4) and ggml/src/ggml-cpu/quants.c
// (ggml_vec_dot_mxfp4_q8_0_generic). The scale exponent comes from
// formats/mxfp4_tables.h, which reproduces ggml's floorf(log2f(...)) exactly.
#include "formats/ref/mxfp4_ref.h"

#include <cmath>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/mxfp4_tables.h"
#include "formats/ref/nibble_table_dot.h"

namespace quantlab {

namespace {

// The code whose value (doubled e2m1 times the half scale) is nearest to x;
// the first of equal candidates wins (codes 0 and 8 are both zero).
int best_index_mxfp4(float x, float half_scale) {
    int best = 0;
    float best_err = std::fabs(float(kMxfp4Values[0]) * half_scale - x);
    for (int i = 1; i < 16; ++i) {
        const float err = std::fabs(float(kMxfp4Values[i]) * half_scale - x);
        if (err < best_err) {
            best = i;
            best_err = err;
        }
    }
    return best;
}

}  // namespace

void quantize_row_mxfp4_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_mxfp4*>(vy);
    for (int64_t i = 0; i < k / QK_MXFP4; ++i, x += QK_MXFP4) {
        float amax = 0.0f;
        for (int j = 0; j < QK_MXFP4; ++j) {
            if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
        }
        y[i].e = mxfp4_scale_exponent(amax);
        const float d = mxfp4_scale_half(y[i].e);
        for (int j = 0; j < QK_MXFP4 / 2; ++j) {
            y[i].qs[j] = uint8_t(best_index_mxfp4(x[j], d) | (best_index_mxfp4(x[j + QK_MXFP4 / 2], d) << 4));
        }
    }
}

void dequantize_row_mxfp4_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_mxfp4*>(vx);
    for (int64_t i = 0; i < k / QK_MXFP4; ++i, y += QK_MXFP4) {
        const float d = mxfp4_scale_half(x[i].e);
        for (int j = 0; j < QK_MXFP4 / 2; ++j) {
            y[j] = float(kMxfp4Values[x[i].qs[j] & 0x0f]) * d;
            y[j + QK_MXFP4 / 2] = float(kMxfp4Values[x[i].qs[j] >> 4]) * d;
        }
    }
}

float vec_dot_mxfp4_q8_0_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_mxfp4*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / QK_MXFP4; ++i) {
        const float d = fp16_to_fp32(y[i].d) * mxfp4_scale_half(x[i].e);
        sumf += d * float(nibble_table_dot32(x[i].qs, kMxfp4Values, y[i].qs));
    }
    return sumf;
}

}  // namespace quantlab
