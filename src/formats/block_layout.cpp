#include "formats/block_layout.h"

#include <map>

#include "formats/block_types.h"

namespace quantlab {

namespace {

template <size_t N>
constexpr uint32_t total_bytes(const BlockField (&f)[N]) {
    uint32_t s = 0;
    for (size_t i = 0; i < N; ++i) s += f[i].bytes;
    return s;
}

// Field tables, in member order; each static_assert ties one to its struct.
constexpr BlockField kF32[] = {{"value", 4, "IEEE single precision"}};
constexpr BlockField kF16[] = {{"value", 2, "IEEE half precision"}};
constexpr BlockField kBF16[] = {{"value", 2, "bfloat16: the top 16 bits of an f32"}};
constexpr BlockField kQ4_0[] = {{"d", 2, "f16 scale"}, {"qs", 16, "32 × 4-bit values (value = d·(q − 8))"}};
constexpr BlockField kQ4_1[] = {{"d", 2, "f16 scale"}, {"m", 2, "f16 minimum"}, {"qs", 16, "32 × 4-bit values (value = d·q + m)"}};
constexpr BlockField kQ5_0[] = {{"d", 2, "f16 scale"}, {"qh", 4, "fifth bit of each value"}, {"qs", 16, "low 4 bits of 32 values"}};
constexpr BlockField kQ5_1[] = {{"d", 2, "f16 scale"}, {"m", 2, "f16 minimum"}, {"qh", 4, "fifth bit of each value"},
                                {"qs", 16, "low 4 bits of 32 values"}};
constexpr BlockField kQ8_0[] = {{"d", 2, "f16 scale"}, {"qs", 32, "32 × int8 values"}};
constexpr BlockField kQ8_1[] = {{"d", 2, "f16 scale"}, {"s", 2, "f16 d·Σqs"}, {"qs", 32, "32 × int8 values"}};
constexpr BlockField kQ2_K[] = {{"scales", 16, "4-bit scale and 4-bit min per 16 values"},
                                {"qs", 64, "256 × 2-bit values"},
                                {"d", 2, "f16 scale of the scales"},
                                {"dmin", 2, "f16 scale of the mins"}};
constexpr BlockField kQ3_K[] = {{"hmask", 32, "high bit of 256 values"},
                                {"qs", 64, "low 2 bits of 256 values"},
                                {"scales", 12, "16 × 6-bit scales"},
                                {"d", 2, "f16 scale of the scales"}};
constexpr BlockField kQ4_K[] = {{"d", 2, "f16 scale of the scales"},
                                {"dmin", 2, "f16 scale of the mins"},
                                {"scales", 12, "8 × 6-bit scales and 8 × 6-bit mins"},
                                {"qs", 128, "256 × 4-bit values"}};
constexpr BlockField kQ5_K[] = {{"d", 2, "f16 scale of the scales"},
                                {"dmin", 2, "f16 scale of the mins"},
                                {"scales", 12, "8 × 6-bit scales and 8 × 6-bit mins"},
                                {"qh", 32, "fifth bit of 256 values"},
                                {"qs", 128, "low 4 bits of 256 values"}};
constexpr BlockField kQ6_K[] = {{"ql", 128, "low 4 bits of 256 values"},
                                {"qh", 64, "high 2 bits of 256 values"},
                                {"scales", 16, "16 × int8 scales"},
                                {"d", 2, "f16 scale of the scales"}};
constexpr BlockField kQ8_K[] = {{"d", 4, "f32 scale"}, {"qs", 256, "256 × int8 values"},
                                {"bsums", 32, "16 × int16 sums of 16 values"}};
constexpr BlockField kIQ4_NL[] = {{"d", 2, "f16 scale"}, {"qs", 16, "32 × 4-bit indices into a 16-level non-linear table"}};
constexpr BlockField kIQ4_XS[] = {{"d", 2, "f16 scale of the scales"},
                                  {"scales_h", 2, "high 2 bits of 8 × 6-bit scales"},
                                  {"scales_l", 4, "low 4 bits of the 8 scales"},
                                  {"qs", 128, "256 × 4-bit indices into the non-linear table"}};

// Lattice quants, ternary formats and MXFP4 (layouts: block_types.h, from ggml-common.h).
constexpr BlockField kIQ2_XXS[] = {{"d", 2, "f16 scale"}, {"qs", 64, "per 32 values: 4 grid indices, 4 sign indices, a 4-bit scale"}};
constexpr BlockField kIQ2_XS[] = {{"d", 2, "f16 scale"}, {"qs", 64, "per 8 values: 9-bit grid index + 7-bit sign index"},
                                  {"scales", 8, "two 4-bit scales per 32 values"}};
constexpr BlockField kIQ2_S[] = {{"d", 2, "f16 scale"}, {"qs", 64, "low 8 bits of 32 grid indices, then 32 sign bytes"},
                                 {"qh", 8, "high 2 bits of the grid indices"}, {"scales", 8, "two 4-bit scales per 32 values"}};
constexpr BlockField kIQ3_XXS[] = {{"d", 2, "f16 scale"}, {"qs", 96, "64 grid indices, then per 32 values signs and a 4-bit scale"}};
constexpr BlockField kIQ3_S[] = {{"d", 2, "f16 scale"}, {"qs", 64, "low 8 bits of 64 grid indices"}, {"qh", 8, "9th bit of each index"},
                                 {"signs", 32, "one sign byte per 8 values"}, {"scales", 4, "two 4-bit scales per 64 values"}};
constexpr BlockField kIQ1_S[] = {{"d", 2, "f16 scale"}, {"qs", 32, "low 8 bits of 32 grid indices"},
                                 {"qh", 16, "per 32 values: index tops, 3-bit scale, delta sign"}};
constexpr BlockField kIQ1_M[] = {{"qs", 32, "low 8 bits of 32 grid indices"}, {"qh", 16, "index tops and delta signs"},
                                 {"scales", 8, "3-bit scales per 16 values; the f16 block scale in the top nibbles"}};
constexpr BlockField kTQ1_0[] = {{"qs", 48, "240 ternary values, 5 per byte"}, {"qh", 4, "16 ternary values, 4 per byte"}, {"d", 2, "f16 scale"}};
constexpr BlockField kTQ2_0[] = {{"qs", 64, "256 ternary values, 2 bits each"}, {"d", 2, "f16 scale"}};
constexpr BlockField kMXFP4[] = {{"e", 1, "E8M0 shared power-of-two scale"}, {"qs", 16, "32 × 4-bit e2m1 values"}};

static_assert(total_bytes(kIQ2_XXS) == sizeof(block_iq2_xxs), "iq2_xxs layout");
static_assert(total_bytes(kIQ2_XS) == sizeof(block_iq2_xs), "iq2_xs layout");
static_assert(total_bytes(kIQ2_S) == sizeof(block_iq2_s), "iq2_s layout");
static_assert(total_bytes(kIQ3_XXS) == sizeof(block_iq3_xxs), "iq3_xxs layout");
static_assert(total_bytes(kIQ3_S) == sizeof(block_iq3_s), "iq3_s layout");
static_assert(total_bytes(kIQ1_S) == sizeof(block_iq1_s), "iq1_s layout");
static_assert(total_bytes(kIQ1_M) == sizeof(block_iq1_m), "iq1_m layout");
static_assert(total_bytes(kTQ1_0) == sizeof(block_tq1_0), "tq1_0 layout");
static_assert(total_bytes(kTQ2_0) == sizeof(block_tq2_0), "tq2_0 layout");
static_assert(total_bytes(kMXFP4) == sizeof(block_mxfp4), "mxfp4 layout");
static_assert(total_bytes(kF32) == 4 && total_bytes(kF16) == 2 && total_bytes(kBF16) == 2, "float types");
static_assert(total_bytes(kQ4_0) == sizeof(block_q4_0), "q4_0 layout");
static_assert(total_bytes(kQ4_1) == sizeof(block_q4_1), "q4_1 layout");
static_assert(total_bytes(kQ5_0) == sizeof(block_q5_0), "q5_0 layout");
static_assert(total_bytes(kQ5_1) == sizeof(block_q5_1), "q5_1 layout");
static_assert(total_bytes(kQ8_0) == sizeof(block_q8_0), "q8_0 layout");
static_assert(total_bytes(kQ8_1) == sizeof(block_q8_1), "q8_1 layout");
static_assert(total_bytes(kQ2_K) == sizeof(block_q2_K), "q2_K layout");
static_assert(total_bytes(kQ3_K) == sizeof(block_q3_K), "q3_K layout");
static_assert(total_bytes(kQ4_K) == sizeof(block_q4_K), "q4_K layout");
static_assert(total_bytes(kQ5_K) == sizeof(block_q5_K), "q5_K layout");
static_assert(total_bytes(kQ6_K) == sizeof(block_q6_K), "q6_K layout");
static_assert(total_bytes(kQ8_K) == sizeof(block_q8_K), "q8_K layout");
static_assert(total_bytes(kIQ4_NL) == sizeof(block_iq4_nl), "iq4_nl layout");
static_assert(total_bytes(kIQ4_XS) == sizeof(block_iq4_xs), "iq4_xs layout");

template <size_t N>
std::vector<BlockField> list(const BlockField (&f)[N]) {
    return std::vector<BlockField>(f, f + N);
}

}  // namespace

const std::vector<BlockField>& block_layout(GgmlType t) {
    using T = GgmlType;
    static const std::map<T, std::vector<BlockField>> table{
        {T::F32, list(kF32)},       {T::F16, list(kF16)},       {T::BF16, list(kBF16)},     {T::Q4_0, list(kQ4_0)},
        {T::Q4_1, list(kQ4_1)},     {T::Q5_0, list(kQ5_0)},     {T::Q5_1, list(kQ5_1)},     {T::Q8_0, list(kQ8_0)},
        {T::Q8_1, list(kQ8_1)},     {T::Q2_K, list(kQ2_K)},     {T::Q3_K, list(kQ3_K)},     {T::Q4_K, list(kQ4_K)},
        {T::Q5_K, list(kQ5_K)},     {T::Q6_K, list(kQ6_K)},     {T::Q8_K, list(kQ8_K)},     {T::IQ4_NL, list(kIQ4_NL)},
        {T::IQ4_XS, list(kIQ4_XS)},
        {T::IQ2_XXS, list(kIQ2_XXS)}, {T::IQ2_XS, list(kIQ2_XS)}, {T::IQ2_S, list(kIQ2_S)},   {T::IQ3_XXS, list(kIQ3_XXS)},
        {T::IQ3_S, list(kIQ3_S)},     {T::IQ1_S, list(kIQ1_S)},   {T::IQ1_M, list(kIQ1_M)},   {T::TQ1_0, list(kTQ1_0)},
        {T::TQ2_0, list(kTQ2_0)},     {T::MXFP4, list(kMXFP4)},
    };
    static const std::vector<BlockField> none;
    const auto it = table.find(t);
    return it == table.end() ? none : it->second;
}

}  // namespace quantlab
