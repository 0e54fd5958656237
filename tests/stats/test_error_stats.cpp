#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "stats/error_stats.h"

using namespace quantlab;

TEST_CASE("error statistics of a hand-computed example", "[stats]") {
    const float a[4] = {1.0f, -2.0f, 3.0f, 0.0f};
    const float b[4] = {1.5f, -2.0f, 2.0f, 0.0f};  // errors +0.5, 0, -1, 0
    const auto s = compute_error_stats(a, b, 4, 4, 1.0);
    CHECK(s.n == 4);
    CHECK(s.mean_error == Approx(-0.125));
    CHECK(s.mae == Approx(0.375));
    CHECK(s.max_abs == Approx(1.0));
    CHECK(s.rmse == Approx(std::sqrt(1.25 / 4)));
    CHECK(s.snr_db == Approx(10 * std::log10(14.0 / 1.25)));
    CHECK(s.cosine == Approx(11.5 / (std::sqrt(14.0) * std::sqrt(1.5 * 1.5 + 4 + 4))));
    // Bins of width 0.5 over [-1, 1]: -1 -> bin 0, 0 and 0 -> bin 2, +0.5 -> bin 3.
    REQUIRE(s.histogram.counts.size() == 4);
    CHECK(s.histogram.counts[0] == 1);
    CHECK(s.histogram.counts[1] == 0);
    CHECK(s.histogram.counts[2] == 2);
    CHECK(s.histogram.counts[3] == 1);
}

TEST_CASE("a perfect reconstruction has infinite SNR and cosine 1", "[stats]") {
    const float a[3] = {0.25f, 0.5f, -1.0f};
    const auto s = compute_error_stats(a, a, 3, 8);
    CHECK(std::isinf(s.snr_db));
    CHECK(s.snr_db > 0);
    CHECK(s.cosine == Approx(1.0));
    CHECK(s.max_abs == 0.0);
    uint64_t total = 0;
    for (auto c : s.histogram.counts) total += c;
    CHECK(total == 3);
}

TEST_CASE("error statistics reject empty or non-finite input", "[stats]") {
    const float a[2] = {1.0f, NAN};
    const float b[2] = {1.0f, 2.0f};
    CHECK_THROWS_AS(compute_error_stats(a, b, 0), Error);
    CHECK_THROWS_AS(compute_error_stats(a, b, 2), Error);
    CHECK_THROWS_AS(compute_error_stats(b, b, 2, -1), Error);
}

TEST_CASE("histogram ranges at the edges of double never convert out of range", "[stats][errors]") {
    // A range of 1e-300 put error 1.0 at bin position ~1e300, converted to
    // long: undefined behaviour, a trap in WebAssembly that the JS property
    // tests hit through ql.errorStats(x, y, {bins, range}).
    const float a[4] = {0.0f, 1.0f, -2.0f, 3.0f};
    const float b[4] = {1.0f, 1.0f, 2.0f, -3.0f};
    for (const double range : {1e-300, 5e-324, 1e300, std::numeric_limits<double>::max()}) {
        const ErrorStats s = compute_error_stats(a, b, 4, 7, range);
        uint64_t total = 0;
        for (auto c : s.histogram.counts) total += c;
        CHECK(total == 4);
    }
    for (const double bad : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()}) {
        try {
            compute_error_stats(a, b, 4, 7, bad);
            FAIL("expected InvalidArgument");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InvalidArgument);
        }
    }
}
