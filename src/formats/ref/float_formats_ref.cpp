#include "formats/ref/float_formats_ref.h"

#include <cstring>

#include "core/half.h"
#include "formats/kernel_types.h"

namespace quantlab {

void quantize_row_f32_ref(const float* x, void* y, int64_t k) {
    std::memcpy(y, x, size_t(k) * sizeof(float));
}

void dequantize_row_f32_ref(const void* x, float* y, int64_t k) {
    std::memcpy(y, x, size_t(k) * sizeof(float));
}

// Float dot products accumulate in double, as ggml's scalar ggml_vec_dot_f16 does.
float vec_dot_f32_f32_ref(int64_t n, const void* x, const void* y) {
    const auto* a = static_cast<const float*>(x);
    const auto* b = static_cast<const float*>(y);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(a[i]) * double(b[i]);
    return float(sum);
}

void quantize_row_f16_ref(const float* x, void* y, int64_t k) {
    auto* out = static_cast<ggml_half*>(y);
    for (int64_t i = 0; i < k; ++i) out[i] = fp32_to_fp16(x[i]);
}

void dequantize_row_f16_ref(const void* x, float* y, int64_t k) {
    const auto* in = static_cast<const ggml_half*>(x);
    for (int64_t i = 0; i < k; ++i) y[i] = fp16_to_fp32(in[i]);
}

float vec_dot_f16_f16_ref(int64_t n, const void* x, const void* y) {
    const auto* a = static_cast<const ggml_half*>(x);
    const auto* b = static_cast<const ggml_half*>(y);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(fp16_to_fp32(a[i])) * double(fp16_to_fp32(b[i]));
    return float(sum);
}

void quantize_row_bf16_ref(const float* x, void* y, int64_t k) {
    auto* out = static_cast<ggml_bf16*>(y);
    for (int64_t i = 0; i < k; ++i) out[i] = fp32_to_bf16(x[i]);
}

void dequantize_row_bf16_ref(const void* x, float* y, int64_t k) {
    const auto* in = static_cast<const ggml_bf16*>(x);
    for (int64_t i = 0; i < k; ++i) y[i] = bf16_to_fp32(in[i]);
}

float vec_dot_bf16_bf16_ref(int64_t n, const void* x, const void* y) {
    const auto* a = static_cast<const ggml_bf16*>(x);
    const auto* b = static_cast<const ggml_bf16*>(y);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(bf16_to_fp32(a[i])) * double(bf16_to_fp32(b[i]));
    return float(sum);
}

size_t quantize_f32_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    return quantize_rows_with(quantize_row_f32_ref, size_t(n_per_row) * 4, src, dst, nrows, n_per_row);
}

size_t quantize_f16_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    return quantize_rows_with(quantize_row_f16_ref, size_t(n_per_row) * 2, src, dst, nrows, n_per_row);
}

size_t quantize_bf16_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    return quantize_rows_with(quantize_row_bf16_ref, size_t(n_per_row) * 2, src, dst, nrows, n_per_row);
}

}  // namespace quantlab
