// The traits table. Rows are in ggml id order; a null SIMD128 entry means the
// reference kernel is used for that operation on every target.
#include "formats/type_traits.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "formats/block_types.h"
#include "formats/ref/float_formats_ref.h"
#include "formats/ref/iq1_quants_ref.h"
#include "formats/ref/iq2_quants_ref.h"
#include "formats/ref/iq3_quants_ref.h"
#include "formats/ref/iq_quants_ref.h"
#include "formats/ref/k_quants_ref.h"
#include "formats/ref/legacy_quants_ref.h"
#include "formats/ref/mxfp4_ref.h"
#include "formats/ref/ternary_quants_ref.h"
#if QUANTLAB_SIMD128
#include "formats/simd128/float_formats_gemm_simd128.h"
#include "formats/simd128/float_formats_simd128.h"
#include "formats/simd128/iq1_quants_gemm_simd128.h"
#include "formats/simd128/iq1_quants_simd128.h"
#include "formats/simd128/iq2_quants_gemm_simd128.h"
#include "formats/simd128/iq2_quants_simd128.h"
#include "formats/simd128/iq3_quants_gemm_simd128.h"
#include "formats/simd128/iq3_quants_simd128.h"
#include "formats/simd128/iq_quants_gemm_simd128.h"
#include "formats/simd128/iq_quants_simd128.h"
#include "formats/simd128/k_quants_gemm_simd128.h"
#include "formats/simd128/k_quants_simd128.h"
#include "formats/simd128/legacy_quants_gemm_simd128.h"
#include "formats/simd128/legacy_quants_simd128.h"
#include "formats/simd128/mxfp4_simd128.h"
#include "formats/simd128/ternary_quants_gemm_simd128.h"
#include "formats/simd128/ternary_quants_simd128.h"
#define SIMD128(fn) fn
#else
#define SIMD128(fn) nullptr
#endif

#if QUANTLAB_X86_KERNELS
#include "formats/x86/cpu_features.h"
#include "formats/x86/native_gemm.h"
#endif

namespace quantlab {

namespace {

// The chunk quantizer of a 256-value format that ignores an imatrix.
template <QuantizeRowFn Row, class Block>
constexpr QuantizeFn rows_of = quantize_rows_ignoring_imatrix<Row, sizeof(Block), QK_K>;

std::vector<TypeTraits> build_table() {
    using T = GgmlType;
    return {
        {"f32", T::F32, 1, 4, false, T::F32, false,
         {quantize_row_f32_ref, quantize_f32_ref, dequantize_row_f32_ref, vec_dot_f32_f32_ref},
         {nullptr, nullptr, nullptr, SIMD128(vec_dot_f32_f32_simd128), SIMD128(gemm_f32_f32_simd128)}},
        {"f16", T::F16, 1, 2, false, T::F16, false,
         {quantize_row_f16_ref, quantize_f16_ref, dequantize_row_f16_ref, vec_dot_f16_f16_ref},
         {SIMD128(quantize_row_f16_simd128), SIMD128(quantize_f16_simd128), SIMD128(dequantize_row_f16_simd128),
          SIMD128(vec_dot_f16_f16_simd128),
          SIMD128(gemm_f16_f16_simd128)}},
        {"q8_0", T::Q8_0, QK8_0, sizeof(block_q8_0), true, T::Q8_0, false,
         {quantize_row_q8_0_ref, quantize_q8_0_ref, dequantize_row_q8_0_ref, vec_dot_q8_0_q8_0_ref},
         {SIMD128(quantize_row_q8_0_simd128), SIMD128(quantize_q8_0_simd128),
          SIMD128(dequantize_row_q8_0_simd128), SIMD128(vec_dot_q8_0_q8_0_simd128),
          SIMD128(gemm_q8_0_q8_0_simd128)}},
        {"bf16", T::BF16, 1, 2, false, T::BF16, false,
         {quantize_row_bf16_ref, quantize_bf16_ref, dequantize_row_bf16_ref, vec_dot_bf16_bf16_ref},
         {SIMD128(quantize_row_bf16_simd128), SIMD128(quantize_bf16_simd128), SIMD128(dequantize_row_bf16_simd128),
          SIMD128(vec_dot_bf16_bf16_simd128),
          SIMD128(gemm_bf16_bf16_simd128)}},
        // ---- rows of the 32-value legacy formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_1)
        {"q4_0", T::Q4_0, QK4_0, sizeof(block_q4_0), true, T::Q8_0, true,
         {quantize_row_q4_0_ref, quantize_q4_0_ref, dequantize_row_q4_0_ref, vec_dot_q4_0_q8_0_ref},
         {SIMD128(quantize_row_q4_0_simd128), SIMD128(quantize_q4_0_simd128),
          SIMD128(dequantize_row_q4_0_simd128), SIMD128(vec_dot_q4_0_q8_0_simd128),
          SIMD128(gemm_q4_0_q8_0_simd128)}},
        {"q4_1", T::Q4_1, QK4_1, sizeof(block_q4_1), true, T::Q8_1, true,
         {quantize_row_q4_1_ref, quantize_q4_1_ref, dequantize_row_q4_1_ref, vec_dot_q4_1_q8_1_ref},
         {SIMD128(quantize_row_q4_1_simd128), SIMD128(quantize_q4_1_simd128),
          SIMD128(dequantize_row_q4_1_simd128), SIMD128(vec_dot_q4_1_q8_1_simd128),
          SIMD128(gemm_q4_1_q8_1_simd128)}},
        {"q5_0", T::Q5_0, QK5_0, sizeof(block_q5_0), true, T::Q8_0, true,
         {quantize_row_q5_0_ref, quantize_q5_0_ref, dequantize_row_q5_0_ref, vec_dot_q5_0_q8_0_ref},
         {SIMD128(quantize_row_q5_0_simd128), SIMD128(quantize_q5_0_simd128),
          SIMD128(dequantize_row_q5_0_simd128), SIMD128(vec_dot_q5_0_q8_0_simd128),
          SIMD128(gemm_q5_0_q8_0_simd128)}},
        {"q5_1", T::Q5_1, QK5_1, sizeof(block_q5_1), true, T::Q8_1, true,
         {quantize_row_q5_1_ref, quantize_q5_1_ref, dequantize_row_q5_1_ref, vec_dot_q5_1_q8_1_ref},
         {SIMD128(quantize_row_q5_1_simd128), SIMD128(quantize_q5_1_simd128),
          SIMD128(dequantize_row_q5_1_simd128), SIMD128(vec_dot_q5_1_q8_1_simd128),
          SIMD128(gemm_q5_1_q8_1_simd128)}},
        {"q8_1", T::Q8_1, QK8_1, sizeof(block_q8_1), true, T::Q8_1, false,
         {quantize_row_q8_1_ref, quantize_q8_1_ref, dequantize_row_q8_1_ref, nullptr},
         {SIMD128(quantize_row_q8_1_simd128), SIMD128(quantize_q8_1_simd128), SIMD128(dequantize_row_q8_1_simd128),
          nullptr}},
        // ---- rows of the K-quants (Q2_K .. Q6_K, Q8_K)
        {"q2_K", T::Q2_K, QK_K, sizeof(block_q2_K), true, T::Q8_K, true,
         {quantize_row_q2_K_ref, quantize_q2_K_ref, dequantize_row_q2_K_ref, vec_dot_q2_K_q8_K_ref},
         {SIMD128(quantize_row_q2_K_simd128), SIMD128(quantize_q2_K_simd128),
          SIMD128(dequantize_row_q2_K_simd128), SIMD128(vec_dot_q2_K_q8_K_simd128),
          SIMD128(gemm_q2_K_q8_K_simd128)}},
        {"q3_K", T::Q3_K, QK_K, sizeof(block_q3_K), true, T::Q8_K, true,
         {quantize_row_q3_K_ref, quantize_q3_K_ref, dequantize_row_q3_K_ref, vec_dot_q3_K_q8_K_ref},
         {SIMD128(quantize_row_q3_K_simd128), SIMD128(quantize_q3_K_simd128),
          SIMD128(dequantize_row_q3_K_simd128), SIMD128(vec_dot_q3_K_q8_K_simd128),
          SIMD128(gemm_q3_K_q8_K_simd128)}},
        {"q4_K", T::Q4_K, QK_K, sizeof(block_q4_K), true, T::Q8_K, true,
         {quantize_row_q4_K_ref, quantize_q4_K_ref, dequantize_row_q4_K_ref, vec_dot_q4_K_q8_K_ref},
         {SIMD128(quantize_row_q4_K_simd128), SIMD128(quantize_q4_K_simd128),
          SIMD128(dequantize_row_q4_K_simd128), SIMD128(vec_dot_q4_K_q8_K_simd128),
          SIMD128(gemm_q4_K_q8_K_simd128)}},
        {"q5_K", T::Q5_K, QK_K, sizeof(block_q5_K), true, T::Q8_K, true,
         {quantize_row_q5_K_ref, quantize_q5_K_ref, dequantize_row_q5_K_ref, vec_dot_q5_K_q8_K_ref},
         {SIMD128(quantize_row_q5_K_simd128), SIMD128(quantize_q5_K_simd128),
          SIMD128(dequantize_row_q5_K_simd128), SIMD128(vec_dot_q5_K_q8_K_simd128),
          SIMD128(gemm_q5_K_q8_K_simd128)}},
        {"q6_K", T::Q6_K, QK_K, sizeof(block_q6_K), true, T::Q8_K, true,
         {quantize_row_q6_K_ref, quantize_q6_K_ref, dequantize_row_q6_K_ref, vec_dot_q6_K_q8_K_ref},
         {SIMD128(quantize_row_q6_K_simd128), SIMD128(quantize_q6_K_simd128),
          SIMD128(dequantize_row_q6_K_simd128), SIMD128(vec_dot_q6_K_q8_K_simd128),
          SIMD128(gemm_q6_K_q8_K_simd128)}},
        // Q8_K is activation-only: no imatrix path and no dot product of its own.
        {"q8_K", T::Q8_K, QK_K, sizeof(block_q8_K), true, T::Q8_K, false,
         {quantize_row_q8_K_ref,
          [](const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
              return quantize_rows_with(quantize_row_q8_K_ref, size_t(n_per_row / QK_K) * sizeof(block_q8_K), src,
                                        dst, nrows, n_per_row);
          },
          dequantize_row_q8_K_ref, nullptr},
         {SIMD128(quantize_row_q8_K_simd128), SIMD128(quantize_q8_K_simd128), SIMD128(dequantize_row_q8_K_simd128),
          nullptr}},
        // ---- rows of the 1-bit lattice formats (IQ1_S, IQ1_M). ggml has no row
        // quantizer for either; IQ1_S needs an importance matrix.
        {"iq1_s", T::IQ1_S, QK_K, sizeof(block_iq1_s), true, T::Q8_K, true,
         {nullptr, quantize_iq1_s_ref, dequantize_row_iq1_s_ref, vec_dot_iq1_s_q8_K_ref},
         {nullptr, SIMD128(quantize_iq1_s_simd128), SIMD128(dequantize_row_iq1_s_simd128),
          SIMD128(vec_dot_iq1_s_q8_K_simd128), SIMD128(gemm_iq1_s_q8_K_simd128)}},
        {"iq1_m", T::IQ1_M, QK_K, sizeof(block_iq1_m), true, T::Q8_K, true,
         {nullptr, quantize_iq1_m_ref, dequantize_row_iq1_m_ref, vec_dot_iq1_m_q8_K_ref},
         {nullptr, SIMD128(quantize_iq1_m_simd128), SIMD128(dequantize_row_iq1_m_simd128),
          SIMD128(vec_dot_iq1_m_q8_K_simd128), SIMD128(gemm_iq1_m_q8_K_simd128)}},
        // ---- rows of the 2-bit lattice formats (IQ2_XXS, IQ2_XS, IQ2_S). ggml has no
        // row quantizer for IQ2_XXS / IQ2_XS: they need an importance matrix.
        {"iq2_xxs", T::IQ2_XXS, QK_K, sizeof(block_iq2_xxs), true, T::Q8_K, true,
         {nullptr, quantize_iq2_xxs_ref, dequantize_row_iq2_xxs_ref, vec_dot_iq2_xxs_q8_K_ref},
         {nullptr, SIMD128(quantize_iq2_xxs_simd128), SIMD128(dequantize_row_iq2_xxs_simd128),
          SIMD128(vec_dot_iq2_xxs_q8_K_simd128), SIMD128(gemm_iq2_xxs_q8_K_simd128)}},
        {"iq2_xs", T::IQ2_XS, QK_K, sizeof(block_iq2_xs), true, T::Q8_K, true,
         {nullptr, quantize_iq2_xs_ref, dequantize_row_iq2_xs_ref, vec_dot_iq2_xs_q8_K_ref},
         {nullptr, SIMD128(quantize_iq2_xs_simd128), SIMD128(dequantize_row_iq2_xs_simd128),
          SIMD128(vec_dot_iq2_xs_q8_K_simd128), SIMD128(gemm_iq2_xs_q8_K_simd128)}},
        {"iq2_s", T::IQ2_S, QK_K, sizeof(block_iq2_s), true, T::Q8_K, true,
         {quantize_row_iq2_s_ref, quantize_iq2_s_ref, dequantize_row_iq2_s_ref, vec_dot_iq2_s_q8_K_ref},
         {SIMD128(quantize_row_iq2_s_simd128), SIMD128(quantize_iq2_s_simd128), SIMD128(dequantize_row_iq2_s_simd128),
          SIMD128(vec_dot_iq2_s_q8_K_simd128), SIMD128(gemm_iq2_s_q8_K_simd128)}},
        // ---- rows of the non-linear formats (IQ4_NL, IQ4_XS)
        {"iq4_nl", T::IQ4_NL, QK4_NL, sizeof(block_iq4_nl), true, T::Q8_0, true,
         {quantize_row_iq4_nl_ref, quantize_iq4_nl_ref, dequantize_row_iq4_nl_ref, vec_dot_iq4_nl_q8_0_ref},
         {SIMD128(quantize_row_iq4_nl_simd128), SIMD128(quantize_iq4_nl_simd128),
          SIMD128(dequantize_row_iq4_nl_simd128), SIMD128(vec_dot_iq4_nl_q8_0_simd128),
          SIMD128(gemm_iq4_nl_q8_0_simd128)}},
        {"iq4_xs", T::IQ4_XS, QK_K, sizeof(block_iq4_xs), true, T::Q8_K, true,
         {quantize_row_iq4_xs_ref, quantize_iq4_xs_ref, dequantize_row_iq4_xs_ref, vec_dot_iq4_xs_q8_K_ref},
         {SIMD128(quantize_row_iq4_xs_simd128), SIMD128(quantize_iq4_xs_simd128),
          SIMD128(dequantize_row_iq4_xs_simd128), SIMD128(vec_dot_iq4_xs_q8_K_simd128),
          SIMD128(gemm_iq4_xs_q8_K_simd128)}},
        // ---- rows of the 3-bit lattice formats (IQ3_XXS, IQ3_S)
        {"iq3_xxs", T::IQ3_XXS, QK_K, sizeof(block_iq3_xxs), true, T::Q8_K, true,
         {quantize_row_iq3_xxs_ref, quantize_iq3_xxs_ref, dequantize_row_iq3_xxs_ref, vec_dot_iq3_xxs_q8_K_ref},
         {SIMD128(quantize_row_iq3_xxs_simd128), SIMD128(quantize_iq3_xxs_simd128),
          SIMD128(dequantize_row_iq3_xxs_simd128), SIMD128(vec_dot_iq3_xxs_q8_K_simd128),
          SIMD128(gemm_iq3_xxs_q8_K_simd128)}},
        {"iq3_s", T::IQ3_S, QK_K, sizeof(block_iq3_s), true, T::Q8_K, true,
         {quantize_row_iq3_s_ref, quantize_iq3_s_ref, dequantize_row_iq3_s_ref, vec_dot_iq3_s_q8_K_ref},
         {SIMD128(quantize_row_iq3_s_simd128), SIMD128(quantize_iq3_s_simd128),
          SIMD128(dequantize_row_iq3_s_simd128), SIMD128(vec_dot_iq3_s_q8_K_simd128),
          SIMD128(gemm_iq3_s_q8_K_simd128)}},
        // ---- MXFP4: 32 e2m1 values under a power-of-two scale; ggml ignores an imatrix
        {"mxfp4", T::MXFP4, QK_MXFP4, sizeof(block_mxfp4), true, T::Q8_0, false,
         {quantize_row_mxfp4_ref, quantize_rows_ignoring_imatrix<quantize_row_mxfp4_ref, sizeof(block_mxfp4), QK_MXFP4>,
          dequantize_row_mxfp4_ref, vec_dot_mxfp4_q8_0_ref},
         {SIMD128(quantize_row_mxfp4_simd128),
          SIMD128((quantize_rows_ignoring_imatrix<quantize_row_mxfp4_simd128, sizeof(block_mxfp4), QK_MXFP4>)),
          SIMD128(dequantize_row_mxfp4_simd128), SIMD128(vec_dot_mxfp4_q8_0_simd128),
          SIMD128(gemm_mxfp4_q8_0_simd128)}},
        // ---- rows of the ternary formats (TQ1_0, TQ2_0): ggml ignores an imatrix
        {"tq1_0", T::TQ1_0, QK_K, sizeof(block_tq1_0), true, T::Q8_K, false,
         {quantize_row_tq1_0_ref, rows_of<quantize_row_tq1_0_ref, block_tq1_0>, dequantize_row_tq1_0_ref,
          vec_dot_tq1_0_q8_K_ref},
         {SIMD128(quantize_row_tq1_0_simd128), SIMD128((rows_of<quantize_row_tq1_0_simd128, block_tq1_0>)),
          SIMD128(dequantize_row_tq1_0_simd128), SIMD128(vec_dot_tq1_0_q8_K_simd128),
          SIMD128(gemm_tq1_0_q8_K_simd128)}},
        {"tq2_0", T::TQ2_0, QK_K, sizeof(block_tq2_0), true, T::Q8_K, false,
         {quantize_row_tq2_0_ref, rows_of<quantize_row_tq2_0_ref, block_tq2_0>, dequantize_row_tq2_0_ref,
          vec_dot_tq2_0_q8_K_ref},
         {SIMD128(quantize_row_tq2_0_simd128), SIMD128((rows_of<quantize_row_tq2_0_simd128, block_tq2_0>)),
          SIMD128(dequantize_row_tq2_0_simd128), SIMD128(vec_dot_tq2_0_q8_K_simd128),
          SIMD128(gemm_tq2_0_q8_K_simd128)}},
    };
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

}  // namespace

const std::vector<TypeTraits>& all_type_traits() {
    static const std::vector<TypeTraits> table = [] {
        auto t = build_table();
        std::sort(t.begin(), t.end(), [](const TypeTraits& a, const TypeTraits& b) {
            return uint32_t(a.type) < uint32_t(b.type);
        });
        return t;
    }();
    return table;
}

const TypeTraits& type_traits(GgmlType type) {
    for (const auto& t : all_type_traits()) {
        if (t.type == type) return t;
    }
    throw Error(ErrorCode::UnknownType, "unknown or unsupported ggml type id " + std::to_string(uint32_t(type)));
}

const TypeTraits& type_traits_by_name(const std::string& name) {
    const std::string key = lower(name);
    for (const auto& t : all_type_traits()) {
        if (lower(t.name) == key) return t;
    }
    std::string known;
    for (const auto& t : all_type_traits()) known += (known.empty() ? "" : ", ") + std::string(t.name);
    throw Error(ErrorCode::UnknownType, "unknown tensor type '" + name + "' (known: " + known + ")");
}

bool simd128_compiled() { return QUANTLAB_SIMD128 != 0; }

KernelVariant default_kernel_variant() {
    return simd128_compiled() ? KernelVariant::Simd128 : KernelVariant::Ref;
}

const char* kernel_variant_name(KernelVariant v) {
    return v == KernelVariant::Simd128 ? "simd128" : "ref";
}

const char* native_kernel_isa() {
#if QUANTLAB_X86_KERNELS
    return x86::active_gemm_isa();
#else
    return nullptr;
#endif
}

KernelSet resolve_kernels(const TypeTraits& t, KernelVariant v) {
    KernelSet k = t.ref;
    if (v == KernelVariant::Simd128) {
        if (t.simd128.quantize_row) k.quantize_row = t.simd128.quantize_row;
        if (t.simd128.quantize) k.quantize = t.simd128.quantize;
        if (t.simd128.dequantize_row) k.dequantize_row = t.simd128.dequantize_row;
        if (t.simd128.vec_dot) k.vec_dot = t.simd128.vec_dot;
        // A gemm is only valid beside the vec_dot it reproduces.
        if (t.simd128.vec_dot) k.gemm = t.simd128.gemm;
#if QUANTLAB_X86_KERNELS
        // Bit-identical to the SIMD128 gemm, so it may stand in for it.
        if (k.gemm) {
            if (GemmFn native = x86::native_gemm(t.type)) k.gemm = native;
        }
        if (t.simd128.quantize_row) {
            if (QuantizeRowFn native = x86::native_quantize_row(t.type)) k.quantize_row = native;
        }
#endif
    }
    return k;
}

size_t row_size(const TypeTraits& t, int64_t n_per_row) {
    return size_t(n_per_row / t.block_size) * t.type_size;
}

bool quantize_requires_imatrix(GgmlType type) {
    return type == GgmlType::IQ2_XXS || type == GgmlType::IQ2_XS || type == GgmlType::IQ1_S;
}

std::string imatrix_required_message(const char* type_name) {
    return std::string(type_name) +
           " needs an importance matrix: ggml does not quantize it without one. Compute one over a "
           "calibration text with `quantlab imatrix -m model.gguf -f text.txt -o imatrix.gguf` (or llama-imatrix) "
           "and pass it (quantize --imatrix, tensor-quantize --imatrix, the JS option { imatrix })";
}

}  // namespace quantlab
