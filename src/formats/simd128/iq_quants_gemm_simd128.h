// Matrix product of IQ4_XS with Q8_K activations: the GemmFn contract of
// formats/kernel_types.h, equal bit for bit to vec_dot_iq4_xs_q8_K_simd128.
// (IQ4_NL shares the 32-value block shape of the legacy formats and lives
// in legacy_quants_gemm_simd128.h.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

void gemm_iq4_xs_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

}  // namespace quantlab
