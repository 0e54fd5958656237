#include "quantize/type_layout.h"

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "formats/block_types.h"
#include "formats/type_traits.h"

namespace quantlab {

namespace {

// The file types' lattice and ternary tensor types, by their block structs.
const TypeLayout* planned_layout_of(GgmlType t) {
    using T = GgmlType;
    static const struct {
        GgmlType type;
        TypeLayout layout;
    } kPlanned[] = {
        {T::IQ2_XXS, {"iq2_xxs", QK_K, sizeof(block_iq2_xxs)}}, {T::IQ2_XS, {"iq2_xs", QK_K, sizeof(block_iq2_xs)}},
        {T::IQ2_S, {"iq2_s", QK_K, sizeof(block_iq2_s)}},       {T::IQ3_XXS, {"iq3_xxs", QK_K, sizeof(block_iq3_xxs)}},
        {T::IQ3_S, {"iq3_s", QK_K, sizeof(block_iq3_s)}},       {T::IQ1_S, {"iq1_s", QK_K, sizeof(block_iq1_s)}},
        {T::IQ1_M, {"iq1_m", QK_K, sizeof(block_iq1_m)}},       {T::TQ1_0, {"tq1_0", QK_K, sizeof(block_tq1_0)}},
        {T::TQ2_0, {"tq2_0", QK_K, sizeof(block_tq2_0)}},
    };
    for (const auto& p : kPlanned) {
        if (p.type == t) return &p.layout;
    }
    return nullptr;
}

const TypeTraits* traits_row(GgmlType t) {
    for (const auto& tr : all_type_traits()) {
        if (tr.type == t) return &tr;
    }
    return nullptr;
}

}  // namespace

const TypeLayout& type_layout(GgmlType t) {
    // The traits table's rows, as layouts (built once; the table never changes).
    static const std::vector<std::pair<GgmlType, TypeLayout>> kFromTraits = [] {
        std::vector<std::pair<GgmlType, TypeLayout>> v;
        for (const auto& tr : all_type_traits()) v.push_back({tr.type, {tr.name, tr.block_size, tr.type_size}});
        return v;
    }();
    for (const auto& [type, layout] : kFromTraits) {
        if (type == t) return layout;
    }
    if (const TypeLayout* p = planned_layout_of(t)) return *p;
    throw Error(ErrorCode::UnknownType, "unknown or unsupported ggml type id " + std::to_string(uint32_t(t)));
}

const TypeLayout* block_struct_layout(GgmlType t) { return planned_layout_of(t); }

bool has_kernels(GgmlType t) {
    const TypeTraits* tr = traits_row(t);
    return tr && tr->ref.quantize && tr->ref.dequantize_row;
}

}  // namespace quantlab
