// IQ4_NL and IQ4_XS beyond the golden files: table lookups and scale packing
// checked by hand, nearest-level ties, the 7-step scale search and its
// imatrix weighting, dot products against exact integer arithmetic, and the
// SIMD128 search on edge-case inputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "formats/block_types.h"
#include "formats/quantize.h"
#include "formats/ref/iq_quants_ref.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

// ---------------------------------------------------------------- layouts

TEST_CASE("IQ4_NL looks nibbles up in the non-linear table", "[iq]") {
    block_iq4_nl b;
    b.d = fp32_to_fp16(0.5f);
    for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | ((15 - j) << 4));
    std::vector<float> y(32);
    dequantize_row_iq4_nl_ref(&b, y.data(), 32);
    for (int j = 0; j < 16; ++j) {
        CHECK(y[size_t(j)] == 0.5f * kIq4nlValues[j]);
        CHECK(y[size_t(j) + 16] == 0.5f * kIq4nlValues[15 - j]);
    }
    CHECK(y[0] == -63.5f);
    CHECK(y[16] == 56.5f);
}

TEST_CASE("IQ4_XS packs eight 6-bit sub-block scales around 32", "[iq]") {
    block_iq4_xs b{};
    b.d = fp32_to_fp16(0.25f);
    const int ls[8] = {0, 63, 32, 31, 33, 1, 47, 16};  // stored scale; the multiplier is ls - 32
    for (int ib = 0; ib < 8; ++ib) {
        b.scales_l[ib / 2] |= uint8_t((ls[ib] & 0xf) << 4 * (ib % 2));
        b.scales_h |= uint16_t((ls[ib] >> 4) << 2 * ib);
    }
    for (int j = 0; j < QK_K / 2; ++j) b.qs[j] = uint8_t(((j % 16) << 4) | (j % 16));
    std::vector<float> y(QK_K);
    dequantize_row_iq4_xs_ref(&b, y.data(), QK_K);
    for (int ib = 0; ib < 8; ++ib) {
        INFO("sub-block " << ib);
        const float dl = 0.25f * float(ls[ib] - 32);
        for (int j = 0; j < 16; ++j) {
            CHECK(y[size_t(32 * ib + j)] == dl * kIq4nlValues[j]);
            CHECK(y[size_t(32 * ib + 16 + j)] == dl * kIq4nlValues[j]);
        }
    }
    CHECK(y[0] == 0.25f * -32.0f * -127.0f);  // ls 0: the most negative multiplier
    CHECK(y[32 + 15] == 0.25f * 31.0f * 113.0f);
    CHECK(y[64 + 5] == 0.0f);  // ls 32: a zero multiplier
}

TEST_CASE("IQ4 nearest-level search sends exact midpoints to the upper level", "[iq]") {
    // quantize_row_iq4_nl_ref keeps the indices of its first pass, where the
    // absmax -127 gives d = 1: the indices are those of x itself.
    std::vector<float> x(32, 0.0f);
    x[0] = -127.0f;
    x[1] = 7.0f;      // midpoint of 1 and 13 -> 13 (index 9)
    x[2] = -4.5f;     // midpoint of -10 and 1 -> 1 (index 8)
    x[3] = 6.99f;     // just below -> 1 (index 8)
    x[4] = -115.5f;   // midpoint of -127 and -104 -> -104 (index 1)
    x[5] = 113.0f;    // the top level (index 15)
    x[17] = -4.51f;   // just below a midpoint -> -10 (index 7)
    for (auto v : variants_under_test()) {
        INFO(kernel_variant_name(v));
        const auto k = resolve_kernels(type_traits(GgmlType::IQ4_NL), v);
        block_iq4_nl b;
        k.quantize_row(x.data(), &b, 32);
        CHECK((b.qs[0] & 0xf) == 0);
        CHECK(b.qs[1] == (9 | (7 << 4)));
        CHECK(b.qs[2] == (8 | (8 << 4)));
        CHECK(b.qs[3] == (8 | (8 << 4)));
        CHECK(b.qs[4] == (1 | (8 << 4)));
        CHECK(b.qs[5] == (15 | (8 << 4)));
        // The scale is then refitted by least squares; it stays near 1.
        CHECK(std::fabs(fp16_to_fp32(b.d) - 1.0f) < 0.05f);
    }
}

TEST_CASE("IQ4_NL's reference row quantizer repeats indices into all-zero blocks", "[iq]") {
    // ggml keeps one index buffer for the whole row and skips all-zero blocks,
    // so such a block re-emits the previous block's nibbles (with d = 0, so it
    // still dequantizes to zeros). The SIMD128 kernel must do the same.
    auto x = random_floats(96, 3, 1.0f);
    for (size_t j = 32; j < 64; ++j) x[j] = 0.0f;
    for (auto v : variants_under_test()) {
        INFO(kernel_variant_name(v));
        block_iq4_nl b[3];
        resolve_kernels(type_traits(GgmlType::IQ4_NL), v).quantize_row(x.data(), b, 96);
        CHECK(b[1].d == 0);
        CHECK(std::memcmp(b[1].qs, b[0].qs, 16) == 0);
        CHECK(std::memcmp(b[2].qs, b[0].qs, 16) != 0);
    }
}

TEST_CASE("IQ4_XS encodes an all-zero super-block as ggml does", "[iq]") {
    const std::vector<float> x(QK_K, 0.0f);
    block_iq4_xs b;
    quantize_row_iq4_xs_ref(x.data(), &b, QK_K);
    CHECK(b.d == 0x8000);          // -0: the zero max scale divided by -32
    CHECK(b.scales_h == 0xaaaa);   // every scale is 0 + 32: high bits 0b10
    for (uint8_t l : b.scales_l) CHECK(l == 0);
    for (uint8_t q : b.qs) CHECK(q == 0x88);  // level 8 (value 1) is nearest to 0
}

// ---------------------------------------------------------------- the scale search

TEST_CASE("the 7-step scale search beats the reference row quantizer", "[iq]") {
    const auto& t = type_traits(GgmlType::IQ4_NL);
    const auto x = weights_like(4096, 5);
    std::vector<uint8_t> row(quantized_size(t, x.size()));
    t.ref.quantize_row(x.data(), row.data(), int64_t(x.size()));
    const auto searched = quantize_with(t, x, nullptr, KernelVariant::Ref);
    CHECK(searched != row);
    const auto y_row = dequantize(t, row.data(), row.size(), x.size(), KernelVariant::Ref);
    const auto y_searched = dequantize(t, searched.data(), searched.size(), x.size(), KernelVariant::Ref);
    // The search minimizes sum(x^2 (x - y)^2) per block, so check that.
    std::vector<float> w(x.size());
    for (size_t i = 0; i < x.size(); ++i) w[i] = x[i] * x[i];
    CHECK(weighted_sq_error(x, y_searched, w) < weighted_sq_error(x, y_row, w));
    CHECK(rmse(x, y_searched) < 0.09);
}

TEST_CASE("a uniform imatrix gives valid IQ4 blocks no worse than no imatrix", "[iq][imatrix]") {
    const size_t n = 4096;
    const auto x = weights_like(n, 5);
    const std::vector<float> ones(n, 1.0f);
    for (const char* name : {"iq4_nl", "iq4_xs"}) {
        const auto& t = type_traits_by_name(name);
        INFO(name);
        REQUIRE(t.uses_imatrix);
        const auto plain = roundtrip(t, x, nullptr);
        const auto weighted = roundtrip(t, x, &ones);
        REQUIRE(all_finite(weighted));
        // Measured: 0.0806 (NL) and 0.0812 (XS) against 0.0825 and 0.0828.
        CHECK(rmse(x, weighted) <= rmse(x, plain));
        CHECK(rmse(x, weighted) <= 0.083);
        CHECK(quantize_with(t, x, &ones, KernelVariant::Ref) != quantize_with(t, x, nullptr, KernelVariant::Ref));
    }
}

TEST_CASE("a skewed imatrix lowers the importance-weighted IQ4 error", "[iq][imatrix]") {
    const size_t n = 4096;
    const auto x = weights_like(n, 5);
    const auto im = skewed_imatrix(n, 77);
    for (const char* name : {"iq4_nl", "iq4_xs"}) {
        const auto& t = type_traits_by_name(name);
        const double e_plain = weighted_sq_error(x, roundtrip(t, x, nullptr), im);
        const double e_imatrix = weighted_sq_error(x, roundtrip(t, x, &im), im);
        INFO(name << " plain " << e_plain << " imatrix " << e_imatrix);
        CHECK(e_imatrix < 0.85 * e_plain);  // measured 0.72 and 0.74
    }
}

TEST_CASE("degenerate importance weights give finite IQ4 blocks", "[iq][imatrix]") {
    const size_t n = 512;
    auto x = weights_like(n, 9);
    for (size_t j = 64; j < 96; ++j) x[j] = 0.0f;
    const std::vector<float> zeros(n, 0.0f);
    auto partly_zero = skewed_imatrix(n, 4);
    for (size_t j = 288; j < 320; ++j) partly_zero[j] = 0.0f;

    const auto& nl = type_traits(GgmlType::IQ4_NL);
    const auto& xs = type_traits(GgmlType::IQ4_XS);
    for (const std::vector<float>* im : std::initializer_list<const std::vector<float>*>{&zeros, &partly_zero}) {
        CHECK(all_finite(roundtrip(nl, x, im)));
        CHECK(all_finite(roundtrip(xs, x, im)));
    }
    // IQ4_NL: ggml's least-squares scale is 0/0 (NaN) for a block whose weights
    // are all zero; quantlab quantizes such a block as without an imatrix.
    const auto q_zero_im = quantize_with(nl, x, &zeros, KernelVariant::Ref);
    CHECK(q_zero_im == quantize_with(nl, x, nullptr, KernelVariant::Ref));
    const auto q_part = quantize_with(nl, x, &partly_zero, KernelVariant::Ref);
    const auto q_none = quantize_with(nl, x, nullptr, KernelVariant::Ref);
    const size_t blk = 288 / 32;
    CHECK(std::memcmp(q_part.data() + blk * 18, q_none.data() + blk * 18, 18) == 0);
    // IQ4_XS keeps ggml's result: a sub-block with zero importance gets scale
    // 32 (multiplier 0) and dequantizes to zeros, the others are unaffected.
    const auto y_xs = roundtrip(xs, x, &partly_zero);
    for (size_t j = 288; j < 320; ++j) CHECK(y_xs[j] == 0.0f);
    CHECK(rmse(std::vector<float>(x.begin(), x.begin() + 256), std::vector<float>(y_xs.begin(), y_xs.begin() + 256)) <
          0.1);
}

TEST_CASE("SIMD128 IQ4 quantizers equal the reference, imatrix or not", "[iq][imatrix][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    const size_t n = 2048;
    auto x = weights_like(n, 31);
    for (size_t j = 256; j < 288; ++j) x[j] = 0.0f;
    const std::vector<float> ones(n, 1.0f), zeros(n, 0.0f);
    auto skewed = skewed_imatrix(n, 32);
    for (size_t j = 512; j < 544; ++j) skewed[j] = 0.0f;
    for (const char* name : {"iq4_nl", "iq4_xs"}) {
        const auto& t = type_traits_by_name(name);
        INFO(name);
        CHECK(quantize_with(t, x, nullptr, KernelVariant::Simd128) == quantize_with(t, x, nullptr, KernelVariant::Ref));
        for (const std::vector<float>* im : std::initializer_list<const std::vector<float>*>{&ones, &zeros, &skewed}) {
            CHECK(quantize_with(t, x, im, KernelVariant::Simd128) == quantize_with(t, x, im, KernelVariant::Ref));
        }
        // Rows of 512 with an imatrix of that length.
        const std::vector<float> im512(skewed.begin(), skewed.begin() + 512);
        CHECK(quantize_with(t, x, &im512, KernelVariant::Simd128, 512) ==
              quantize_with(t, x, &im512, KernelVariant::Ref, 512));
    }
}

TEST_CASE("SIMD128 IQ4 kernels match the reference on edge-case inputs", "[iq][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    std::vector<float> x;
    auto add_block = [&](auto gen) {
        for (int j = 0; j < 32; ++j) x.push_back(gen(j));
    };
    add_block([](int j) { return j == 7 ? -0.0f : 0.0f; });
    add_block([](int j) { return float(j - 16) * 1e-39f; });        // subnormal: 1/d overflows
    add_block([](int j) { return float(j % 5) * 1e-44f; });
    add_block([](int j) { return j == 0 ? -127.0f : float(kIq4nlValues[j % 16]) + (j % 2 ? 0.5f : -0.5f); });
    add_block([](int j) { return j == 0 ? 254.0f : float(j * 3 - 48); });  // halves of table midpoints
    add_block([](int j) { return j == 4 ? 3e19f : 1e-3f * float(j); });    // x^2 overflows: NaN scale paths
    add_block([](int j) { return 1e-16f * float(j - 10); });               // near the all-zero threshold
    add_block([](int j) { return j % 2 ? 5.0f : -5.0f; });
    while (x.size() % QK_K != 0) x.push_back(std::sin(float(x.size())));
    for (const char* name : {"iq4_nl", "iq4_xs"}) {
        const auto& t = type_traits_by_name(name);
        const auto simd = resolve_kernels(t, KernelVariant::Simd128);
        const size_t bs = size_t(t.block_size);
        for (size_t b = 0; b < x.size() / bs; ++b) {
            INFO(name << " block " << b);
            std::vector<uint8_t> qa(t.type_size), qb(t.type_size);
            t.ref.quantize_row(x.data() + bs * b, qa.data(), int64_t(bs));
            simd.quantize_row(x.data() + bs * b, qb.data(), int64_t(bs));
            CHECK(qa == qb);
            t.ref.quantize(x.data() + bs * b, qa.data(), 1, int64_t(bs), nullptr);
            simd.quantize(x.data() + bs * b, qb.data(), 1, int64_t(bs), nullptr);
            CHECK(qa == qb);
            std::vector<float> ya(bs), yb(bs);
            t.ref.dequantize_row(qa.data(), ya.data(), int64_t(bs));
            simd.dequantize_row(qa.data(), yb.data(), int64_t(bs));
            CHECK(std::memcmp(ya.data(), yb.data(), bs * sizeof(float)) == 0);
        }
    }
}

// ---------------------------------------------------------------- dot products

TEST_CASE("IQ4_NL x Q8_0 dot product is exact up to float rounding", "[iq][dot]") {
    const auto& t = type_traits(GgmlType::IQ4_NL);
    const auto& a = type_traits(GgmlType::Q8_0);
    for (size_t nb : {size_t(1), size_t(7), size_t(128)}) {
        const size_t n = 32 * nb;
        const auto w = weights_like(n, 40 + uint32_t(nb));
        const auto act = random_floats(n, 50 + uint32_t(nb), 3.0f);
        std::vector<uint8_t> wq(quantized_size(t, n)), aq(quantized_size(a, n));
        t.ref.quantize(w.data(), wq.data(), 1, int64_t(n), nullptr);
        a.ref.quantize_row(act.data(), aq.data(), int64_t(n));
        // fp16 * int8 values: the double products are exact.
        const auto [truth, mag] = dequantized_dot(t, wq.data(), a, aq.data(), n);
        const double bound = double(nb + 2) * std::ldexp(1.0, -24) * mag;
        for (auto v : variants_under_test()) {
            const float got = resolve_kernels(t, v).vec_dot(int64_t(n), wq.data(), aq.data());
            INFO("nb=" << nb << " " << kernel_variant_name(v) << " got=" << got << " truth=" << truth);
            CHECK(std::fabs(double(got) - truth) <= bound);
        }
    }
}

TEST_CASE("IQ4_XS x Q8_K dot product is exact up to float rounding", "[iq][dot]") {
    const auto& t = type_traits(GgmlType::IQ4_XS);
    REQUIRE(t.vec_dot_type == GgmlType::Q8_K);
    for (size_t nb : {size_t(1), size_t(9)}) {
        const size_t n = QK_K * nb;
        const auto w = weights_like(n, 60 + uint32_t(nb));
        std::vector<block_iq4_xs> wq(nb);
        quantize_row_iq4_xs_ref(w.data(), wq.data(), int64_t(n));
        const auto y = make_q8_K(nb, 70 + uint32_t(nb));
        // With d = 1 the dequantized values are the integers (ls - 32) * level.
        auto w1 = wq;
        for (auto& b : w1) b.d = fp32_to_fp16(1.0f);
        std::vector<float> wi(n);
        dequantize_row_iq4_xs_ref(w1.data(), wi.data(), int64_t(n));
        double truth = 0.0, mag = 0.0;
        for (size_t b = 0; b < nb; ++b) {
            const double d = double(fp16_to_fp32(wq[b].d)) * y[b].d;
            double sum = 0.0, abs_sum = 0.0;
            for (int j = 0; j < QK_K; ++j) {
                sum += double(wi[b * QK_K + size_t(j)]) * y[b].qs[j];
                abs_sum += std::fabs(double(wi[b * QK_K + size_t(j)]) * y[b].qs[j]);
            }
            truth += d * sum;
            mag += std::fabs(d) * abs_sum;
        }
        REQUIRE(mag > 0.0);
        // ggml rounds the scale products and one sum per sub-block.
        const double bound = double(8 * nb + 4) * std::ldexp(1.0, -24) * mag;
        for (auto v : variants_under_test()) {
            const float got = resolve_kernels(t, v).vec_dot(int64_t(n), wq.data(), y.data());
            INFO("nb=" << nb << " " << kernel_variant_name(v) << " got=" << got << " truth=" << truth);
            CHECK(std::fabs(double(got) - truth) <= bound);
        }
    }
}
