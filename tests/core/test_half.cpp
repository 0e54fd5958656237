#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/half.h"

using namespace quantlab;

TEST_CASE("fp16 -> fp32 gives every half's exact value", "[half]") {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const uint32_t sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
        const float got = fp16_to_fp32(uint16_t(h));
        uint32_t got_bits;
        std::memcpy(&got_bits, &got, sizeof got_bits);
        if (exp == 31) {
            // Inf and NaN: all-ones exponent, the payload moved up, the sign kept.
            REQUIRE(got_bits == ((sign << 31) | 0x7f800000u | (mant << 13)));
            continue;
        }
        const double mag = exp == 0 ? std::ldexp(double(mant), -24) : std::ldexp(double(1024 + mant), int(exp) - 25);
        REQUIRE(double(got) == (sign ? -mag : mag));
        REQUIRE(std::signbit(got) == (sign != 0));
    }
}

TEST_CASE("the fp16 table holds fp16_to_fp32 of every half", "[half]") {
    const float* table = fp16_to_fp32_table();
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float want = fp16_to_fp32(uint16_t(h));
        REQUIRE(std::memcmp(&table[h], &want, sizeof want) == 0);
    }
}

TEST_CASE("every finite fp16 value survives fp16 -> fp32 -> fp16", "[half]") {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) continue;  // NaN payloads need not round trip
        const float f = fp16_to_fp32(uint16_t(h));
        REQUIRE(fp32_to_fp16(f) == uint16_t(h));
    }
}

TEST_CASE("fp32 -> fp16 rounds to nearest, ties to even", "[half]") {
    CHECK(fp32_to_fp16(1.0f) == 0x3c00);
    CHECK(fp32_to_fp16(-2.0f) == 0xc000);
    CHECK(fp32_to_fp16(65504.0f) == 0x7bff);
    CHECK(fp32_to_fp16(65519.996f) == 0x7bff);
    CHECK(fp32_to_fp16(65520.0f) == 0x7c00);  // rounds up to infinity
    // 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
    CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
    CHECK(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -24)) == 0x0001);      // smallest subnormal
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);      // tie to even -> 0
    CHECK(fp32_to_fp16(std::ldexp(3.0f, -26)) == 0x0001);
    CHECK(fp32_to_fp16(std::numeric_limits<float>::infinity()) == 0x7c00);
    CHECK((fp32_to_fp16(std::nanf("")) & 0x7fff) > 0x7c00);
}

TEST_CASE("bf16 rounds to nearest even and keeps NaN quiet", "[half]") {
    CHECK(fp32_to_bf16(1.0f) == 0x3f80);
    CHECK(bf16_to_fp32(0x3f80) == 1.0f);
    CHECK(fp32_to_bf16(bits_float(0x3f808000u)) == 0x3f80);  // tie -> even
    CHECK(fp32_to_bf16(bits_float(0x3f818000u)) == 0x3f82);  // tie -> even (up)
    CHECK(fp32_to_bf16(bits_float(0x3f808001u)) == 0x3f81);
    CHECK(fp32_to_bf16(bits_float(0x7f800001u)) == 0x7fc0);
}
