// llama.cpp's model file types ("ftypes"): the names llama-quantize accepts
// and the numbers it stores in general.file_type. Values are part of the file
// format (llama.cpp include/llama.h, enum llama_ftype); names and aliases
// follow tools/quantize/quantize.cpp's QUANT_OPTIONS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/ggml_type.h"

namespace quantlab {

enum class LlamaFtype : uint32_t {
    ALL_F32 = 0,
    MOSTLY_F16 = 1,
    MOSTLY_Q4_0 = 2,
    MOSTLY_Q4_1 = 3,
    MOSTLY_Q8_0 = 7,
    MOSTLY_Q5_0 = 8,
    MOSTLY_Q5_1 = 9,
    MOSTLY_Q2_K = 10,
    MOSTLY_Q3_K_S = 11,
    MOSTLY_Q3_K_M = 12,
    MOSTLY_Q3_K_L = 13,
    MOSTLY_Q4_K_S = 14,
    MOSTLY_Q4_K_M = 15,
    MOSTLY_Q5_K_S = 16,
    MOSTLY_Q5_K_M = 17,
    MOSTLY_Q6_K = 18,
    MOSTLY_IQ2_XXS = 19,
    MOSTLY_IQ2_XS = 20,
    MOSTLY_Q2_K_S = 21,
    MOSTLY_IQ3_XS = 22,
    MOSTLY_IQ3_XXS = 23,
    MOSTLY_IQ1_S = 24,
    MOSTLY_IQ4_NL = 25,
    MOSTLY_IQ3_S = 26,
    MOSTLY_IQ3_M = 27,
    MOSTLY_IQ2_S = 28,
    MOSTLY_IQ2_M = 29,
    MOSTLY_IQ4_XS = 30,
    MOSTLY_IQ1_M = 31,
    MOSTLY_BF16 = 32,
    MOSTLY_TQ1_0 = 36,
    MOSTLY_TQ2_0 = 37,
};

struct FtypeInfo {
    LlamaFtype ftype;
    const char* name;          // llama-quantize's spelling, e.g. "Q4_K_M"
    GgmlType default_type;     // llama_ftype_get_default_type
    const char* description;
};

// Every ftype quantlab can produce, in llama-quantize's listing order.
const std::vector<FtypeInfo>& all_ftypes();

// Throws Error(UnknownType) for values quantlab does not produce.
const FtypeInfo& ftype_info(LlamaFtype f);

// Accepts a name case-insensitively ("Q4_K_M", "q4_k_m"), llama-quantize's
// aliases ("Q4_K" = Q4_K_M, "Q3_K" = Q3_K_M, "Q5_K" = Q5_K_M) and the
// numeric value ("15"). Throws Error(UnknownType) listing the known names.
const FtypeInfo& parse_ftype(const std::string& text);

// Like parse_ftype but returns nullptr instead of throwing.
const FtypeInfo* try_parse_ftype(const std::string& text);

}  // namespace quantlab
