// llama.cpp's file types: values from include/llama.h, names and aliases from
// tools/quantize/quantize.cpp.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "formats/type_traits.h"
#include "quantize/ftype.h"

using namespace quantlab;

TEST_CASE("ftype values are llama.h's", "[quantize][ftype]") {
    const std::pair<const char*, uint32_t> expected[] = {
        {"F32", 0},     {"F16", 1},     {"Q4_0", 2},    {"Q4_1", 3},    {"Q8_0", 7},    {"Q5_0", 8},    {"Q5_1", 9},
        {"Q2_K", 10},   {"Q3_K_S", 11}, {"Q3_K_M", 12}, {"Q3_K_L", 13}, {"Q4_K_S", 14}, {"Q4_K_M", 15}, {"Q5_K_S", 16},
        {"Q5_K_M", 17}, {"Q6_K", 18},   {"Q2_K_S", 21}, {"IQ4_NL", 25}, {"IQ4_XS", 30}, {"BF16", 32},
        {"IQ2_XXS", 19}, {"IQ2_XS", 20}, {"IQ3_XS", 22}, {"IQ3_XXS", 23}, {"IQ1_S", 24},  {"IQ3_S", 26},
        {"IQ3_M", 27},   {"IQ2_S", 28},  {"IQ2_M", 29},  {"IQ1_M", 31},   {"TQ1_0", 36},  {"TQ2_0", 37},
    };
    CHECK(all_ftypes().size() == std::size(expected));
    for (const auto& [name, value] : expected) {
        INFO(name);
        CHECK(uint32_t(parse_ftype(name).ftype) == value);
        CHECK(std::string(ftype_info(LlamaFtype(value)).name) == name);
    }
}

TEST_CASE("ftype names parse case-insensitively, with aliases and numbers", "[quantize][ftype]") {
    CHECK(parse_ftype("q4_k_m").ftype == LlamaFtype::MOSTLY_Q4_K_M);
    CHECK(parse_ftype("Q4_k_M").ftype == LlamaFtype::MOSTLY_Q4_K_M);
    CHECK(parse_ftype("Q4_K").ftype == LlamaFtype::MOSTLY_Q4_K_M);
    CHECK(parse_ftype("q3_k").ftype == LlamaFtype::MOSTLY_Q3_K_M);
    CHECK(parse_ftype("Q5_K").ftype == LlamaFtype::MOSTLY_Q5_K_M);
    CHECK(parse_ftype("15").ftype == LlamaFtype::MOSTLY_Q4_K_M);
    CHECK(parse_ftype("0").ftype == LlamaFtype::ALL_F32);
    CHECK(parse_ftype("iq4_xs").default_type == GgmlType::IQ4_XS);
    CHECK(parse_ftype("Q3_K_L").default_type == GgmlType::Q3_K);
    CHECK(try_parse_ftype("out.gguf") == nullptr);
    CHECK(parse_ftype("19").ftype == LlamaFtype::MOSTLY_IQ2_XXS);
    CHECK(try_parse_ftype("33") == nullptr);  // Q4_0_4_4: removed from llama.cpp
    // llama_ftype_get_default_type: the mixes' base types.
    CHECK(parse_ftype("IQ2_S").default_type == GgmlType::IQ2_XS);
    CHECK(parse_ftype("IQ2_M").default_type == GgmlType::IQ2_S);
    CHECK(parse_ftype("IQ3_XS").default_type == GgmlType::IQ3_S);
    CHECK(parse_ftype("IQ3_M").default_type == GgmlType::IQ3_S);
    CHECK(parse_ftype("tq1_0").default_type == GgmlType::TQ1_0);
    CHECK(try_parse_ftype("") == nullptr);
    try {
        parse_ftype("Q4_K_X");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::UnknownType);
        CHECK_THAT(e.what(), Catch::Contains("'Q4_K_X'"));
    }
    CHECK_THROWS_AS(ftype_info(LlamaFtype(99)), Error);
}
