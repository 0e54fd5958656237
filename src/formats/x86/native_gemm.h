// Native x86 replacements for SIMD128 gemm kernels, chosen at run time by
// what the CPU supports. Each is bit-identical to the SIMD128 kernel it
// replaces (tests/formats/test_gemm_x86.cpp), so a model gives the same
// numbers natively, in Node and in the browser, only faster here.
#pragma once

#include "formats/ggml_type.h"
#include "formats/kernel_types.h"

namespace quantlab::x86 {

// The fastest native gemm this CPU runs for weights of type t, or nullptr.
GemmFn native_gemm(GgmlType t);

// The native row quantizer of type t (for activations), or nullptr.
QuantizeRowFn native_quantize_row(GgmlType t);

}  // namespace quantlab::x86
