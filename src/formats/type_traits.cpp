// The traits table. Rows are in ggml id order; a null SIMD128 entry means the
// reference kernel is used for that operation on every target.
#include "formats/type_traits.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "formats/block_types.h"
#include "formats/ref/float_formats_ref.h"
#include "formats/ref/iq_quants_ref.h"
#include "formats/ref/k_quants_ref.h"
#include "formats/ref/legacy_quants_ref.h"
#if QUANTLAB_SIMD128
#include "formats/simd128/float_formats_simd128.h"
#include "formats/simd128/iq_quants_simd128.h"
#include "formats/simd128/k_quants_simd128.h"
#include "formats/simd128/legacy_quants_simd128.h"
#define SIMD128(fn) fn
#else
#define SIMD128(fn) nullptr
#endif

namespace quantlab {

namespace {

std::vector<TypeTraits> build_table() {
    using T = GgmlType;
    return {
        {"f32", T::F32, 1, 4, false, T::F32, false,
         {quantize_row_f32_ref, quantize_f32_ref, dequantize_row_f32_ref, vec_dot_f32_f32_ref},
         {}},
        {"f16", T::F16, 1, 2, false, T::F16, false,
         {quantize_row_f16_ref, quantize_f16_ref, dequantize_row_f16_ref, vec_dot_f16_f16_ref},
         {}},
        {"q8_0", T::Q8_0, QK8_0, sizeof(block_q8_0), true, T::Q8_0, false,
         {quantize_row_q8_0_ref, quantize_q8_0_ref, dequantize_row_q8_0_ref, vec_dot_q8_0_q8_0_ref},
         {SIMD128(quantize_row_q8_0_simd128), SIMD128(quantize_q8_0_simd128),
          SIMD128(dequantize_row_q8_0_simd128), SIMD128(vec_dot_q8_0_q8_0_simd128)}},
        {"bf16", T::BF16, 1, 2, false, T::BF16, false,
         {quantize_row_bf16_ref, quantize_bf16_ref, dequantize_row_bf16_ref, vec_dot_bf16_bf16_ref},
         {}},
        // ---- rows of the 32-value legacy formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_1)
        // ---- rows of the K-quants (Q2_K .. Q6_K, Q8_K)
        // ---- rows of the non-linear formats (IQ4_NL, IQ4_XS)
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

KernelSet resolve_kernels(const TypeTraits& t, KernelVariant v) {
    KernelSet k = t.ref;
    if (v == KernelVariant::Simd128) {
        if (t.simd128.quantize_row) k.quantize_row = t.simd128.quantize_row;
        if (t.simd128.quantize) k.quantize = t.simd128.quantize;
        if (t.simd128.dequantize_row) k.dequantize_row = t.simd128.dequantize_row;
        if (t.simd128.vec_dot) k.vec_dot = t.simd128.vec_dot;
    }
    return k;
}

size_t row_size(const TypeTraits& t, int64_t n_per_row) {
    return size_t(n_per_row / t.block_size) * t.type_size;
}

}  // namespace quantlab
