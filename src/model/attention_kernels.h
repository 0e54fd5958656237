// Inner loops of attention, scalar and SIMD128. Values in the KV cache are
// already rounded to f16 precision (llama.cpp caches K and V as f16) but kept
// as float so no conversion sits in the O(n^2) loop.
#pragma once

#include <cstdint>

#include "formats/type_traits.h"

namespace quantlab {

// Round every value to the nearest f16-representable float (ties to even),
// exactly as fp16_to_fp32(fp32_to_fp16(x)).
void round_to_f16(float* x, int64_t n, KernelVariant v);

float dot_f32(const float* a, const float* b, int64_t n, KernelVariant v);

// acc = round_f16(acc * scale)        (the online-softmax rescale)
void scale_round_f16(float* acc, float scale, int64_t n, KernelVariant v);

// acc = round_f16(acc + x * w)        (f16 accumulation of a value row)
void axpy_round_f16(float* acc, const float* x, float w, int64_t n, KernelVariant v);

}  // namespace quantlab
