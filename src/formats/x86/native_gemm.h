// Native x86 replacements for SIMD128 kernels, chosen at run time by the
// kernel level (cpu_features.h). Each is bit-identical to the SIMD128 kernel
// it replaces (tests/formats/test_gemm_x86.cpp, at every level the CPU
// runs), so a model gives the same numbers natively, in Node and in the
// browser, only faster here.
#pragma once

#include "formats/ggml_type.h"
#include "formats/kernel_types.h"
#include "formats/x86/cpu_features.h"

namespace quantlab::x86 {

// One level's kernels (kernels_<level>.cpp): nullptr where it has none.
struct LevelKernels {
    GemmFn (*gemm)(GgmlType weights);
    QuantizeRowFn (*quantize_row)(GgmlType activations);
};
extern const LevelKernels kernels_avx2;
extern const LevelKernels kernels_avxvnni;
extern const LevelKernels kernels_avx512vnni;

// The gemm of a level (the active one by default) for weights of type t, or nullptr.
GemmFn native_gemm(GgmlType t, Level level = active_level());

// The row quantizer of a level for activations of type t, or nullptr.
QuantizeRowFn native_quantize_row(GgmlType t, Level level = active_level());

}  // namespace quantlab::x86
