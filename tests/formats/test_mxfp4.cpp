// MXFP4 beyond the golden vectors: its tables against libggml's dumps, the
// scale exponent against a correctly rounded log2 on every float next to a
// power of two, exact e2m1 rows, inputs aimed at the code search, arbitrary
// block bytes, and SIMD128 = reference bit for bit (dot products included).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/mxfp4_tables.h"
#include "formats/quantize.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

const TypeTraits& mxfp4() { return type_traits(GgmlType::MXFP4); }

uint8_t exponent_of(float amax) {
    std::vector<float> x(QK_MXFP4, 0.0f);
    x[3] = -amax;
    block_mxfp4 b;
    mxfp4().ref.quantize_row(x.data(), &b, QK_MXFP4);
    return b.e;
}

// floor(log2(x)) correctly rounded to float first, as glibc's log2f does
// (the golden generator found no float where they differ).
int floor_log2_rounded(float x) { return int(std::floor(double(float(std::log2(double(x)))))); }

}  // namespace

TEST_CASE("MXFP4 tables equal what libggml decodes and measures", "[mxfp4][tables]") {
    const auto kv = read_bytes(formats_golden_dir() + "/tables/kvalues_mxfp4.i8");
    REQUIRE(kv.size() == 16);
    for (int c = 0; c < 16; ++c) CHECK(kMxfp4Values[c] == int8_t(kv[size_t(c)]));
    const auto half = read_f32(formats_golden_dir() + "/tables/e8m0_half.f32");
    REQUIRE(half.size() == 256);
    for (int e = 0; e < 256; ++e) CHECK(float_bits(mxfp4_scale_half(uint8_t(e))) == float_bits(half[size_t(e)]));
    const auto up = read_bytes(formats_golden_dir() + "/tables/mxfp4_log2_roundup.u16");
    REQUIRE(up.size() == 2 * 277);
    for (size_t n = 0; n < 277; ++n) CHECK(kMxfp4Log2RoundUp[n] == (up[2 * n] | (up[2 * n + 1] << 8)));
    CHECK(mxfp4_scale_half(127) == 0.5f);
    CHECK(mxfp4_scale_half(0) == 0x1p-128f);
}

TEST_CASE("MXFP4 scale exponent: floor(log2f(max)) - 2 + 127 on every float beside a power of two", "[mxfp4]") {
    size_t checked = 0, rounded_up = 0;
    for (int n = -148; n <= 127; ++n) {
        const uint32_t p = n >= -126 ? uint32_t(n + 127) << 23 : 1u << (n + 149);
        for (uint32_t k = 0; k < 96; ++k) {
            for (const uint32_t u : {p - k - 1, p + k}) {
                const float x = bits_float(u);
                if (!(x > 0.0f) || !std::isfinite(x)) continue;
                const int f = floor_log2_rounded(x);
                rounded_up += f != std::ilogb(x) ? 1 : 0;
                const uint8_t want = uint8_t(unsigned(f - 2 + 127) & 0xffu);
                if (mxfp4_scale_exponent(x) != want) {
                    INFO("x = " << x << " (bits " << u << ")");
                    REQUIRE(int(mxfp4_scale_exponent(x)) == int(want));
                }
                ++checked;
            }
        }
    }
    CHECK(checked > 50000);
    CHECK(rounded_up > 5000);  // log2f's rounding up to the integer is common here
    // The top of the range rounds up to 128: e = 253.
    CHECK(mxfp4_scale_exponent(bits_float(0x7f7fffffu)) == 253);
    CHECK(mxfp4_scale_exponent(0.0f) == 0);
    CHECK(exponent_of(1.0f) == 125);
    CHECK(exponent_of(6.0f) == 127);
    // Below 2^-125 ggml's float -> uint8 conversion wraps (x86): floor -128 gives 253.
    CHECK(exponent_of(0x1p-128f) == 253);
}

TEST_CASE("MXFP4 rows of e2m1 values times a power of two come back exactly", "[mxfp4]") {
    for (int s : {-20, -3, 0, 5, 30}) {
        std::vector<float> x(QK_MXFP4 * 4);
        for (size_t j = 0; j < x.size(); ++j) x[j] = std::ldexp(float(kMxfp4Values[(j * 7) % 16]) * 0.5f, s);
        for (size_t b = 0; b < x.size(); b += QK_MXFP4) x[b + 5] = std::ldexp(-6.0f, s);  // block max 6 * 2^s
        for (auto v : variants_under_test()) {
            INFO("s = " << s << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.variant = v;
            const auto q = quantize(mxfp4(), x.data(), x.size(), opt);
            CHECK(q[0] == uint8_t(127 + s));
            CHECK(dequantize(mxfp4(), q.data(), q.size(), x.size(), v) == x);
        }
    }
}

TEST_CASE("MXFP4 SIMD128 code thresholds equal the reference's search at every scale", "[mxfp4][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: nothing to compare");
        return;
    }
    const TypeTraits& t = mxfp4();
    const KernelSet s = resolve_kernels(t, KernelVariant::Simd128);
    // Blocks of max 12 * d for E8M0 codes across the range (the SIMD kernel
    // switches to the search below 2^-100 and above 2^100), holding every
    // grid value and midpoint times d and their float neighbours, both signs.
    size_t blocks = 0;
    for (int e : {1, 2, 10, 27, 28, 29, 60, 100, 125, 126, 127, 128, 150, 200, 226, 227, 228, 229, 230, 250}) {
        const float d = mxfp4_scale_half(uint8_t(e));
        const float amax = 12.0f * d;
        if (!std::isfinite(amax) || mxfp4_scale_exponent(amax) != e) continue;
        std::vector<float> vals;
        for (float v : {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 10.0f, 11.9f}) {
            float base = v * d;
            for (int k = 0; k < 4; ++k) base = std::nextafter(base, 0.0f);
            for (int k = 0; k < 9; ++k, base = std::nextafter(base, 1e38f)) {
                vals.push_back(base);
                vals.push_back(-base);
            }
        }
        const auto r = random_floats(31 * 8, uint32_t(e), amax);
        vals.insert(vals.end(), r.begin(), r.end());
        std::vector<float> x;
        for (size_t i = 0; i < vals.size(); i += 31) {
            x.push_back(i % 2 ? -amax : amax);
            for (size_t j = i; j < i + 31; ++j) x.push_back(j < vals.size() ? vals[j] : 0.0f);
        }
        std::vector<uint8_t> qa(quantized_size(t, x.size())), qb(qa.size());
        t.ref.quantize_row(x.data(), qa.data(), int64_t(x.size()));
        s.quantize_row(x.data(), qb.data(), int64_t(x.size()));
        INFO("E8M0 code " << e);
        CHECK(qa == qb);
        CHECK(qa[0] == uint8_t(e));
        blocks += x.size() / QK_MXFP4;
    }
    CHECK(blocks > 200);
}

TEST_CASE("MXFP4 SIMD128 kernels equal the reference bit for bit", "[mxfp4][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: nothing to compare");
        return;
    }
    const TypeTraits& t = mxfp4();
    const KernelSet s = resolve_kernels(t, KernelVariant::Simd128);
    // Code-search stress: exact midpoints between neighbouring codes, signed
    // zeros, float subnormals, values that make candidates overflow to inf,
    // blocks whose max sits just below a power of two, random rows.
    std::vector<float> x;
    for (int j = 0; j < 32; ++j) x.push_back(float(j % 13 - 6) * 0.25f);           // midpoints at d = 0.25
    for (int j = 0; j < 32; ++j) x.push_back(j % 2 ? -0.0f : 0.0f);
    for (int j = 0; j < 32; ++j) x.push_back(float(j % 5 - 2) * 1e-41f);
    for (int j = 0; j < 32; ++j) x.push_back(float(j % 7 - 3) * 1e38f);
    for (int j = 0; j < 32; ++j) x.push_back(j == 0 ? bits_float(0x40fffffeu) : float(j % 9) * 0.7f);  // 8 - 2ulp
    const auto r = random_floats(32 * 40, 5151, 3.0f);
    x.insert(x.end(), r.begin(), r.end());
    std::vector<uint8_t> qa(quantized_size(t, x.size())), qb(qa.size());
    t.ref.quantize_row(x.data(), qa.data(), int64_t(x.size()));
    s.quantize_row(x.data(), qb.data(), int64_t(x.size()));
    CHECK(qa == qb);
    // Arbitrary bytes, every E8M0 code.
    std::vector<uint8_t> q(size_t(256) * sizeof(block_mxfp4));
    for (size_t i = 0; i < q.size(); ++i) q[i] = uint8_t(i * 53 + i / 17);
    for (int e = 0; e < 256; ++e) q[size_t(e) * sizeof(block_mxfp4)] = uint8_t(e);
    const int64_t n = 256 * QK_MXFP4;
    std::vector<float> ya(static_cast<size_t>(n)), yb(static_cast<size_t>(n));
    t.ref.dequantize_row(q.data(), ya.data(), n);
    s.dequantize_row(q.data(), yb.data(), n);
    CHECK(std::memcmp(ya.data(), yb.data(), ya.size() * 4) == 0);
    // Dot products with Q8_0 rows: identical floats.
    const TypeTraits& q8 = type_traits(GgmlType::Q8_0);
    for (int blocks : {1, 3, 40}) {
        const auto w = random_floats(size_t(blocks) * 32, uint32_t(blocks), 2.0f);
        const auto a = random_floats(size_t(blocks) * 32, uint32_t(blocks + 7), 40.0f);
        std::vector<uint8_t> wq(quantized_size(t, w.size())), aq(quantized_size(q8, a.size()));
        t.ref.quantize_row(w.data(), wq.data(), int64_t(w.size()));
        q8.ref.quantize_row(a.data(), aq.data(), int64_t(a.size()));
        const float vr = t.ref.vec_dot(int64_t(w.size()), wq.data(), aq.data());
        const float vs = s.vec_dot(int64_t(w.size()), wq.data(), aq.data());
        INFO("blocks " << blocks << " ref " << vr << " simd " << vs);
        CHECK(float_bits(vr) == float_bits(vs));
        CHECK(vr != 0.0f);
    }
}
