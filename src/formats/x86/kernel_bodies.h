// All format kernel bodies of one x86 level, for its translation unit
// (kernels_<level>.cpp) to include after its vector backend: the level's
// table is level_kernels<V>().
#pragma once

#include "formats/x86/iq_quants_gemm_body.h"
#include "formats/x86/legacy_quants_gemm_body.h"
#include "formats/x86/quantize_activations_body.h"
#include "formats/x86/superblock_gemm_body.h"
#include "formats/x86/ternary_quants_gemm_body.h"

namespace quantlab::x86 {
namespace {

template <class V>
GemmFn gemm_for(GgmlType t) {
    if (GemmFn g = legacy_quants_gemm<V>(t)) return g;
    using namespace superblock;
    return superblock_gemm<V, Q2K, Q3K, Q4K, Q5K, Q6K, IQ4XS, IQ1S, IQ1M, IQ2XXS, IQ2XS, IQ2S, IQ3XXS, IQ3S, TQ1, TQ2>(t);
}

template <class V>
constexpr LevelKernels level_kernels() {
    return {gemm_for<V>, activation_quantizer<V>};
}

}  // namespace
}  // namespace quantlab::x86
