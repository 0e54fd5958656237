#include "formats/x86/native_gemm.h"

#include "formats/x86/cpu_features.h"
#include "formats/x86/legacy_quants_gemm_avx512vnni.h"
#include "formats/x86/quantize_activations_avx512.h"
#include "formats/x86/superblock_gemm_avx512vnni.h"

namespace quantlab::x86 {

GemmFn native_gemm(GgmlType t) {
    if (!has_avx512vnni()) return nullptr;
    switch (t) {
        case GgmlType::Q4_0: return gemm_q4_0_q8_0_avx512vnni;
        case GgmlType::Q5_0: return gemm_q5_0_q8_0_avx512vnni;
        case GgmlType::Q8_0: return gemm_q8_0_q8_0_avx512vnni;
        case GgmlType::IQ4_NL: return gemm_iq4_nl_q8_0_avx512vnni;
        case GgmlType::Q4_1: return gemm_q4_1_q8_1_avx512vnni;
        case GgmlType::Q5_1: return gemm_q5_1_q8_1_avx512vnni;
        case GgmlType::Q2_K: return gemm_q2_K_q8_K_avx512vnni;
        case GgmlType::Q3_K: return gemm_q3_K_q8_K_avx512vnni;
        case GgmlType::Q4_K: return gemm_q4_K_q8_K_avx512vnni;
        case GgmlType::Q5_K: return gemm_q5_K_q8_K_avx512vnni;
        case GgmlType::Q6_K: return gemm_q6_K_q8_K_avx512vnni;
        case GgmlType::IQ4_XS: return gemm_iq4_xs_q8_K_avx512vnni;
        default: return nullptr;
    }
}

QuantizeRowFn native_quantize_row(GgmlType t) {
    if (!has_avx512vnni()) return nullptr;
    return t == GgmlType::Q8_0 ? quantize_row_q8_0_avx512 : nullptr;
}

}  // namespace quantlab::x86
