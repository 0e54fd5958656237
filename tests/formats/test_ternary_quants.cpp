// TQ1_0 and TQ2_0 beyond the golden vectors: what the digits mean, the base-3
// packing, inputs aimed at the rounding and at non-finite scales, arbitrary
// block bytes, and SIMD128 = reference bit for bit for all four kernels
// (dot products included: their super-block sums are exact integers).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/quantize.h"
#include "formats/ref/ternary_quants_ref.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

const TypeTraits& tq1() { return type_traits(GgmlType::TQ1_0); }
const TypeTraits& tq2() { return type_traits(GgmlType::TQ2_0); }

uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Inputs aimed at the kernels: exact half-way values (round away from zero),
// values equal to +-max, signed zeros, a float-subnormal max (1/d = inf),
// fp16 subnormal and overflowing scales, and random rows.
std::vector<float> stress_input() {
    std::vector<float> x;
    auto block = [&x](auto f) {
        for (int j = 0; j < QK_K; ++j) x.push_back(f(j));
    };
    block([](int j) { return float(j % 5 - 2) * 0.5f; });                 // max 1: +-0.5 are ties
    block([](int j) { return j == 7 ? -3.0f : float(j % 3 - 1) * 1.5f; }); // max |-3|: +-1.5 ties
    block([](int j) { return j % 2 ? -0.0f : 0.0f; });                     // all signed zeros
    block([](int j) { return float(j % 7 - 3) * 1e-40f; });                // float subnormals
    block([](int j) { return float(j % 9 - 4) * 1e-6f; });                 // d in fp16's subnormal range
    block([](int j) { return float(j % 3 - 1) * 7e4f; });                  // d overflows fp16 to inf
    block([](int j) { return j % 4 == 0 ? 1e-30f : 0.0f; });
    const auto r = random_floats(QK_K * 9, 4242, 2.0f);
    x.insert(x.end(), r.begin(), r.end());
    return x;
}

}  // namespace

TEST_CASE("TQ1_0 / TQ2_0: ternary rows come back exactly", "[tq]") {
    // x in {-a, 0, a} with a exact in fp16: d = a and every value is a digit.
    std::vector<float> x(QK_K * 3);
    for (size_t j = 0; j < x.size(); ++j) {
        const float a = j < QK_K ? 0.375f : j < 2 * QK_K ? 1024.0f : 0x1p-10f;
        x[j] = float(int((j * 7 + j / 3) % 3) - 1) * a;
    }
    for (const TypeTraits* t : {&tq1(), &tq2()}) {
        for (auto v : variants_under_test()) {
            INFO(t->name << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.variant = v;
            const auto q = quantize(*t, x.data(), x.size(), opt);
            CHECK(q.size() == x.size() / QK_K * t->type_size);
            const auto y = dequantize(*t, q.data(), q.size(), x.size(), v);
            CHECK(y == x);
        }
    }
}

TEST_CASE("TQ1_0 packs five digits as ceil(v * 256 / 243) and reads each back", "[tq]") {
    // Every 5-digit base-3 number (0..242): one qs byte of a block, through the kernels.
    for (int v = 0; v < 243; ++v) {
        int digits[5];
        for (int t = 4, r = v; t >= 0; --t, r /= 3) digits[t] = r % 3;
        std::vector<float> x(QK_K, 0.0f);
        x[0] = 1.0f;  // d = 1 (byte 0 holds x[0], x[32], ..., so it is the other bytes we use)
        for (int t = 0; t < 5; ++t) x[size_t(tq1_0_qs_value(5, t))] = float(digits[t] - 1);
        block_tq1_0 b;
        quantize_row_tq1_0_ref(x.data(), &b, QK_K);
        INFO("v = " << v);
        CHECK(int(b.qs[5]) == (v * 256 + 242) / 243);
        std::vector<float> y(QK_K);
        dequantize_row_tq1_0_ref(&b, y.data(), QK_K);
        for (int t = 0; t < 5; ++t) CHECK(y[size_t(tq1_0_qs_value(5, t))] == float(digits[t] - 1));
    }
    // Known bytes: all-zero values are digits 1 1 1 1 1 = 121 -> 128; qh has four digits and a 0.
    std::vector<float> zeros(QK_K, 0.0f);
    block_tq1_0 b;
    quantize_row_tq1_0_ref(zeros.data(), &b, QK_K);
    CHECK(b.qs[0] == 0x80);
    CHECK(b.qh[0] == 0x7f);  // 1111 then 0 = 120 -> ceil(120 * 256 / 243) = 127
    CHECK(b.d == 0);
}

TEST_CASE("TQ: a float-subnormal max gives digit 1 everywhere (ggml's lroundf of inf and NaN)", "[tq]") {
    std::vector<float> x(QK_K);
    for (int j = 0; j < QK_K; ++j) x[size_t(j)] = float(j % 3 - 1) * 2e-39f;
    block_tq2_0 b2;
    quantize_row_tq2_0_ref(x.data(), &b2, QK_K);
    for (uint8_t byte : b2.qs) CHECK(byte == 0x55);
    CHECK(b2.d == 0);
    block_tq1_0 b1;
    quantize_row_tq1_0_ref(x.data(), &b1, QK_K);
    for (uint8_t byte : b1.qs) CHECK(byte == 0x80);
}

TEST_CASE("TQ: the importance matrix is ignored, as ggml does", "[tq]") {
    const auto x = random_floats(QK_K * 4, 9, 1.0f);
    std::vector<float> w(QK_K * 2);
    for (size_t j = 0; j < w.size(); ++j) w[j] = float(j % 17) + 0.5f;
    for (const TypeTraits* t : {&tq1(), &tq2()}) {
        QuantizeOptions plain, weighted;
        plain.n_per_row = weighted.n_per_row = QK_K * 2;
        weighted.imatrix = w.data();
        weighted.imatrix_len = w.size();
        CHECK(quantize(*t, x.data(), x.size(), plain) == quantize(*t, x.data(), x.size(), weighted));
    }
}

TEST_CASE("TQ SIMD128 quantizers and dequantizers equal the reference on stress inputs", "[tq][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: nothing to compare");
        return;
    }
    const auto x = stress_input();
    for (const TypeTraits* t : {&tq1(), &tq2()}) {
        INFO(t->name);
        const KernelSet s = resolve_kernels(*t, KernelVariant::Simd128);
        const size_t bytes = quantized_size(*t, x.size());
        std::vector<uint8_t> qa(bytes, 0x11), qb(bytes, 0x22);
        t->ref.quantize_row(x.data(), qa.data(), int64_t(x.size()));
        s.quantize_row(x.data(), qb.data(), int64_t(x.size()));
        CHECK(qa == qb);
        std::vector<float> ya(x.size()), yb(x.size());
        t->ref.dequantize_row(qa.data(), ya.data(), int64_t(x.size()));
        s.dequantize_row(qa.data(), yb.data(), int64_t(x.size()));
        CHECK(std::memcmp(ya.data(), yb.data(), ya.size() * 4) == 0);
    }
}

TEST_CASE("TQ SIMD128 dequantizers equal the reference on arbitrary bytes and scales", "[tq][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: nothing to compare");
        return;
    }
    // Every byte value in every position over the blocks, and fp16 scales
    // including subnormals, +-0, infinities and NaN (NaNs compared as NaN).
    const uint16_t scales[] = {0x3c00, 0x0001, 0x8000, 0x0000, 0x7c00, 0xfc00, 0x7e00, 0x4bff, 0xb555, 0x03ff};
    for (const TypeTraits* t : {&tq1(), &tq2()}) {
        INFO(t->name);
        const int nb = 40;
        std::vector<uint8_t> q(size_t(nb) * t->type_size);
        for (size_t i = 0; i < q.size(); ++i) q[i] = uint8_t(i * 37 + i / 251);
        for (int b = 0; b < nb; ++b) {
            const uint16_t h = scales[size_t(b) % (sizeof scales / sizeof scales[0])];
            std::memcpy(q.data() + size_t(b) * t->type_size + t->type_size - 2, &h, 2);  // d is last in both
        }
        const KernelSet s = resolve_kernels(*t, KernelVariant::Simd128);
        std::vector<float> ya(size_t(nb) * QK_K), yb(ya.size());
        t->ref.dequantize_row(q.data(), ya.data(), int64_t(ya.size()));
        s.dequantize_row(q.data(), yb.data(), int64_t(yb.size()));
        size_t mismatches = 0;
        for (size_t i = 0; i < ya.size(); ++i) {
            const bool same = bits_of(ya[i]) == bits_of(yb[i]) || (std::isnan(ya[i]) && std::isnan(yb[i]));
            mismatches += same ? 0 : 1;
        }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("TQ SIMD128 dot products equal the reference bit for bit", "[tq][simd]") {
    const KernelVariant v = simd128_compiled() ? KernelVariant::Simd128 : KernelVariant::Ref;
    const TypeTraits& q8 = type_traits(GgmlType::Q8_K);
    for (const TypeTraits* t : {&tq1(), &tq2()}) {
        const KernelSet s = resolve_kernels(*t, v);
        for (int nb : {1, 2, 5, 16}) {
            for (int rep = 0; rep < 6; ++rep) {
                const size_t n = size_t(nb) * QK_K;
                const auto w = random_floats(n, uint32_t(100 * nb + rep), rep % 2 ? 50.0f : 0.02f);
                const auto a = random_floats(n, uint32_t(200 * nb + rep), rep % 3 ? 1.0f : 300.0f);
                std::vector<uint8_t> wq(quantized_size(*t, n)), aq(quantized_size(q8, n));
                t->ref.quantize_row(w.data(), wq.data(), int64_t(n));
                if (rep >= 4) {
                    // arbitrary weight bytes (TQ2_0's unused code 3, TQ1_0 bytes above 242), finite scales
                    for (size_t i = 0; i < wq.size(); ++i) wq[i] = uint8_t(i * 101 + size_t(rep));
                    for (int b = 0; b < nb; ++b) {
                        const uint16_t h = fp32_to_fp16(0.01f * float(b + 1));
                        std::memcpy(wq.data() + size_t(b + 1) * t->type_size - 2, &h, 2);
                    }
                }
                q8.ref.quantize_row(a.data(), aq.data(), int64_t(n));
                const float r = t->ref.vec_dot(int64_t(n), wq.data(), aq.data());
                const float x = s.vec_dot(int64_t(n), wq.data(), aq.data());
                // Real values: the reference against double arithmetic on the dequantized operands.
                const auto [truth, mag] = dequantized_dot(*t, wq.data(), q8, aq.data(), n);
                INFO(t->name << " blocks=" << nb << " rep=" << rep << " ref=" << r << " simd=" << x << " truth=" << truth);
                CHECK(bits_of(r) == bits_of(x));
                CHECK(std::fabs(double(r) - truth) <= 1e-5 * mag + 1e-30);
            }
        }
    }
}
