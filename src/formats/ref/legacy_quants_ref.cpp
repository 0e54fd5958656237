// Scalar reference kernels of the 32-value block formats.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_*_ref,
// dequantize_row_*) and ggml-cpu/quants.c (ggml_vec_dot_*_generic).
#include "formats/ref/legacy_quants_ref.h"

#include <cmath>

#include "formats/block_types.h"
#include "formats/kernel_types.h"

namespace quantlab {

// ---------------------------------------------------------------- Q8_0
// d = max|x| / 127; q = round-half-away(x / d).
void quantize_row_q8_0_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_0*>(vy);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK8_0;
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; ++j) y[i].qs[j] = int8_t(std::round(xb[j] * id));
    }
}

size_t quantize_q8_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    // ggml has no imatrix variant of Q8_0: every row goes through the reference quantizer.
    const size_t row_bytes = size_t(n_per_row / QK8_0) * sizeof(block_q8_0);
    return quantize_rows_with(quantize_row_q8_0_ref, row_bytes, src, dst, nrows, n_per_row);
}

void dequantize_row_q8_0_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_0*>(vx);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK8_0; ++j) y[i * QK8_0 + j] = float(x[i].qs[j]) * d;
    }
}

float vec_dot_q8_0_q8_0_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q8_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    float sum = 0.0f;
    for (int64_t i = 0; i < nb; ++i) {
        int32_t sumi = 0;
        for (int j = 0; j < QK8_0; ++j) sumi += int32_t(x[i].qs[j]) * int32_t(y[i].qs[j]);
        sum += float(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
    }
    return sum;
}

}  // namespace quantlab
