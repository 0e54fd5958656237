#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/half.h"
#include "model/exp_kernels.h"
#include "support/test_support.h"

using namespace quantlab;

namespace {

// Every float from lo to hi in steps of `stride` representable values, plus the edges.
std::vector<float> sweep(float lo, float hi, uint32_t stride) {
    std::vector<float> xs;
    for (float x = lo; x < hi;) {
        xs.push_back(x);
        xs.push_back(-x);
        x = bits_float(float_bits(x) + stride);
    }
    return xs;
}

}  // namespace

TEST_CASE("exp_ref is within 2 ulp of expf where it does not flush, and exact at the edges", "[exp]") {
    int64_t worst = 0;
    float worst_x = 0.0f;
    for (float x : sweep(1e-7f, 88.72f, 977)) {
        if (x < -85.9f) continue;
        const int64_t e = test::ulp_distance(exp_ref(x), std::exp(x));
        if (e > worst) worst = e, worst_x = x;
    }
    INFO("worst " << worst << " ulp at x = " << worst_x);
    CHECK(worst <= 2);
    CHECK(exp_ref(0.0f) == 1.0f);
    CHECK(exp_ref(-0.0f) == 1.0f);
    CHECK(exp_ref(1.0f) == Approx(2.7182818f).epsilon(1e-7));
    CHECK(exp_ref(-std::numeric_limits<float>::infinity()) == 0.0f);
    CHECK(exp_ref(-85.91f) == 0.0f);
    CHECK(exp_ref(-1000.0f) == 0.0f);
    CHECK(exp_ref(88.72f) > 3.3e38f);
    CHECK(std::isinf(exp_ref(88.73f)));
    CHECK(std::isinf(exp_ref(std::numeric_limits<float>::infinity())));
    CHECK(std::isnan(exp_ref(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("exp_f32 and silu_mul_f32 equal their scalar definitions bit for bit on every variant", "[exp][simd]") {
    std::vector<float> xs = sweep(1e-30f, 100.0f, 100003);
    for (float e : {0.0f, -0.0f, 88.72283935546875f, 88.7228394f, -85.9f, -85.90001f, -85.89999f, 1e-45f,
                    std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN(), 0.34657359f, -0.34657359f, 0.5f * 0.6931472f}) {
        xs.push_back(e);
    }
    while (xs.size() % 4 != 3) xs.push_back(0.25f);  // a scalar tail too
    const auto us = test::random_floats(xs.size(), 7, 3.0f);
    for (auto var : test::variants_under_test()) {
        INFO(kernel_variant_name(var));
        std::vector<float> y(xs.size());
        exp_f32(xs.data(), y.data(), int64_t(xs.size()), var);
        std::vector<float> g = xs;
        silu_mul_f32(g.data(), us.data(), int64_t(g.size()), var);
        size_t exp_bad = 0, silu_bad = 0;
        for (size_t i = 0; i < xs.size(); ++i) {
            const float we = exp_ref(xs[i]);
            const float ws = xs[i] / (1.0f + exp_ref(-xs[i])) * us[i];
            exp_bad += std::isnan(we) ? !std::isnan(y[i]) : float_bits(y[i]) != float_bits(we);
            silu_bad += std::isnan(ws) ? !std::isnan(g[i]) : float_bits(g[i]) != float_bits(ws);
        }
        CHECK(exp_bad == 0);
        CHECK(silu_bad == 0);
    }
}
