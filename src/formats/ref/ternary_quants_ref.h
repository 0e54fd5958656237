// Reference (scalar) kernels of the ternary formats TQ1_0 and TQ2_0 (values
// -1, 0, +1 times a per-256 scale; BitNet b1.58 and TriLM weights).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void quantize_row_tq1_0_ref(const float* x, void* y, int64_t k);
void quantize_row_tq2_0_ref(const float* x, void* y, int64_t k);


void dequantize_row_tq1_0_ref(const void* x, float* y, int64_t k);
void dequantize_row_tq2_0_ref(const void* x, float* y, int64_t k);

float vec_dot_tq1_0_q8_K_ref(int64_t n, const void* x, const void* y);
float vec_dot_tq2_0_q8_K_ref(int64_t n, const void* x, const void* y);

// The value order shared by every TQ1_0 kernel: byte b of the 48-byte qs and
// trit t (0 = most significant) hold value tq1_0_qs_value(b, t); byte j of
// qh and trit t hold value 240 + j + 4 * t (ggml-quants.c layout).
constexpr int tq1_0_qs_value(int b, int t) { return b < 32 ? b + 32 * t : 160 + (b - 32) + 16 * t; }

}  // namespace quantlab
