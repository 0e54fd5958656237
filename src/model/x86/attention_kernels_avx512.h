// AVX-512 twin of the SIMD128 f16 value accumulation (model/attention_kernels.cpp):
// the same per-lane operations sixteen lanes at a time, so the same floats.
// Only call it when x86::has_avx512vnni() (which includes AVX-512 F/BW/VL).
#pragma once

#include <cstdint>

namespace quantlab::x86 {

// accumulate_values_f16 for the first (d / 16) * 16 columns; returns how many
// columns it did.
int64_t accumulate_values_f16_avx512(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs,
                                     int64_t n, int64_t d);

}  // namespace quantlab::x86
