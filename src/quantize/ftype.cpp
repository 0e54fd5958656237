#include "quantize/ftype.h"

#include <cctype>

#include "core/error.h"

namespace quantlab {

namespace {

std::string upper(const std::string& s) {
    std::string r = s;
    for (auto& c : r) c = char(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

struct Alias {
    const char* name;
    LlamaFtype ftype;
};

// tools/quantize/quantize.cpp lists these as "alias for ..." entries.
const Alias kAliases[] = {
    {"Q3_K", LlamaFtype::MOSTLY_Q3_K_M},
    {"Q4_K", LlamaFtype::MOSTLY_Q4_K_M},
    {"Q5_K", LlamaFtype::MOSTLY_Q5_K_M},
};

}  // namespace

const std::vector<FtypeInfo>& all_ftypes() {
    using F = LlamaFtype;
    using T = GgmlType;
    static const std::vector<FtypeInfo> table{
        {F::MOSTLY_Q4_0, "Q4_0", T::Q4_0, "4.5 bpw, 32-value blocks with one scale"},
        {F::MOSTLY_Q4_1, "Q4_1", T::Q4_1, "5.0 bpw, 32-value blocks with scale and minimum"},
        {F::MOSTLY_Q5_0, "Q5_0", T::Q5_0, "5.5 bpw, 32-value blocks with one scale"},
        {F::MOSTLY_Q5_1, "Q5_1", T::Q5_1, "6.0 bpw, 32-value blocks with scale and minimum"},
        {F::MOSTLY_IQ2_XXS, "IQ2_XXS", T::IQ2_XXS, "2.06 bpw lattice quantization (needs an importance matrix)"},
        {F::MOSTLY_IQ2_XS, "IQ2_XS", T::IQ2_XS, "2.31 bpw lattice quantization (needs an importance matrix)"},
        {F::MOSTLY_IQ2_S, "IQ2_S", T::IQ2_XS, "2.5 bpw lattice mix (needs an importance matrix)"},
        {F::MOSTLY_IQ2_M, "IQ2_M", T::IQ2_S, "2.7 bpw lattice mix (needs an importance matrix)"},
        {F::MOSTLY_IQ1_S, "IQ1_S", T::IQ1_S, "1.56 bpw lattice quantization (needs an importance matrix)"},
        {F::MOSTLY_IQ1_M, "IQ1_M", T::IQ1_M, "1.75 bpw lattice quantization (needs an importance matrix)"},
        {F::MOSTLY_TQ1_0, "TQ1_0", T::TQ1_0, "1.69 bpw ternary weights"},
        {F::MOSTLY_TQ2_0, "TQ2_0", T::TQ2_0, "2.06 bpw ternary weights"},
        {F::MOSTLY_Q2_K, "Q2_K", T::Q2_K, "k-quant mix around 2.6 bpw"},
        {F::MOSTLY_Q2_K_S, "Q2_K_S", T::Q2_K, "smaller Q2_K mix (needs an importance matrix)"},
        {F::MOSTLY_IQ3_XXS, "IQ3_XXS", T::IQ3_XXS, "3.06 bpw lattice quantization (needs an importance matrix)"},
        {F::MOSTLY_IQ3_S, "IQ3_S", T::IQ3_S, "3.44 bpw lattice quantization"},
        {F::MOSTLY_IQ3_M, "IQ3_M", T::IQ3_S, "3.66 bpw lattice mix"},
        {F::MOSTLY_IQ3_XS, "IQ3_XS", T::IQ3_S, "3.3 bpw lattice mix"},
        {F::MOSTLY_Q3_K_S, "Q3_K_S", T::Q3_K, "k-quant mix around 3.4 bpw"},
        {F::MOSTLY_Q3_K_M, "Q3_K_M", T::Q3_K, "k-quant mix around 3.7 bpw"},
        {F::MOSTLY_Q3_K_L, "Q3_K_L", T::Q3_K, "k-quant mix around 4.0 bpw"},
        {F::MOSTLY_IQ4_NL, "IQ4_NL", T::IQ4_NL, "4.5 bpw non-linear quantization"},
        {F::MOSTLY_IQ4_XS, "IQ4_XS", T::IQ4_XS, "4.25 bpw non-linear quantization"},
        {F::MOSTLY_Q4_K_S, "Q4_K_S", T::Q4_K, "k-quant mix around 4.5 bpw"},
        {F::MOSTLY_Q4_K_M, "Q4_K_M", T::Q4_K, "k-quant mix around 4.8 bpw"},
        {F::MOSTLY_Q5_K_S, "Q5_K_S", T::Q5_K, "k-quant mix around 5.5 bpw"},
        {F::MOSTLY_Q5_K_M, "Q5_K_M", T::Q5_K, "k-quant mix around 5.7 bpw"},
        {F::MOSTLY_Q6_K, "Q6_K", T::Q6_K, "6.56 bpw k-quant"},
        {F::MOSTLY_Q8_0, "Q8_0", T::Q8_0, "8.5 bpw, 32-value blocks"},
        {F::MOSTLY_F16, "F16", T::F16, "IEEE half precision"},
        {F::MOSTLY_BF16, "BF16", T::BF16, "bfloat16"},
        {F::ALL_F32, "F32", T::F32, "no quantization"},
    };
    return table;
}

const FtypeInfo& ftype_info(LlamaFtype f) {
    for (const auto& i : all_ftypes()) {
        if (i.ftype == f) return i;
    }
    throw Error(ErrorCode::UnknownType, "unknown file type " + std::to_string(uint32_t(f)));
}

const FtypeInfo* try_parse_ftype(const std::string& text) {
    const std::string key = upper(text);
    for (const auto& i : all_ftypes()) {
        if (key == i.name) return &i;
    }
    for (const auto& a : kAliases) {
        if (key == a.name) return &ftype_info(a.ftype);
    }
    // llama-quantize also takes the enum value itself ("15" for Q4_K_M).
    if (!key.empty() && key.size() <= 4) {
        bool digits = true;
        for (char c : key) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
        if (digits) {
            const unsigned long v = std::stoul(key);
            for (const auto& i : all_ftypes()) {
                if (uint32_t(i.ftype) == v) return &i;
            }
        }
    }
    return nullptr;
}

const FtypeInfo& parse_ftype(const std::string& text) {
    if (const FtypeInfo* i = try_parse_ftype(text)) return *i;
    std::string known;
    for (const auto& i : all_ftypes()) known += (known.empty() ? "" : ", ") + std::string(i.name);
    throw Error(ErrorCode::UnknownType, "unknown quantization type '" + text + "' (known: " + known + ")");
}

}  // namespace quantlab
