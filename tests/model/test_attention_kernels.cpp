#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/half.h"
#include "model/attention_kernels.h"
#include "support/test_support.h"

using namespace quantlab;

TEST_CASE("rounding to f16 precision equals fp16 -> fp32 of fp32 -> fp16", "[attention]") {
    // Every 2^12-th float bit pattern below infinity (both signs), plus the boundaries.
    std::vector<float> x;
    for (uint32_t u = 0; u < 0x7f800000u; u += 4093) {
        x.push_back(bits_float(u));
        x.push_back(-bits_float(u));
    }
    for (float b : {65504.0f, 65519.99f, 65520.0f, 6.1035156e-05f, 6.1035153e-05f, 5.9604645e-08f, 2.9802322e-08f,
                    2.9802326e-08f, 1.0f + std::ldexp(1.0f, -11), 0.0f, -0.0f}) {
        x.push_back(b);
    }
    // Every tie: the midpoint between each finite half and the next one up
    // (exact in float), where only round-half-to-even decides.
    for (uint32_t h = 0; h < 0x7bff; ++h) {
        const float mid = 0.5f * (fp16_to_fp32(uint16_t(h)) + fp16_to_fp32(uint16_t(h + 1)));
        x.push_back(mid);
        x.push_back(-mid);
    }
    for (auto v : test::variants_under_test()) {
        auto y = x;
        round_to_f16(y.data(), int64_t(y.size()), v);
        // The first mismatch, then one assertion: an INFO and a REQUIRE per
        // value made this test take 23 s in wasm.
        size_t bad = 0;
        while (bad < x.size() && float_bits(y[bad]) == float_bits(fp16_to_fp32(fp32_to_fp16(x[bad])))) ++bad;
        INFO(kernel_variant_name(v) << " x=" << (bad < x.size() ? x[bad] : 0.0f));
        CHECK(bad == x.size());
    }
}

TEST_CASE("f16 accumulate and rescale match their scalar definitions", "[attention]") {
    const auto a = test::random_floats(67, 5, 3.0f);
    const auto b = test::random_floats(67, 6, 1.0f);
    for (auto v : test::variants_under_test()) {
        auto acc = a;
        axpy_round_f16(acc.data(), b.data(), 0.37f, int64_t(acc.size()), v);
        for (size_t i = 0; i < acc.size(); ++i) CHECK(acc[i] == fp16_to_fp32(fp32_to_fp16(a[i] + b[i] * 0.37f)));
        acc = a;
        scale_round_f16(acc.data(), 0.81f, int64_t(acc.size()), v);
        for (size_t i = 0; i < acc.size(); ++i) CHECK(acc[i] == fp16_to_fp32(fp32_to_fp16(a[i] * 0.81f)));
        double exact = 0;
        for (size_t i = 0; i < a.size(); ++i) exact += double(a[i]) * b[i];
        CHECK(dot_f32(a.data(), b.data(), int64_t(a.size()), v) == Approx(exact).epsilon(1e-5));
    }
}

TEST_CASE("value accumulation over many rows equals its step-by-step definition", "[attention]") {
    for (int64_t d : {64, 8, 20, 6, 130}) {
        const int64_t n = 37, stride = d + 5;
        const auto v = test::random_floats(size_t(n * stride), 21, 2.0f);
        auto ms = test::random_floats(size_t(n), 22, 1.0f);
        auto vs = test::random_floats(size_t(n), 23, 1.0f);
        for (int64_t j = 0; j < n; ++j) {
            ms[size_t(j)] = j == 0 ? 0.0f : (j % 3 ? 1.0f : std::fabs(ms[size_t(j)]));  // first row, no-op rows, rescales
            vs[size_t(j)] = std::fabs(vs[size_t(j)]);
        }
        std::vector<float> want(size_t(d), 0.0f);
        for (int64_t j = 0; j < n; ++j) {
            if (ms[size_t(j)] != 1.0f) scale_round_f16(want.data(), ms[size_t(j)], d, KernelVariant::Ref);
            axpy_round_f16(want.data(), v.data() + j * stride, vs[size_t(j)], d, KernelVariant::Ref);
        }
        for (auto var : test::variants_under_test()) {
            std::vector<float> acc(size_t(d), 0.0f);
            accumulate_values_f16(acc.data(), v.data(), stride, ms.data(), vs.data(), n, d, var);
            INFO(kernel_variant_name(var) << " d=" << d);
            CHECK(std::memcmp(acc.data(), want.data(), size_t(d) * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("value accumulation of up to four queries equals one query at a time bit for bit", "[attention]") {
    // Queries take different numbers of rows (as causal tokens do: n, n+1, ...),
    // some start from a non-zero accumulator, and widths cover whole x86 chunks
    // (16 at AVX2, 64 at AVX-512) and tails.
    for (int64_t d : {64, 128, 16, 48, 72, 8, 6}) {
        for (int nq = 1; nq <= 4; ++nq) {
            const int64_t n_max = 41, stride = d + 3;
            const auto v = test::random_floats(size_t(n_max * stride), 31, 2.0f);
            std::vector<std::vector<float>> ms(4), vs(4), start(4);
            int64_t n[4];
            for (int q = 0; q < 4; ++q) {
                n[q] = n_max - 3 + q - (q == 2 ? 9 : 0);  // 38, 39, 31, 41 rows
                ms[size_t(q)] = test::random_floats(size_t(n_max), 40 + q, 1.0f);
                vs[size_t(q)] = test::random_floats(size_t(n_max), 50 + q, 1.0f);
                for (int64_t j = 0; j < n_max; ++j) {
                    float& m = ms[size_t(q)][size_t(j)];
                    m = (j + q) % 4 ? 1.0f : std::fabs(m);  // rescales at different rows per query
                    vs[size_t(q)][size_t(j)] = std::fabs(vs[size_t(q)][size_t(j)]);
                }
                start[size_t(q)] = test::random_floats(size_t(d), 60 + q, q == 1 ? 0.0f : 3.0f);
                round_to_f16(start[size_t(q)].data(), d, KernelVariant::Ref);
            }
            for (auto var : test::variants_under_test()) {
                std::vector<std::vector<float>> want = start, got = start;
                float* acc[4];
                const float* msp[4];
                const float* vsp[4];
                for (int q = 0; q < nq; ++q) {
                    accumulate_values_f16(want[size_t(q)].data(), v.data(), stride, ms[size_t(q)].data(),
                                          vs[size_t(q)].data(), n[q], d, KernelVariant::Ref);
                    acc[q] = got[size_t(q)].data();
                    msp[q] = ms[size_t(q)].data();
                    vsp[q] = vs[size_t(q)].data();
                }
                accumulate_values_f16_queries(acc, v.data(), stride, msp, vsp, n, nq, d, var);
                for (int q = 0; q < nq; ++q) {
                    INFO(kernel_variant_name(var) << " d=" << d << " nq=" << nq << " query " << q);
                    CHECK(std::memcmp(got[size_t(q)].data(), want[size_t(q)].data(), size_t(d) * sizeof(float)) == 0);
                }
            }
        }
    }
}

TEST_CASE("f32 value accumulation of up to four queries equals its scalar definition bit for bit", "[attention]") {
    // The batched path's accumulator: acc + v * w per column, row after row,
    // a multiply then an add. Queries take different numbers of rows, start
    // from non-zero accumulators, and widths cover whole x86 chunks (16 at
    // AVX2, 64 at AVX-512), SIMD128's 4 and 16, and tails.
    for (int64_t d : {64, 128, 16, 48, 72, 8, 6, 1}) {
        for (int nq = 1; nq <= 4; ++nq) {
            const int64_t n_max = 45, stride = d + 3;
            const auto v = test::random_floats(size_t(n_max * stride), 71, 2.0f);
            std::vector<std::vector<float>> w(4), start(4);
            int64_t n[4];
            for (int q = 0; q < 4; ++q) {
                n[q] = n_max - 3 + q - (q == 2 ? 9 : 0);  // 42, 43, 35, 45 rows
                w[size_t(q)] = test::random_floats(size_t(n_max), 80 + q, 1.0f);
                start[size_t(q)] = test::random_floats(size_t(d), 90 + q, q == 1 ? 0.0f : 3.0f);
            }
            std::vector<std::vector<float>> want = start;
            for (int q = 0; q < nq; ++q) {
                for (int64_t j = 0; j < n[q]; ++j) {
                    for (int64_t c = 0; c < d; ++c) {
                        const volatile float prod = v[size_t(j * stride + c)] * w[size_t(q)][size_t(j)];  // no FMA
                        want[size_t(q)][size_t(c)] += prod;
                    }
                }
            }
            for (auto var : test::variants_under_test()) {
                std::vector<std::vector<float>> got = start;
                float* acc[4];
                const float* wp[4];
                for (int q = 0; q < nq; ++q) {
                    acc[q] = got[size_t(q)].data();
                    wp[q] = w[size_t(q)].data();
                }
                accumulate_values_f32_queries(acc, v.data(), stride, wp, n, nq, d, var);
                for (int q = 0; q < 4; ++q) {
                    INFO(kernel_variant_name(var) << " d=" << d << " nq=" << nq << " query " << q);
                    // Queries past nq are untouched.
                    CHECK(std::memcmp(got[size_t(q)].data(), (q < nq ? want : start)[size_t(q)].data(),
                                      size_t(d) * sizeof(float)) == 0);
                }
            }
        }
    }
}

TEST_CASE("scores of up to four queries equal dot_f32 per query bit for bit", "[attention]") {
    // Head widths with and without a tail past the 32-value groups, one wider
    // than the AVX-512 kernel's on-stack query buffer, and key strides wider
    // than a head.
    for (int64_t d : {32, 64, 128, 288, 8, 40}) {
        const int64_t n_keys = 23, stride = 3 * d + 4;
        const auto keys = test::random_floats(size_t(n_keys * stride), 31, 2.0f);
        const auto qs = test::random_floats(size_t(4 * d), 32, 1.5f);
        const float* q[4] = {qs.data(), qs.data() + d, qs.data() + 2 * d, qs.data() + 3 * d};
        for (auto v : test::variants_under_test()) {
            for (int nq = 1; nq <= 4; ++nq) {
                std::vector<float> scores(size_t(4 * n_keys), -1.0f);
                dot_f32_keys(keys.data() + 2, stride, n_keys, q, nq, d, scores.data(), v);
                for (int k = 0; k < nq; ++k) {
                    for (int64_t j = 0; j < n_keys; ++j) {
                        const float want = dot_f32(keys.data() + 2 + j * stride, q[k], d, v);
                        INFO(kernel_variant_name(v) << " d=" << d << " nq=" << nq << " k=" << k << " j=" << j);
                        REQUIRE(float_bits(scores[size_t(k * n_keys + j)]) == float_bits(want));
                    }
                }
                for (size_t i = size_t(nq * n_keys); i < scores.size(); ++i) REQUIRE(scores[i] == -1.0f);
            }
        }
    }
}
