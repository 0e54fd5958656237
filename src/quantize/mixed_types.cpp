#include "quantize/mixed_types.h"

#include <algorithm>

#include "core/error.h"
#include "formats/type_traits.h"
#include "quantize/quant_plan.h"

namespace quantlab {

std::vector<GgmlType> default_candidate_types() {
    std::vector<const TypeTraits*> q;
    for (const auto& t : all_type_traits()) {
        if (t.is_quantized && t.ref.vec_dot && is_storable_type(t.type)) q.push_back(&t);
    }
    std::stable_sort(q.begin(), q.end(), [](const TypeTraits* a, const TypeTraits* b) {
        return a->bits_per_weight() < b->bits_per_weight();
    });
    std::vector<GgmlType> out;
    for (const TypeTraits* t : q) out.push_back(t->type);
    out.push_back(GgmlType::F16);
    return out;
}

std::vector<GgmlType> parse_candidate_types(const std::string& list) {
    std::vector<GgmlType> out;
    std::string cur;
    auto flush = [&] {
        if (cur.empty()) return;
        const TypeTraits& t = type_traits_by_name(cur);
        if (!is_storable_type(t.type) || !t.ref.vec_dot) {
            throw Error(ErrorCode::Unsupported, std::string(t.name) + " cannot hold a weight matrix");
        }
        if (std::find(out.begin(), out.end(), t.type) == out.end()) out.push_back(t.type);
        cur.clear();
    };
    for (char c : list) {
        if (c == ',' || c == ' ' || c == '\t') flush();
        else cur += c;
    }
    flush();
    if (out.empty()) throw Error(ErrorCode::InvalidArgument, "the list of candidate types is empty");
    return out;
}

bool type_requires_imatrix(GgmlType type, const std::string& tensor_name) {
    if (tensor_name == "token_embd.weight" || tensor_name == "per_layer_token_embd.weight" ||
        tensor_name == "output.weight") {
        return false;
    }
    // ggml type ids (ggml.h): IQ2_XXS 16, IQ2_XS 17, IQ3_XXS 18, IQ1_S 19, IQ2_S 22, IQ1_M 29.
    switch (uint32_t(type)) {
        case 16: case 17: case 18: case 19: case 22: case 29: return true;
        default: return false;
    }
}

std::string candidate_rejection(GgmlType type, const std::string& name, int64_t n_per_row, bool has_imatrix) {
    const TypeTraits& t = type_traits(type);
    if (n_per_row % t.block_size != 0) {
        return "rows of " + std::to_string(n_per_row) + " values are not whole " + t.name + " blocks of " +
               std::to_string(t.block_size);
    }
    // llama-quantize's rule for the per-tensor choice, and ggml's for the quantizer itself
    // (IQ2_XXS, IQ2_XS, IQ1_S take no tensor without importance data, token_embd included).
    if (!has_imatrix && (type_requires_imatrix(type, name) || quantize_requires_imatrix(type))) {
        return std::string(t.name) + " needs an importance matrix";
    }
    return "";
}

}  // namespace quantlab
