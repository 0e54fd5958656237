// AVX-512 activation quantizers: the same per-lane operations as the SIMD128
// ones they replace (formats/simd128/legacy_quants_simd128.cpp), sixteen
// lanes at a time, so the same bytes. Only call them when
// x86::has_avx512vnni() (which includes AVX-512 F/BW/VL).
#pragma once

#include <cstdint>

namespace quantlab {

void quantize_row_q8_0_avx512(const float* x, void* y, int64_t k);

}  // namespace quantlab
