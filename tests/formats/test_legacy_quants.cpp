// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_1 beyond the golden files: hand-checked block
// layouts and rounding rules, the imatrix-weighted quantizers, dot products
// against exact arithmetic, and (at the end) the SIMD128 F16/BF16 conversions
// on every bit pattern.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "formats/block_types.h"
#include "formats/quantize.h"
#include "formats/ref/float_formats_ref.h"
#include "formats/ref/legacy_quants_ref.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

const char* const kImatrixTypes[] = {"q4_0", "q4_1", "q5_0", "q5_1"};

uint32_t qh_word(const uint8_t* qh) {
    uint32_t w;
    std::memcpy(&w, qh, sizeof w);
    return w;
}

}  // namespace

// ---------------------------------------------------------------- layouts and rounding

TEST_CASE("Q4_0 packs value j and j+16 into byte j and rounds half up", "[legacy]") {
    // x[0] = -8 is the signed absmax, so d = -8 / -8 = 1 and q = trunc(x + 8.5).
    std::vector<float> x(32, 0.0f);
    x[0] = -8.0f;
    x[1] = -0.5f;  // -> level 8 (value 0): a tie goes up, not away from zero
    x[2] = 0.5f;   // -> level 9 (value +1)
    x[3] = -1.5f;  // -> level 7
    x[4] = 7.9f;   // -> 16.4 truncates to 16, clamped to 15
    x[16] = 3.0f;  // second half: high nibble of byte 0
    x[17] = -3.0f;
    block_q4_0 b;
    quantize_row_q4_0_ref(x.data(), &b, 32);
    CHECK(fp16_to_fp32(b.d) == 1.0f);
    CHECK(b.qs[0] == (0x0 | (11 << 4)));
    CHECK(b.qs[1] == (0x8 | (5 << 4)));
    CHECK(b.qs[2] == (0x9 | (8 << 4)));
    CHECK(b.qs[3] == (0x7 | (8 << 4)));
    CHECK(b.qs[4] == (0xF | (8 << 4)));

    std::vector<float> y(32);
    dequantize_row_q4_0_ref(&b, y.data(), 32);
    CHECK(y[0] == -8.0f);
    CHECK(y[1] == 0.0f);
    CHECK(y[2] == 1.0f);
    CHECK(y[4] == 7.0f);
    CHECK(y[16] == 3.0f);
    CHECK(y[17] == -3.0f);
}

TEST_CASE("Q4_0 takes the first of equal magnitudes as the signed maximum", "[legacy]") {
    std::vector<float> x(32, 0.25f);
    x[3] = 2.0f;
    x[9] = -2.0f;  // same magnitude, later: d keeps the sign of x[3]
    block_q4_0 b;
    quantize_row_q4_0_ref(x.data(), &b, 32);
    CHECK(fp16_to_fp32(b.d) == -0.25f);
    std::reverse(x.begin(), x.end());  // now -2 comes first
    quantize_row_q4_0_ref(x.data(), &b, 32);
    CHECK(fp16_to_fp32(b.d) == 0.25f);
}

TEST_CASE("Q4_1 stores the block minimum and a 15-step scale", "[legacy]") {
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[size_t(j)] = float(j % 16) + 1.0f;  // 1 .. 16
    block_q4_1 b;
    quantize_row_q4_1_ref(x.data(), &b, 32);
    CHECK(fp16_to_fp32(b.d) == 1.0f);
    CHECK(fp16_to_fp32(b.m) == 1.0f);
    for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == (j | (j << 4)));
    std::vector<float> y(32);
    dequantize_row_q4_1_ref(&b, y.data(), 32);
    CHECK(y == x);
}

TEST_CASE("Q5_0 puts the fifth bit of value j in qh bit j", "[legacy]") {
    // d = -16 / -16 = 1, so the level is trunc(x + 16.5): 10 -> 26 (fifth bit
    // set), -10 -> 6 (clear), -16 -> 0.
    std::vector<float> x(32);
    uint32_t want_qh = 0;
    for (int j = 0; j < 32; ++j) {
        x[size_t(j)] = j % 3 == 0 ? 10.0f : -10.0f;
        if (j % 3 == 0) want_qh |= 1u << j;
    }
    x[5] = -16.0f;
    block_q5_0 b;
    quantize_row_q5_0_ref(x.data(), &b, 32);
    CHECK(fp16_to_fp32(b.d) == 1.0f);
    CHECK(qh_word(b.qh) == want_qh);
    CHECK(b.qh[0] == 0x49);  // bits 0, 3, 6 of the first byte
    // Low nibbles: 26 & 15 = 10, 6, and 0 for x[5]; x[16] is 6, x[21] is 26.
    CHECK(b.qs[0] == (10 | (6 << 4)));
    CHECK(b.qs[5] == (0 | (10 << 4)));
    std::vector<float> y(32);
    dequantize_row_q5_0_ref(&b, y.data(), 32);
    CHECK(y == x);
}

TEST_CASE("Q5_1 reconstructs 32 evenly spaced values exactly", "[legacy]") {
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[size_t(j)] = -4.0f + 0.25f * float((j * 7) % 32);
    block_q5_1 b;
    quantize_row_q5_1_ref(x.data(), &b, 32);
    CHECK(fp16_to_fp32(b.d) == 0.25f);
    CHECK(fp16_to_fp32(b.m) == -4.0f);
    uint32_t want_qh = 0;
    for (int j = 0; j < 32; ++j) {
        if ((j * 7) % 32 >= 16) want_qh |= 1u << j;
    }
    CHECK(qh_word(b.qh) == want_qh);
    std::vector<float> y(32);
    dequantize_row_q5_1_ref(&b, y.data(), 32);
    CHECK(y == x);
}

TEST_CASE("Q8_1 is Q8_0 plus s = d * sum(qs) rounded to fp16", "[legacy]") {
    const auto x = random_floats(32 * 9, 31, 3.0f);
    std::vector<block_q8_1> q1(9);
    std::vector<block_q8_0> q0(9);
    quantize_row_q8_1_ref(x.data(), q1.data(), int64_t(x.size()));
    quantize_row_q8_0_ref(x.data(), q0.data(), int64_t(x.size()));
    for (size_t i = 0; i < q1.size(); ++i) {
        INFO("block " << i);
        CHECK(q1[i].d == q0[i].d);
        CHECK(std::memcmp(q1[i].qs, q0[i].qs, 32) == 0);
        int sum = 0;
        for (int8_t v : q1[i].qs) sum += v;
        // ggml multiplies by the float d = amax / 127, before its fp16 rounding.
        float amax = 0.0f;
        for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * i + j]));
        CHECK(q1[i].s == fp32_to_fp16(float(sum) * (amax / 127.0f)));
        CHECK(q1[i].s != 0);  // the data is not symmetric enough to cancel
    }

    // roundf rounding: halves go away from zero (nearest-even would give 2 and -2).
    std::vector<float> h(32, 0.0f);
    h[0] = 127.0f;  // d = 1
    h[1] = 2.5f;
    h[2] = -2.5f;
    block_q8_1 b;
    quantize_row_q8_1_ref(h.data(), &b, 32);
    CHECK(b.qs[1] == 3);
    CHECK(b.qs[2] == -3);
    CHECK(fp16_to_fp32(b.s) == 127.0f);
}

TEST_CASE("all-zero blocks keep ggml's signed-zero scales", "[legacy]") {
    const std::vector<float> x(64, 0.0f);
    // Q4_0 and Q5_0 divide the +0 absmax by a negative number: d is -0.
    block_q4_0 a[2];
    quantize_row_q4_0_ref(x.data(), a, 64);
    CHECK(a[1].d == 0x8000);
    CHECK(a[1].qs[7] == 0x88);
    block_q5_0 c[2];
    quantize_row_q5_0_ref(x.data(), c, 64);
    CHECK(c[0].d == 0x8000);
    CHECK(qh_word(c[0].qh) == 0xFFFFFFFFu);  // level 16 has the fifth bit set
    block_q4_1 b[2];
    quantize_row_q4_1_ref(x.data(), b, 64);
    CHECK(b[0].d == 0);
    CHECK(b[0].m == 0);
}

// ---------------------------------------------------------------- dot products

TEST_CASE("Q4_0 and Q5_0 dot products are exact up to float rounding", "[legacy][dot]") {
    for (const char* name : {"q4_0", "q5_0"}) {
        const auto& t = type_traits_by_name(name);
        const auto& a = type_traits(t.vec_dot_type);
        for (size_t nb : {size_t(1), size_t(5), size_t(128)}) {
            const size_t n = 32 * nb;
            const auto w = weights_like(n, 3 + uint32_t(nb));
            const auto x = random_floats(n, 8 + uint32_t(nb), 2.0f);
            std::vector<uint8_t> wq(quantized_size(t, n)), xq(quantized_size(a, n));
            t.ref.quantize_row(w.data(), wq.data(), int64_t(n));
            a.ref.quantize_row(x.data(), xq.data(), int64_t(n));
            std::vector<float> wd(n), xd(n);
            t.ref.dequantize_row(wq.data(), wd.data(), int64_t(n));
            a.ref.dequantize_row(xq.data(), xd.data(), int64_t(n));
            // Every dequantized value is an fp16 times a small integer, so these
            // double products are exact and the double sum is accurate far
            // below the float bound.
            double truth = 0.0, mag = 0.0;
            for (size_t i = 0; i < n; ++i) {
                truth += double(wd[i]) * xd[i];
                mag += std::fabs(double(wd[i]) * xd[i]);
            }
            // Two roundings per block product, one per accumulation.
            const double bound = double(nb + 2) * std::ldexp(1.0, -24) * mag;
            for (auto v : variants_under_test()) {
                const float got = resolve_kernels(t, v).vec_dot(int64_t(n), wq.data(), xq.data());
                INFO(name << " nb=" << nb << " " << kernel_variant_name(v) << " got=" << got << " truth=" << truth);
                CHECK(std::fabs(double(got) - truth) <= bound);
            }
        }
    }
}

TEST_CASE("Q4_1 and Q5_1 dot products use Q8_1's rounded block sum", "[legacy][dot]") {
    for (const char* name : {"q4_1", "q5_1"}) {
        const auto& t = type_traits_by_name(name);
        const auto& a = type_traits(GgmlType::Q8_1);
        REQUIRE(t.vec_dot_type == GgmlType::Q8_1);
        const size_t nb = 40, n = 32 * nb;
        const auto w = weights_like(n, 17);
        const auto x = random_floats(n, 18, 2.0f);
        std::vector<uint8_t> wq(quantized_size(t, n));
        std::vector<block_q8_1> xq(nb);
        t.ref.quantize_row(w.data(), wq.data(), int64_t(n));
        a.ref.quantize_row(x.data(), xq.data(), int64_t(n));
        std::vector<float> wd(n), xd(n), wd0(n);
        t.ref.dequantize_row(wq.data(), wd.data(), int64_t(n));
        a.ref.dequantize_row(xq.data(), xd.data(), int64_t(n));
        // The same blocks with m = 0 dequantize to exactly d*q (5 + 11 bits).
        auto wq0 = wq;
        for (size_t b = 0; b < nb; ++b) reinterpret_cast<ggml_half*>(wq0.data() + b * t.type_size)[1] = 0;
        t.ref.dequantize_row(wq0.data(), wd0.data(), int64_t(n));

        // sum(w*x) = sum(d*q*x) + m * (dx * sum(qx)) per block, and ggml uses
        // the fp16 s in place of dx * sum(qx). Model exactly that in double
        // (all products exact, the sums accurate far below the bound).
        double truth_deq = 0.0, truth_s = 0.0, mag = 0.0;
        for (size_t b = 0; b < nb; ++b) {
            const float m = fp16_to_fp32(reinterpret_cast<const ggml_half*>(wq.data() + b * t.type_size)[1]);
            double part = 0.0, sum_x = 0.0;
            for (size_t j = 0; j < 32; ++j) {
                const size_t i = b * 32 + j;
                part += double(wd0[i]) * xd[i];
                sum_x += xd[i];
                truth_deq += double(wd[i]) * xd[i];
                mag += std::fabs(double(wd0[i]) * xd[i]) + std::fabs(double(m) * xd[i]);
            }
            truth_s += part + double(m) * fp16_to_fp32(xq[b].s);
            // s differs from the exact block sum only by two fp16 roundings (of
            // d, which s is computed without, and of s itself).
            CHECK(std::fabs(double(fp16_to_fp32(xq[b].s)) - sum_x) <= std::ldexp(std::fabs(sum_x), -10));
        }
        for (auto v : variants_under_test()) {
            const float got = resolve_kernels(t, v).vec_dot(int64_t(n), wq.data(), xq.data());
            INFO(name << " " << kernel_variant_name(v) << " got=" << got << " truth_s=" << truth_s);
            CHECK(std::fabs(double(got) - truth_s) <= 1e-6 * mag);
        }
        // And the fp16 s really is visible: the exact-arithmetic answer differs.
        CHECK(truth_deq != truth_s);
    }
}

// ---------------------------------------------------------------- importance matrix

TEST_CASE("a uniform imatrix gives valid blocks no worse than plain rounding", "[legacy][imatrix]") {
    const size_t n = 4096;
    const auto x = weights_like(n, 5);
    const std::vector<float> ones(n, 1.0f);
    // RMSE the weighted search reached on this data (checked by hand), +2%.
    const double bound[] = {0.0987 * 1.02, 0.0725 * 1.02, 0.0496 * 1.02, 0.0348 * 1.02};
    int i = 0;
    for (const char* name : kImatrixTypes) {
        const auto& t = type_traits_by_name(name);
        INFO(name);
        REQUIRE(t.uses_imatrix);
        const auto plain = roundtrip(t, x, nullptr);
        const auto weighted = roundtrip(t, x, &ones);
        REQUIRE(all_finite(weighted));
        CHECK(rmse(x, weighted) <= rmse(x, plain));
        CHECK(rmse(x, weighted) <= bound[i++]);
        // The imatrix path is a different algorithm, not the reference rounding.
        CHECK(quantize_with(t, x, &ones, KernelVariant::Ref) != quantize_with(t, x, nullptr, KernelVariant::Ref));
    }
}

TEST_CASE("a skewed imatrix lowers the importance-weighted error", "[legacy][imatrix]") {
    const size_t n = 4096;
    const auto x = weights_like(n, 5);
    const auto im = skewed_imatrix(n, 77);
    for (const char* name : kImatrixTypes) {
        const auto& t = type_traits_by_name(name);
        const double e_plain = weighted_sq_error(x, roundtrip(t, x, nullptr), im);
        const double e_imatrix = weighted_sq_error(x, roundtrip(t, x, &im), im);
        INFO(name << " plain " << e_plain << " imatrix " << e_imatrix);
        // Measured ratios are 0.52 .. 0.78 on this data.
        CHECK(e_imatrix < 0.85 * e_plain);
    }
}

TEST_CASE("degenerate imatrix inputs never produce NaN", "[legacy][imatrix]") {
    const size_t n = 512;
    auto x = weights_like(n, 9);
    for (size_t j = 64; j < 96; ++j) x[j] = 0.0f;  // one all-zero block
    const std::vector<float> zeros(n, 0.0f);
    auto partly_zero = skewed_imatrix(n, 4);
    for (size_t j = 128; j < 160; ++j) partly_zero[j] = 0.0f;  // a block nobody cares about
    std::vector<float> tiny(n, 1e-30f);
    for (const char* name : kImatrixTypes) {
        const auto& t = type_traits_by_name(name);
        INFO(name);
        for (const std::vector<float>* im : std::initializer_list<const std::vector<float>*>{&zeros, &partly_zero, &tiny}) {
            const auto y = roundtrip(t, x, im);
            CHECK(all_finite(y));
            // The all-zero data block comes back as zeros whatever the weights.
            for (size_t j = 64; j < 96; ++j) CHECK(y[j] == 0.0f);
        }
        // An all-zero row (sigma2 = 0, so every weight is 0) stays zero.
        const auto y0 = roundtrip(t, zeros, &partly_zero);
        for (float v : y0) CHECK(v == 0.0f);
    }
}

TEST_CASE("the imatrix chunk path works row by row with a per-row sigma2", "[legacy][imatrix]") {
    const size_t n_per_row = 256, rows = 3;
    auto x = weights_like(n_per_row * rows, 12);
    for (size_t j = n_per_row; j < 2 * n_per_row; ++j) x[j] *= 50.0f;  // rows of very different scale
    const auto im = skewed_imatrix(n_per_row, 13);
    for (const char* name : kImatrixTypes) {
        const auto& t = type_traits_by_name(name);
        INFO(name);
        const auto all = quantize_with(t, x, &im, KernelVariant::Ref, n_per_row);
        std::vector<uint8_t> joined;
        for (size_t r = 0; r < rows; ++r) {
            const std::vector<float> row(x.begin() + long(r * n_per_row), x.begin() + long((r + 1) * n_per_row));
            const auto q = quantize_with(t, row, &im, KernelVariant::Ref);
            joined.insert(joined.end(), q.begin(), q.end());
        }
        CHECK(all == joined);
    }
}

TEST_CASE("SIMD128 chunk quantizers equal the reference with and without an imatrix", "[legacy][imatrix][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    const size_t n = 1024;
    const auto x = weights_like(n, 21);
    const auto im = skewed_imatrix(256, 22);  // rows of 256
    const std::vector<float> ones(256, 1.0f);
    for (const char* name : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_1"}) {
        const auto& t = type_traits_by_name(name);
        INFO(name);
        CHECK(quantize_with(t, x, nullptr, KernelVariant::Simd128) == quantize_with(t, x, nullptr, KernelVariant::Ref));
        if (!t.uses_imatrix) continue;
        for (const std::vector<float>* w : std::initializer_list<const std::vector<float>*>{&im, &ones}) {
            CHECK(quantize_with(t, x, w, KernelVariant::Simd128, 256) ==
                  quantize_with(t, x, w, KernelVariant::Ref, 256));
        }
    }
}

// ---------------------------------------------------------------- SIMD128 edge cases

TEST_CASE("SIMD128 legacy kernels match the reference on edge-case blocks", "[legacy][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    std::vector<float> x;
    auto add_block = [&](auto gen) {
        for (int j = 0; j < 32; ++j) x.push_back(gen(j));
    };
    add_block([](int j) { return j == 7 ? -0.0f : 0.0f; });           // signed zeros only
    add_block([](int j) { return j % 2 ? 1.0f : -0.0f; });             // zero minimum of either sign
    add_block([](int j) { return j % 2 ? -1.0f : 0.0f; });             // zero maximum
    add_block([](int j) { return j == 3 ? 2.0f : (j == 9 ? -2.0f : 0.1f); });  // tied magnitudes
    add_block([](int j) { return float(j - 16) * 1e-39f; });           // subnormals: 1/d overflows
    add_block([](int j) { return float(j % 5) * 1e-44f; });            // a few subnormal ulps
    add_block([](int j) { return j == 0 ? 3e38f : -3e38f * float(j) / 32.0f; });  // max - min overflows
    add_block([](int j) { return float(j) * 0.5f - 8.0f; });           // exact .5 ties everywhere
    for (const char* name : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_1"}) {
        const auto& t = type_traits_by_name(name);
        const auto simd = resolve_kernels(t, KernelVariant::Simd128);
        for (size_t b = 0; b < x.size() / 32; ++b) {
            INFO(name << " block " << b);
            std::vector<uint8_t> qa(t.type_size), qb(t.type_size);
            t.ref.quantize_row(x.data() + 32 * b, qa.data(), 32);
            simd.quantize_row(x.data() + 32 * b, qb.data(), 32);
            CHECK(qa == qb);
            std::vector<float> ya(32), yb(32);
            t.ref.dequantize_row(qa.data(), ya.data(), 32);
            simd.dequantize_row(qa.data(), yb.data(), 32);
            CHECK(std::memcmp(ya.data(), yb.data(), sizeof(float) * 32) == 0);
        }
    }
}

TEST_CASE("SIMD128 legacy dequantizers and dots match on random block bytes", "[legacy][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    // Arbitrary bytes reach every nibble and qh pattern; the fp16 fields are
    // then overwritten with finite scales.
    const size_t nb = 64;
    for (const char* name : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_1"}) {
        const auto& t = type_traits_by_name(name);
        const auto simd = resolve_kernels(t, KernelVariant::Simd128);
        std::vector<uint8_t> q(nb * t.type_size);
        uint32_t s = 12345;
        for (auto& byte : q) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            byte = uint8_t(s >> 24);
        }
        const bool has_second_half = std::string(name) != "q4_0" && std::string(name) != "q5_0";
        for (size_t b = 0; b < nb; ++b) {
            auto* h = reinterpret_cast<ggml_half*>(q.data() + b * t.type_size);
            h[0] = fp32_to_fp16(0.001f * float(b + 1));
            if (has_second_half) h[1] = fp32_to_fp16(-0.5f + 0.01f * float(b));
        }
        std::vector<float> ya(nb * 32), yb(nb * 32);
        t.ref.dequantize_row(q.data(), ya.data(), int64_t(ya.size()));
        simd.dequantize_row(q.data(), yb.data(), int64_t(yb.size()));
        INFO(name);
        CHECK(std::memcmp(ya.data(), yb.data(), ya.size() * sizeof(float)) == 0);
        if (t.ref.vec_dot == nullptr) continue;
        const auto& a = type_traits(t.vec_dot_type);
        const auto act = random_floats(nb * 32, 5, 4.0f);
        std::vector<uint8_t> aq(quantized_size(a, act.size()));
        a.ref.quantize_row(act.data(), aq.data(), int64_t(act.size()));
        double mag = 0.0;
        std::vector<float> ad(act.size());
        a.ref.dequantize_row(aq.data(), ad.data(), int64_t(ad.size()));
        for (size_t i = 0; i < ad.size(); ++i) mag += std::fabs(double(ya[i]) * ad[i]);
        const float r = t.ref.vec_dot(int64_t(act.size()), q.data(), aq.data());
        const float v = simd.vec_dot(int64_t(act.size()), q.data(), aq.data());
        CHECK(std::fabs(double(r) - double(v)) <= 1e-5 * mag);
    }
}

// ---------------------------------------------------------------- F16 / BF16 SIMD128

TEST_CASE("SIMD128 F16/BF16 conversions equal the scalar ones on every bit pattern", "[float][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    for (const char* name : {"f16", "bf16"}) {
        const auto& t = type_traits_by_name(name);
        const auto simd = resolve_kernels(t, KernelVariant::Simd128);
        INFO(name);
        // All 65536 16-bit patterns (every NaN, subnormal and infinity) to float.
        std::vector<uint16_t> h(65536 + 3);  // +3: a tail the vector loop leaves to scalar code
        for (size_t i = 0; i < h.size(); ++i) h[i] = uint16_t(i);
        std::vector<float> ya(h.size()), yb(h.size());
        t.ref.dequantize_row(h.data(), ya.data(), int64_t(h.size()));
        simd.dequantize_row(h.data(), yb.data(), int64_t(h.size()));
        CHECK(std::memcmp(ya.data(), yb.data(), ya.size() * sizeof(float)) == 0);

        // Floats to 16 bits: random bit patterns, bf16 ties and near-ties, every
        // rounding boundary of the half grid (+-1 ulp) and the overflow and
        // subnormal thresholds.
        std::vector<float> x;
        uint32_t s = 99;
        for (int i = 0; i < 200000; ++i) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            x.push_back(bits_float(s));
            if (i % 16 == 0) {
                for (uint32_t low : {0x8000u, 0x7fffu, 0x8001u}) x.push_back(bits_float((s & 0xffff0000u) | low));
            }
        }
        for (uint32_t hb = 0; hb < 0x7c00; hb += 7) {
            const float f = fp16_to_fp32(uint16_t(hb));
            const float next = fp16_to_fp32(uint16_t(hb + 1));
            const float mid = 0.5f * (f + next);  // exact: a tie between two halves
            for (float v : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
                x.push_back(v);
                x.push_back(-v);
            }
        }
        for (float v : {65504.0f, 65519.996f, 65520.0f, 6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f,
                        std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                        std::numeric_limits<float>::signaling_NaN(), std::numeric_limits<float>::max(),
                        std::numeric_limits<float>::denorm_min(), 0.0f, -0.0f}) {
            x.push_back(v);
            x.push_back(-v);
        }
        x.push_back(1.0f);  // odd length: exercise the scalar tail
        std::vector<uint16_t> qa(x.size()), qb(x.size());
        t.ref.quantize_row(x.data(), qa.data(), int64_t(x.size()));
        simd.quantize_row(x.data(), qb.data(), int64_t(x.size()));
        CHECK(qa == qb);
        simd.quantize(x.data(), qb.data(), 1, int64_t(x.size()), nullptr);
        CHECK(qa == qb);
    }
    // Spot checks of the scalar conversion the SIMD one was just compared to.
    CHECK(fp32_to_fp16(65519.996f) == 0x7bff);
    CHECK(fp32_to_fp16(65520.0f) == 0x7c00);
    CHECK(fp32_to_fp16(2.9802322e-08f) == 0x0000);  // 2^-25: a tie, rounds to even (zero)
    CHECK(fp32_to_bf16(bits_float(0x3f808000u)) == 0x3f80);  // tie to even
    CHECK(fp32_to_bf16(bits_float(0x3f818000u)) == 0x3f82);
}

TEST_CASE("SIMD128 F16/BF16 dot products agree with the double-precision reference", "[float][simd]") {
    for (const char* name : {"f16", "bf16"}) {
        const auto& t = type_traits_by_name(name);
        const auto simd = resolve_kernels(t, KernelVariant::Simd128);
        for (size_t n : {size_t(7), size_t(64), size_t(4099)}) {
            auto a = random_floats(n, 3 + uint32_t(n), 100.0f);
            auto b = random_floats(n, 4 + uint32_t(n), 100.0f);
            if (std::string(name) == "bf16") {
                // bf16 has float's range: mix magnitudes 30 decades apart.
                for (size_t i = 0; i < n; i += 5) {
                    a[i] *= 1e15f;
                    b[i] *= 1e15f;
                }
            }
            std::vector<uint16_t> qa(n), qb(n);
            t.ref.quantize_row(a.data(), qa.data(), int64_t(n));
            t.ref.quantize_row(b.data(), qb.data(), int64_t(n));
            std::vector<float> da(n), db(n);
            t.ref.dequantize_row(qa.data(), da.data(), int64_t(n));
            t.ref.dequantize_row(qb.data(), db.data(), int64_t(n));
            double truth = 0.0, mag = 0.0;
            for (size_t i = 0; i < n; ++i) {
                truth += double(da[i]) * db[i];
                mag += std::fabs(double(da[i]) * db[i]);
            }
            const float r = t.ref.vec_dot(int64_t(n), qa.data(), qb.data());
            const float s = simd.vec_dot(int64_t(n), qa.data(), qb.data());
            INFO(name << " n=" << n << " ref=" << r << " simd=" << s << " truth=" << truth);
            REQUIRE(std::isfinite(s));
            // Both sum exact products in double: only the final float rounding
            // and the summation order differ.
            CHECK(std::fabs(double(r) - truth) <= 1e-7 * mag);
            CHECK(std::fabs(double(s) - truth) <= 1e-7 * mag);
        }
    }
}
