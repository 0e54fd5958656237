// Bad input never reaches a kernel: each mistake gets its own typed error,
// and the library keeps working afterwards.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/quantize.h"
#include "parallel/thread_pool.h"
#include "support/test_support.h"

using namespace quantlab;

namespace {

ErrorCode code_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no quantlab::Error was thrown");
    return ErrorCode::InvalidArgument;
}

}  // namespace

TEST_CASE("quantize rejects bad input with typed errors", "[errors]") {
    const auto& q8 = type_traits(GgmlType::Q8_0);
    std::vector<float> x = test::random_floats(64, 7);

    CHECK(code_of([&] { quantize(q8, x.data(), 33); }) == ErrorCode::BadLength);
    CHECK(code_of([&] { quantize(q8, nullptr, 32); }) == ErrorCode::InvalidArgument);
    CHECK(code_of([&] { quantize(q8, x.data(), 0); }) == ErrorCode::InvalidArgument);

    x[17] = std::numeric_limits<float>::quiet_NaN();
    CHECK(code_of([&] { quantize(q8, x.data(), 64); }) == ErrorCode::NonFinite);
    x[17] = std::numeric_limits<float>::infinity();
    CHECK(code_of([&] { quantize(q8, x.data(), 64); }) == ErrorCode::NonFinite);
    x[17] = 0.5f;

    QuantizeOptions rows;
    rows.n_per_row = 48;  // 64 is not a whole number of 48-wide rows
    CHECK(code_of([&] { quantize(q8, x.data(), 64, rows); }) == ErrorCode::BadLength);

    std::vector<uint8_t> small(10);
    CHECK(code_of([&] { quantize_into(q8, x.data(), 64, small.data(), small.size()); }) == ErrorCode::BufferSize);

    std::vector<float> imatrix(10, 1.0f);
    QuantizeOptions wrong_imatrix;
    wrong_imatrix.imatrix = imatrix.data();
    wrong_imatrix.imatrix_len = imatrix.size();
    CHECK(code_of([&] { quantize(q8, x.data(), 64, wrong_imatrix); }) == ErrorCode::BufferSize);

    CHECK(code_of([&] { type_traits_by_name("q9_9"); }) == ErrorCode::UnknownType);

    // After all of that the same call with good input still works.
    const auto q = quantize(q8, x.data(), 64);
    CHECK(q.size() == 68);
}

TEST_CASE("error messages name the problem", "[errors]") {
    const auto& q8 = type_traits(GgmlType::Q8_0);
    std::vector<float> x(33, 1.0f);
    try {
        quantize(q8, x.data(), x.size());
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "length 33 is not a multiple of q8_0's block size 32");
    }
    x.resize(32);
    x[3] = -std::numeric_limits<float>::infinity();
    try {
        quantize(q8, x.data(), x.size());
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "input contains Inf at index 3");
    }
}

TEST_CASE("dequantize rejects a buffer of the wrong size", "[errors]") {
    const auto& q8 = type_traits(GgmlType::Q8_0);
    std::vector<uint8_t> q(34 * 2);
    CHECK(code_of([&] { dequantize(q8, q.data(), q.size(), 96); }) == ErrorCode::BufferSize);
    CHECK(code_of([&] { dequantize(q8, q.data(), q.size(), 65); }) == ErrorCode::BadLength);
    CHECK(dequantize(q8, q.data(), q.size(), 64).size() == 64);
}

TEST_CASE("type names resolve case-insensitively", "[traits]") {
    CHECK(type_traits_by_name("Q8_0").type == GgmlType::Q8_0);
    CHECK(type_traits_by_name("q8_0").block_size == 32);
    CHECK(type_traits_by_name("BF16").type_size == 2);
    CHECK(type_traits(GgmlType::Q8_0).bits_per_weight() == Approx(8.5));
}

TEST_CASE("finite input that overflows a format's f16 scales is refused, naming the row", "[errors]") {
    // fuzz_quantize found quantize() returning blocks with an infinite f16
    // scale for finite input (|x| around 1e6 in q4_0): they decode to Inf/NaN
    // and ggml_validate_row_data refuses them. q3_K, q6_K and iq4_xs instead
    // collapse |x| = 1e20 to zeros. Every format either refuses such a row or
    // stores it (f32, q8_K's f32 scale) so that it decodes finite and close.
    std::vector<std::string> refused;
    for (const auto& t : all_type_traits()) {
        const size_t n = size_t(t.block_size) * 2;
        std::vector<float> x = test::random_floats(n * 3, 5);  // 3 rows
        for (size_t i = n; i < 2 * n; ++i) x[i] *= 1e20f;      // row 1 only
        const std::vector<float> w(n, 1.0f);                    // IQ2_XXS/IQ2_XS need one
        QuantizeOptions opt;
        opt.n_per_row = int64_t(n);
        opt.imatrix = w.data();
        opt.imatrix_len = n;
        for (const auto v : test::variants_under_test()) {
            INFO(t.name << " " << kernel_variant_name(v));
            opt.variant = v;
            try {
                const auto q = quantize(t, x.data(), x.size(), opt);
                const auto y = dequantize(t, q.data(), q.size(), x.size(), v);
                for (size_t i = n; i < 2 * n; ++i) REQUIRE(std::fabs(y[i] - x[i]) <= 0.5f * std::fabs(x[i]) + 1e19f);
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::NonFinite);
                CHECK_THAT(e.what(), Catch::Contains(std::string("row 1 cannot be stored as ") + t.name));
                if (v == KernelVariant::Ref) refused.push_back(t.name);
            }
        }
    }
    for (const char* name : {"f16", "q4_0", "q8_0", "q2_K", "q3_K", "q6_K", "iq4_xs"}) {
        CHECK(std::find(refused.begin(), refused.end(), name) != refused.end());
    }
    // The boundary: what fits still quantizes.
    std::vector<float> ok(32, 60000.0f);
    CHECK(quantize(type_traits(GgmlType::Q8_0), ok.data(), ok.size()).size() == 34);
}

TEST_CASE("an unstorable row in a later block of rows is the one named, for any thread count", "[errors]") {
    // quantize_into quantizes and checks rows kQuantizeBlockValues at a time:
    // 1000 rows of 256 are 8 blocks of 128 rows. Rows 700 and 900 overflow
    // q4_0's scales; the first of them is named, numbered from first_row.
    const auto& t = type_traits(GgmlType::Q4_0);
    const int64_t ne0 = 256, rows = 1000;
    REQUIRE(kQuantizeBlockValues / ne0 == 128);
    std::vector<float> x = test::random_floats(size_t(ne0 * rows), 9);
    for (const int64_t bad : {700, 900}) {
        for (int64_t i = 0; i < ne0; ++i) x[size_t(bad * ne0 + i)] *= 1e20f;
    }
    const std::vector<float> clean(x.begin(), x.begin() + 700 * ne0);
    for (const int threads : {0, 1, 2, 3}) {
        INFO("threads " << threads);
        std::unique_ptr<ThreadPool> pool = threads ? std::make_unique<ThreadPool>(threads) : nullptr;
        QuantizeOptions opt;
        opt.n_per_row = ne0;
        opt.first_row = 1000;
        opt.pool = pool.get();
        try {
            (void)quantize(t, x.data(), x.size(), opt);
            FAIL("rows 700 and 900 overflow q4_0's scales");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::NonFinite);
            CHECK_THAT(e.what(), Catch::Contains("row 1700 cannot be stored as q4_0"));
        }
        // The rows before them, over several blocks, quantize as one call without a pool does.
        CHECK(quantize(t, clean.data(), clean.size(), opt) ==
              quantize(t, clean.data(), clean.size(), QuantizeOptions{ne0}));
    }
}

TEST_CASE("sizes beyond size_t are computed exactly for callers that ask", "[errors]") {
    const auto& q4 = type_traits(GgmlType::Q4_K);
    CHECK(quantized_bytes(q4, uint64_t(1) << 40) == (uint64_t(1) << 40) / 256 * 144);
    CHECK_THROWS_AS(quantized_bytes(q4, (uint64_t(1) << 40) + 1), Error);
}

TEST_CASE("importance weights at the edges of float quantize as their scaled-down copy would", "[errors]") {
    // fuzz_imatrix found an imatrix with weights around 1e38 that made q5_0
    // blocks of an ordinary row decode to NaN (the quantizer's weighted sums
    // overflowed). The weights only count relative to each other: scaled by
    // 2^100 or 2^-100 they must give the same bytes, in every format.
    for (const auto& t : all_type_traits()) {
        const size_t n = size_t(t.block_size) * 2;
        const std::vector<float> x = test::random_floats(n * 2, 11);
        std::vector<float> w = test::random_floats(n, 12);
        for (auto& v : w) v = 1.0f + std::fabs(v) * 0.01f;  // the largest lies in [1, 2): no rescaling
        for (const auto v : test::variants_under_test()) {
            INFO(t.name << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.n_per_row = int64_t(n);
            opt.variant = v;
            opt.imatrix = w.data();
            opt.imatrix_len = n;
            std::vector<uint8_t> want;
            try {
                want = quantize(t, x.data(), x.size(), opt);
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::Unsupported);
                continue;
            }
            for (const int e : {100, -100}) {
                std::vector<float> ws(w);
                for (auto& s : ws) s = std::ldexp(s, e);
                opt.imatrix = ws.data();
                CHECK(quantize(t, x.data(), x.size(), opt) == want);
            }
            std::vector<float> huge(w);
            huge[0] = std::numeric_limits<float>::max();
            opt.imatrix = huge.data();
            CHECK_NOTHROW(quantize(t, x.data(), x.size(), opt));
        }
    }
}
