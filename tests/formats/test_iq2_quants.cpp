// IQ2_XXS, IQ2_XS and IQ2_S beyond the golden files: the block layouts decoded
// by hand, dot products against exact arithmetic, reconstruction quality and
// the importance matrix's effect, the refusal without an importance matrix,
// and inputs at the edges (zero, overflowing squares, zero weights).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/quantize.h"
#include "formats/ref/iq2_quants_ref.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

const GgmlType kIq2Types[] = {GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S};

std::vector<uint8_t> quantize_weighted(const TypeTraits& t, const std::vector<float>& x, const std::vector<float>& w,
                                       KernelVariant v, size_t n_per_row) {
    QuantizeOptions opt;
    opt.variant = v;
    opt.n_per_row = int64_t(n_per_row);
    opt.imatrix = w.data();
    opt.imatrix_len = w.size();
    return quantize(t, x.data(), x.size(), opt);
}

uint8_t grid_byte(uint64_t entry, int j) { return uint8_t(entry >> (8 * j)); }

}  // namespace

// ---------------------------------------------------------------- layouts

TEST_CASE("IQ2_XXS decodes grid bytes, 7-bit sign indices and the 4-bit scale on top", "[iq2]") {
    block_iq2_xxs b{};
    b.d = fp32_to_fp16(1.0f);
    // Sub-block 0: grid indices 0, 1, 2, 255; sign indices 0, 1, 2, 127; scale code 15.
    const uint32_t w0 = 0u | (1u << 8) | (2u << 16) | (255u << 24);
    const uint32_t w1 = 0u | (1u << 7) | (2u << 14) | (127u << 21) | (15u << 28);
    std::memcpy(b.qs, &w0, 4);
    std::memcpy(b.qs + 2, &w1, 4);
    std::vector<float> y(QK_K);
    dequantize_row_iq2_xxs_ref(&b, y.data(), QK_K);
    const float db = (0.5f + 15.0f) * 0.25f;  // 3.875
    CHECK(y[0] == db * 8.0f);                 // grid 0 is all 8s, sign index 0 all positive
    // Sign index 1: bit 0, and bit 7 for an even count of minus signs.
    CHECK(kIq2xsSigns[1] == 0x81);
    CHECK(y[8] == -db * grid_byte(kIq2xxsGrid[1], 0));
    CHECK(y[15] == -db * grid_byte(kIq2xxsGrid[1], 7));
    CHECK(y[9] == db * grid_byte(kIq2xxsGrid[1], 1));
    for (int j = 0; j < 8; ++j) {
        const float s = (kIq2xsSigns[127] >> j) & 1 ? -1.0f : 1.0f;
        CHECK(y[size_t(24 + j)] == s * db * grid_byte(kIq2xxsGrid[255], j));
    }
    // Sub-blocks 1..7 are all zero words: grid 0, no signs, scale code 0 -> 0.125 * 8.
    for (size_t i = 32; i < QK_K; ++i) CHECK(y[i] == 1.0f);
}

TEST_CASE("IQ2_XS decodes 9-bit grid indices, sign indices above them and nibble scales", "[iq2]") {
    block_iq2_xs b{};
    b.d = fp32_to_fp16(2.0f);
    b.qs[0] = uint16_t(511 | (3 << 9));   // group 0: last grid point, sign index 3
    b.qs[2] = uint16_t(256);              // group 2 (second half of sub-block 0): grid 256
    b.scales[0] = uint8_t(1 | (6 << 4));  // codes 1 (values 0..15) and 6 (16..31)
    std::vector<float> y(QK_K);
    dequantize_row_iq2_xs_ref(&b, y.data(), QK_K);
    const float db0 = 2.0f * 1.5f * 0.25f, db1 = 2.0f * 6.5f * 0.25f;
    for (int j = 0; j < 8; ++j) {
        const float s = (kIq2xsSigns[3] >> j) & 1 ? -1.0f : 1.0f;
        CHECK(y[size_t(j)] == s * db0 * grid_byte(kIq2xsGrid[511], j));
        CHECK(y[size_t(8 + j)] == db0 * 8.0f);
        CHECK(y[size_t(16 + j)] == db1 * grid_byte(kIq2xsGrid[256], j));
        CHECK(y[size_t(24 + j)] == db1 * 8.0f);
    }
}

TEST_CASE("IQ2_S decodes 10-bit grid indices split over qs and qh, and raw sign bytes", "[iq2]") {
    block_iq2_s b{};
    b.d = fp32_to_fp16(0.5f);
    // Sub-block 1, groups 0..3: indices 0x3ff, 0x100, 0x2aa, 0x055; top bits in qh[1].
    const int idx[4] = {0x3ff, 0x100, 0x2aa, 0x055};
    for (int l = 0; l < 4; ++l) {
        b.qs[4 + l] = uint8_t(idx[l] & 255);
        b.qh[1] = uint8_t(b.qh[1] | ((idx[l] >> 8) << (2 * l)));
        b.qs[QK_K / 8 + 4 + l] = uint8_t(0x11 << l);  // raw sign bytes
    }
    b.scales[1] = uint8_t(15 | (0 << 4));
    std::vector<float> y(QK_K);
    dequantize_row_iq2_s_ref(&b, y.data(), QK_K);
    for (int l = 0; l < 4; ++l) {
        const float db = 0.5f * (l < 2 ? 15.5f : 0.5f) * 0.25f;
        for (int j = 0; j < 8; ++j) {
            const float s = ((0x11 << l) >> j) & 1 ? -1.0f : 1.0f;
            INFO("group " << l << " coordinate " << j);
            CHECK(y[size_t(32 + 8 * l + j)] == s * db * grid_byte(kIq2sGrid[idx[l]], j));
        }
    }
}

// ---------------------------------------------------------------- dot products

TEST_CASE("IQ2 dot products with Q8_K equal the exact sum of the dequantized products", "[iq2]") {
    const auto& q8k = type_traits(GgmlType::Q8_K);
    for (GgmlType type : kIq2Types) {
        const auto& t = type_traits(type);
        for (size_t blocks : {size_t(1), size_t(3), size_t(16)}) {
            const size_t n = QK_K * blocks;
            const auto w = weights_like(n, 11 + uint32_t(blocks));
            const auto a = random_floats(n, 70 + uint32_t(blocks), 4.0f);
            const auto wq = quantize_weighted(t, w, skewed_imatrix(n, 3), KernelVariant::Ref, 0);
            std::vector<uint8_t> aq(quantized_size(q8k, n));
            q8k.ref.quantize_row(a.data(), aq.data(), int64_t(n));
            const auto [truth, mag] = dequantized_dot(t, wq.data(), q8k, aq.data(), n);
            for (auto v : variants_under_test()) {
                const float got = resolve_kernels(t, v).vec_dot(int64_t(n), wq.data(), aq.data());
                INFO(t.name << " blocks " << blocks << " " << kernel_variant_name(v) << " got " << got << " truth "
                            << truth);
                CHECK(mag > 0);
                CHECK(std::fabs(double(got) - truth) <= 1e-5 * mag);
            }
        }
    }
}

// ---------------------------------------------------------------- quantization

TEST_CASE("IQ2 quantizers reconstruct weight-like rows, better with more bits", "[iq2]") {
    const size_t n = 64 * QK_K;
    const auto x = weights_like(n, 5);
    const std::vector<float> ones(QK_K * 4, 1.0f);
    // Relative RMS error of weight rows at 2.06, 2.31 and 2.56 bits per weight.
    const double bound[] = {0.42, 0.37, 0.32};
    double prev = 1.0;
    int k = 0;
    for (GgmlType type : kIq2Types) {
        const auto& t = type_traits(type);
        for (auto v : variants_under_test()) {
            const auto q = quantize_weighted(t, x, ones, v, ones.size());
            const auto y = dequantize(t, q.data(), q.size(), n, v);
            const double e = relative_rms_error(x, y);
            INFO(t.name << " " << kernel_variant_name(v) << " relative RMS error " << e);
            CHECK(all_finite(y));
            CHECK(e > 0.05);
            CHECK(e < bound[k]);
            CHECK(e < prev);
            if (v == variants_under_test().back()) prev = e;
        }
        ++k;
    }
}

TEST_CASE("IQ2 quantizers follow the importance matrix", "[iq2]") {
    // Columns with 50x the importance must come out closer to the input.
    const size_t row = 4 * QK_K, n = 16 * row;
    const auto x = weights_like(n, 8);
    std::vector<float> flat(row, 1.0f), skew(row, 1.0f);
    for (size_t i = 0; i < row; i += 3) skew[i] = 50.0f;
    for (GgmlType type : kIq2Types) {
        const auto& t = type_traits(type);
        const auto yf = dequantize(t, quantize_weighted(t, x, flat, KernelVariant::Ref, row).data(),
                                   quantized_size(t, n), n);
        const auto ys = dequantize(t, quantize_weighted(t, x, skew, KernelVariant::Ref, row).data(),
                                   quantized_size(t, n), n);
        INFO(t.name << " weighted error flat " << weighted_sq_error(x, yf, skew) << " skewed "
                    << weighted_sq_error(x, ys, skew));
        CHECK(weighted_sq_error(x, ys, skew) < 0.8 * weighted_sq_error(x, yf, skew));
    }
}

TEST_CASE("IQ2_S without an importance matrix is ggml's quantize_row_iq2_s_ref", "[iq2]") {
    const auto& t = type_traits(GgmlType::IQ2_S);
    const auto x = weights_like(8 * QK_K, 21);
    std::vector<uint8_t> a(quantized_size(t, x.size())), b(a.size());
    quantize_row_iq2_s_ref(x.data(), a.data(), int64_t(x.size()));
    quantize_iq2_s_ref(x.data(), b.data(), 4, 2 * QK_K, nullptr);  // rows do not change the bytes
    CHECK(first_difference(a.data(), b.data(), a.size()) == -1);
    CHECK(t.ref.quantize_row != nullptr);
    CHECK(type_traits(GgmlType::IQ2_XXS).ref.quantize_row == nullptr);  // ggml's from_float_ref is NULL
    CHECK(type_traits(GgmlType::IQ2_XS).ref.quantize_row == nullptr);
}

TEST_CASE("IQ2_XXS and IQ2_XS refuse to quantize without an importance matrix", "[iq2]") {
    for (const auto& t : all_type_traits()) {
        if (!quantize_requires_imatrix(t.type)) continue;
        INFO(t.name);
        const auto x = random_floats(size_t(t.block_size) * 2, 5, 1.0f);
        for (auto v : variants_under_test()) {
            QuantizeOptions opt;
            opt.variant = v;
            try {
                (void)quantize(t, x.data(), x.size(), opt);
                FAIL("quantized without an importance matrix");
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::InvalidArgument);
                const std::string msg = e.what();
                CHECK(msg.rfind(std::string(t.name) + " needs an importance matrix", 0) == 0);
                CHECK(msg.find("quantlab imatrix") != std::string::npos);
            }
            // The kernels refuse as well, for callers that skip the checked API.
            std::vector<uint8_t> q(quantized_size(t, x.size()));
            CHECK_THROWS_AS(resolve_kernels(t, v).quantize(x.data(), q.data(), 1, int64_t(x.size()), nullptr), Error);
        }
        // The module stays usable, and with weights it works.
        const std::vector<float> w(x.size(), 1.0f);
        CHECK(quantize_weighted(t, x, w, default_kernel_variant(), 0).size() == quantized_size(t, x.size()));
    }
    CHECK(quantize_requires_imatrix(GgmlType::IQ2_XXS));
    CHECK(quantize_requires_imatrix(GgmlType::IQ2_XS));
    CHECK_FALSE(quantize_requires_imatrix(GgmlType::IQ2_S));
    CHECK_FALSE(quantize_requires_imatrix(GgmlType::Q2_K));
}

TEST_CASE("IQ2 quantizers at the edges: zeros, zero weights, squares that overflow", "[iq2]") {
    const size_t n = 4 * QK_K;
    for (GgmlType type : kIq2Types) {
        const auto& t = type_traits(type);
        INFO(t.name);
        // All zero: an all-zero block, as ggml writes.
        const std::vector<float> zeros(n, 0.0f), ones(n, 1.0f), none(n, 0.0f);
        const auto qz = quantize_weighted(t, zeros, ones, KernelVariant::Ref, 0);
        CHECK(std::all_of(qz.begin(), qz.end(), [](uint8_t b) { return b == 0; }));
        // Zero importance everywhere: no fit can be made; finite blocks all the same.
        const auto x = weights_like(n, 3);
        const auto y0 = dequantize(t, quantize_weighted(t, x, none, KernelVariant::Ref, 0).data(),
                                   quantized_size(t, n), n);
        CHECK(all_finite(y0));
        // |x| ~ 1e20: x^2 overflows float (ggml would abort on a point off the
        // grid). The kernels finish, and every variant writes the same bytes;
        // the checked API then refuses the rows (their f16 scales overflow).
        std::vector<float> big = x;
        for (auto& v : big) v *= 1e21f;
        auto kernel_bytes = [&](KernelVariant v) {
            std::vector<uint8_t> q(quantized_size(t, n));
            resolve_kernels(t, v).quantize(big.data(), q.data(), 1, int64_t(n), ones.data());
            return q;
        };
        const auto ref = kernel_bytes(KernelVariant::Ref);
        for (auto v : variants_under_test()) {
            const auto q = kernel_bytes(v);
            CHECK(first_difference(q.data(), ref.data(), q.size()) == -1);
        }
        try {
            quantize_weighted(t, big, ones, KernelVariant::Ref, 0);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::NonFinite);
        }
    }
}

// ---------------------------------------------------------------- SIMD128 = reference

namespace {


// One super-block of a random kind: scales vary per 16 values over decades,
// so some groups fall below the zero thresholds (1e-15, IQ2_S 1e-8).
void stress_block(Rng& r, float* x) {
    const int kind = r.below(9);
    const float base = std::ldexp(1.0f, r.below(40) - 30);
    for (int g = 0; g < 16; ++g) {
        const float s = base * (kind == 8 ? std::ldexp(1.0f, r.below(60) - 40) : 1.0f + r.unif());
        for (int l = 0; l < 16; ++l) {
            float v;
            switch (kind) {
                case 0: v = s * r.gauss(); break;
                case 1: v = s * r.gauss() * r.gauss() * r.gauss(); break;            // heavy tails
                case 2: v = s * float(r.below(7) - 3) * 0.5f; break;                  // ties of the rounding
                case 3: v = s * float((r.below(3) * 17 + 8)) * (r.below(2) ? 1 : -1); // near the grid's 8/25/43
                    break;
                case 4: v = (l % 2 ? -s : s) * (1.0f + 0.001f * float(l)); break;    // alternating, almost equal
                case 5: v = r.below(3) == 0 ? 0.0f : s * r.sym(); break;              // sprinkled zeros
                case 6: v = s; break;                                                 // constant groups
                case 7: v = l == r.below(16) ? 40.0f * s : 0.01f * s * r.sym(); break;  // one outlier per group
                default: v = s * r.sym(); break;
            }
            x[16 * g + l] = v;
        }
    }
}

// Importance weights of a random kind: flat, skewed, zeros in places, whole zero groups, tiny.
std::vector<float> stress_imatrix(Rng& r, size_t n) {
    std::vector<float> w(n);
    const int kind = r.below(5);
    for (size_t i = 0; i < n; ++i) {
        switch (kind) {
            case 0: w[i] = 1.0f; break;
            case 1: w[i] = std::exp(6.0f * r.sym()); break;
            case 2: w[i] = r.below(4) == 0 ? 0.0f : r.unif(); break;
            case 3: w[i] = (i / 16) % 3 == 0 ? 0.0f : 0.5f + r.unif(); break;
            default: w[i] = 1e-30f * (1.0f + r.unif()); break;
        }
    }
    return w;
}

}  // namespace

TEST_CASE("IQ2 SIMD128 quantizers give the reference bytes on search-stressing inputs", "[iq2][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: nothing to compare");
        return;
    }
    Rng r(20261204);
    const size_t row = 2 * QK_K;
    for (GgmlType type : kIq2Types) {
        const auto& t = type_traits(type);
        const KernelSet simd = resolve_kernels(t, KernelVariant::Simd128);
        REQUIRE(simd.quantize != t.ref.quantize);
        int blocks_checked = 0;
        for (int rep = 0; rep < 80; ++rep) {
            const size_t n = row * size_t(1 + r.below(3));
            std::vector<float> x(n);
            for (size_t b = 0; b < n / QK_K; ++b) stress_block(r, x.data() + b * QK_K);
            const auto w = stress_imatrix(r, row);
            const bool weighted = !quantize_requires_imatrix(type) ? r.below(2) == 0 : true;
            const float* im = weighted ? w.data() : nullptr;
            std::vector<uint8_t> qa(quantized_size(t, n), 0x11), qb(qa.size(), 0x22);
            t.ref.quantize(x.data(), qa.data(), int64_t(n / row), int64_t(row), im);
            simd.quantize(x.data(), qb.data(), int64_t(n / row), int64_t(row), im);
            const long diff = first_difference(qa.data(), qb.data(), qa.size());
            INFO(t.name << " rep " << rep << (weighted ? " with" : " without") << " imatrix, first differing byte "
                        << diff << " (block " << (diff < 0 ? -1 : diff / long(t.type_size)) << ")");
            CHECK(diff == -1);
            std::vector<float> ya(n), yb(n);
            t.ref.dequantize_row(qa.data(), ya.data(), int64_t(n));
            simd.dequantize_row(qa.data(), yb.data(), int64_t(n));
            CHECK(first_difference(ya.data(), yb.data(), n * 4) == -1);
            blocks_checked += int(n / QK_K);
        }
        CHECK(blocks_checked >= 240);  // 80 rows of 2..6 super-blocks
    }
}

TEST_CASE("IQ2 SIMD128 dequantizers and dot products on arbitrary block bytes", "[iq2][simd]") {
    // Every index, sign and scale pattern; fp16 d kept finite.
    Rng r(31337);
    const auto& q8k = type_traits(GgmlType::Q8_K);
    for (GgmlType type : kIq2Types) {
        const auto& t = type_traits(type);
        const KernelSet simd = resolve_kernels(t, KernelVariant::Simd128);
        const size_t nb = 48, n = nb * QK_K;
        std::vector<uint8_t> q(nb * t.type_size);
        for (auto& v : q) v = uint8_t(r.next() >> 24);
        for (size_t b = 0; b < nb; ++b) {
            const ggml_half d = fp32_to_fp16(r.sym() * 0.05f);
            std::memcpy(q.data() + b * t.type_size, &d, 2);  // d is the first field of all three
        }
        std::vector<float> ya(n), yb(n);
        t.ref.dequantize_row(q.data(), ya.data(), int64_t(n));
        simd.dequantize_row(q.data(), yb.data(), int64_t(n));
        INFO(t.name);
        CHECK(first_difference(ya.data(), yb.data(), n * 4) == -1);
        const auto a = random_floats(n, 9, 3.0f);
        std::vector<uint8_t> aq(quantized_size(q8k, n));
        q8k.ref.quantize_row(a.data(), aq.data(), int64_t(n));
        std::vector<float> ad(n);
        q8k.ref.dequantize_row(aq.data(), ad.data(), int64_t(n));
        double mag = 0;
        for (size_t i = 0; i < n; ++i) mag += std::fabs(double(ya[i]) * ad[i]);
        const float vr = t.ref.vec_dot(int64_t(n), q.data(), aq.data());
        const float vs = simd.vec_dot(int64_t(n), q.data(), aq.data());
        CHECK(std::fabs(double(vs) - double(vr)) <= 1e-5 * mag);
        CHECK(mag > 0);
    }
}
