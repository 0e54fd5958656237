// SIMD128 twins of the kernels in formats/ref/float_formats_ref.h: same contract
// (identical bytes / floats; dot products within 1e-5 relative).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

}  // namespace quantlab
