// AVX-512 twins of attention kernels (model/attention_kernels.cpp): the same
// per-lane operations sixteen lanes at a time, so the same floats.
// Only call it when x86::has_avx512vnni() (which includes AVX-512 F/BW/VL).
#pragma once

#include <cstdint>

namespace quantlab::x86 {

// accumulate_values_f16 for the first (d / 16) * 16 columns; returns how many
// columns it did.
int64_t accumulate_values_f16_avx512(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs,
                                     int64_t n, int64_t d);

// dot_f32_keys (model/attention_kernels.h) for d a multiple of 32: the four
// queries' chunks interleaved in one register meet each key chunk once, with
// dot_f32's SIMD128 accumulation (two 4-lane accumulators, 8 values a step,
// (v0 + v2) + (v1 + v3) at the end) in each 128-bit lane.
void dot_f32_keys_avx512(const float* K, int64_t k_stride, int64_t n_keys, const float* const* q, int nq, int64_t d,
                         float* scores);

}  // namespace quantlab::x86
