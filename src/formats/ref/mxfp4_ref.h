// Reference (scalar) kernels of MXFP4: 32 e2m1 values (kMxfp4Values) under a
// shared E8M0 power-of-two scale; pairs with Q8_0 activations.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

// ggml ignores an importance matrix for MXFP4: the chunk path is this row quantizer.
void quantize_row_mxfp4_ref(const float* x, void* y, int64_t k);
void dequantize_row_mxfp4_ref(const void* x, float* y, int64_t k);
float vec_dot_mxfp4_q8_0_ref(int64_t n, const void* x, const void* y);

}  // namespace quantlab
