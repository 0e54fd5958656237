// All format kernel bodies of one x86 level, for its translation unit
// (kernels_<level>.cpp) to include after its vector backend: the level's
// table is level_kernels<V>().
#pragma once

#include "formats/x86/iq_quants_gemm_body.h"
#include "formats/x86/legacy_quants_gemm_body.h"
#include "formats/x86/quantize_activations_body.h"
#include "formats/x86/superblock_gemm_body.h"

namespace quantlab::x86 {
namespace {

template <class V>
GemmFn gemm_for(GgmlType t) {
    if (GemmFn g = legacy_quants_gemm<V>(t)) return g;
    if (GemmFn g = superblock_gemm<V>(t)) return g;
    return iq_quants_gemm<V>(t);
}

template <class V>
constexpr LevelKernels level_kernels() {
    return {gemm_for<V>, activation_quantizer<V>};
}

}  // namespace
}  // namespace quantlab::x86
