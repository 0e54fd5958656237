// IQ1_S and IQ1_M beyond the golden files: the block layouts decoded by hand,
// dot products against exact arithmetic, reconstruction quality and the
// importance matrix's effect, IQ1_S's refusal without an importance matrix,
// and inputs at the edges (zeros, ties, zero weights, overflowing squares).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/quantize.h"
#include "formats/ref/iq1_quants_ref.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

const GgmlType kIq1Types[] = {GgmlType::IQ1_S, GgmlType::IQ1_M};

// Coordinate j (-1, 0 or 1) of grid point g.
float grid_value(int g, int j) { return float(int8_t(kIq1sGrid[g] >> (8 * j))); }

}  // namespace

// ---------------------------------------------------------------- layouts

TEST_CASE("IQ1_S decodes 11-bit grid indices, a 3-bit scale and the delta's sign per 32 values", "[iq1]") {
    block_iq1_s b{};
    b.d = fp32_to_fp16(0.5f);
    // Sub-block 2: grid indices 0x7ff, 0x123, 0x400, 0x0ff; scale code 5; delta -1/8.
    const int idx[4] = {0x7ff, 0x123, 0x400, 0x0ff};
    uint16_t qh = uint16_t((5 << 12) | 0x8000);
    for (int l = 0; l < 4; ++l) {
        b.qs[8 + l] = uint8_t(idx[l] & 255);
        qh = uint16_t(qh | ((idx[l] >> 8) << (3 * l)));
    }
    b.qh[2] = qh;
    b.qh[3] = uint16_t(7 << 12);  // sub-block 3: grid point 0, scale code 7, delta +1/8
    std::vector<float> y(QK_K);
    dequantize_row_iq1_s_ref(&b, y.data(), QK_K);
    const float dl = 0.5f * 11.0f;
    for (int l = 0; l < 4; ++l) {
        for (int j = 0; j < 8; ++j) {
            INFO("group " << l << " coordinate " << j);
            CHECK(y[size_t(64 + 8 * l + j)] == dl * (grid_value(idx[l], j) - 0.125f));
        }
    }
    for (int j = 96; j < 128; ++j) CHECK(y[size_t(j)] == 0.5f * 15.0f * (grid_value(0, j % 8) + 0.125f));
    CHECK(grid_value(0, 0) == -1.0f);                      // grid point 0 is all -1
    for (int j = 0; j < 32; ++j) CHECK(y[size_t(j)] == 0.5f * (-1.0f + 0.125f));  // zero words: point 0, scale 1
}

TEST_CASE("IQ1_M decodes per-16 scales, per-8 deltas and the fp16 scale spread over the scale words", "[iq1]") {
    block_iq1_m b{};
    const ggml_half d = fp32_to_fp16(-0.375f);  // 0xb600: nibbles 0, 0, 6, b
    uint16_t sc[4] = {0, 0, 0, 0};
    sc[0] = uint16_t((3 << 6) | (6 << 9));  // 32-value sub-block 1: scale codes 3 (first 16) and 6 (last 16)
    for (int k = 0; k < 4; ++k) sc[k] = uint16_t(sc[k] | (((d >> (4 * k)) & 0xf) << 12));
    std::memcpy(b.scales, sc, sizeof sc);
    // Sub-block 1, groups 0..3: indices 0x5a5, 0x001, 0x7ff, 0x300; deltas +, -, -, +.
    const int idx[4] = {0x5a5, 0x001, 0x7ff, 0x300};
    const bool neg[4] = {false, true, true, false};
    for (int l = 0; l < 4; ++l) {
        b.qs[4 + l] = uint8_t(idx[l] & 255);
        const int nib = (idx[l] >> 8) | (neg[l] ? 8 : 0);
        b.qh[2 + l / 2] = uint8_t(b.qh[2 + l / 2] | (nib << (4 * (l % 2))));
    }
    std::vector<float> y(QK_K);
    dequantize_row_iq1_m_ref(&b, y.data(), QK_K);
    for (int l = 0; l < 4; ++l) {
        const float dl = -0.375f * (l < 2 ? 7.0f : 13.0f);
        for (int j = 0; j < 8; ++j) {
            INFO("group " << l << " coordinate " << j);
            CHECK(y[size_t(32 + 8 * l + j)] == dl * (grid_value(idx[l], j) + (neg[l] ? -0.125f : 0.125f)));
        }
    }
    CHECK(y[0] == -0.375f * (-1.0f + 0.125f));  // zero bytes: point 0, scale code 0, delta +1/8
}

// ---------------------------------------------------------------- dot products

TEST_CASE("IQ1 dot products with Q8_K equal the exact sum of the dequantized products", "[iq1]") {
    const auto& q8k = type_traits(GgmlType::Q8_K);
    for (GgmlType type : kIq1Types) {
        const auto& t = type_traits(type);
        for (size_t blocks : {size_t(1), size_t(3), size_t(16)}) {
            const size_t n = QK_K * blocks;
            const auto w = weights_like(n, 11 + uint32_t(blocks));
            const auto im = skewed_imatrix(n, 3);
            const auto wq = quantize_with(t, w, &im, KernelVariant::Ref, 0);
            const auto a = random_floats(n, 70 + uint32_t(blocks), 4.0f);
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

TEST_CASE("IQ1 quantizers reconstruct weight-like rows, IQ1_M better than IQ1_S", "[iq1]") {
    const size_t n = 32 * QK_K;
    const auto x = weights_like(n, 5);
    const std::vector<float> ones(QK_K * 4, 1.0f);
    // Relative RMS error of weight rows at 1.56 and 1.75 bits per weight.
    const double bound[] = {0.66, 0.56};
    double prev = 1.0;
    int k = 0;
    for (GgmlType type : kIq1Types) {
        const auto& t = type_traits(type);
        for (auto v : variants_under_test()) {
            const auto q = quantize_with(t, x, &ones, v, ones.size());
            const auto y = dequantize(t, q.data(), q.size(), n, v);
            const double e = relative_rms_error(x, y);
            INFO(t.name << " " << kernel_variant_name(v) << " relative RMS error " << e);
            CHECK(all_finite(y));
            CHECK(e > 0.2);
            CHECK(e < bound[k]);
            CHECK(e < prev);
            if (v == variants_under_test().back()) prev = e;
        }
        ++k;
    }
}

TEST_CASE("IQ1 quantizers follow the importance matrix", "[iq1]") {
    // Columns with 50x the importance must come out closer to the input.
    const size_t row = 4 * QK_K, n = 16 * row;
    const auto x = weights_like(n, 8);
    std::vector<float> flat(row, 1.0f), skew(row, 1.0f);
    for (size_t i = 0; i < row; i += 3) skew[i] = 50.0f;
    for (GgmlType type : kIq1Types) {
        const auto& t = type_traits(type);
        const auto yf = dequantize(t, quantize_with(t, x, &flat, KernelVariant::Ref, row).data(),
                                   quantized_size(t, n), n);
        const auto ys = dequantize(t, quantize_with(t, x, &skew, KernelVariant::Ref, row).data(),
                                   quantized_size(t, n), n);
        INFO(t.name << " weighted error flat " << weighted_sq_error(x, yf, skew) << " skewed "
                    << weighted_sq_error(x, ys, skew));
        CHECK(weighted_sq_error(x, ys, skew) < 0.8 * weighted_sq_error(x, yf, skew));
    }
}

TEST_CASE("IQ1_S refuses to quantize without an importance matrix, IQ1_M does not", "[iq1]") {
    const auto& s = type_traits(GgmlType::IQ1_S);
    const auto& m = type_traits(GgmlType::IQ1_M);
    CHECK(quantize_requires_imatrix(GgmlType::IQ1_S));
    CHECK_FALSE(quantize_requires_imatrix(GgmlType::IQ1_M));
    CHECK(s.ref.quantize_row == nullptr);  // ggml's from_float_ref is NULL for both
    CHECK(m.ref.quantize_row == nullptr);
    const auto x = weights_like(2 * QK_K, 5);
    for (auto v : variants_under_test()) {
        INFO(kernel_variant_name(v));
        try {
            (void)quantize_with(s, x, nullptr, v, 0);
            FAIL("quantized IQ1_S without an importance matrix");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InvalidArgument);
            const std::string msg = e.what();
            CHECK(msg.rfind("iq1_s needs an importance matrix", 0) == 0);
            CHECK(msg.find("quantlab imatrix") != std::string::npos);
        }
        // The kernels refuse as well, for callers that skip the checked API.
        std::vector<uint8_t> q(quantized_size(s, x.size()));
        CHECK_THROWS_AS(resolve_kernels(s, v).quantize(x.data(), q.data(), 1, int64_t(x.size()), nullptr), Error);
        // The module stays usable: with weights IQ1_S works, and IQ1_M needs none.
        const std::vector<float> w(x.size(), 1.0f);
        CHECK(quantize_with(s, x, &w, v, 0).size() == quantized_size(s, x.size()));
        const auto qm = quantize_with(m, x, nullptr, v, 0);
        CHECK(relative_rms_error(x, dequantize(m, qm.data(), qm.size(), x.size(), v)) < 0.7);
    }
}

TEST_CASE("IQ1 quantizers at the edges: zeros, ties, zero weights, squares that overflow", "[iq1]") {
    const size_t n = 4 * QK_K;
    const std::vector<float> zeros(n, 0.0f), ones(n, 1.0f), none(n, 0.0f);
    for (GgmlType type : kIq1Types) {
        const auto& t = type_traits(type);
        INFO(t.name);
        // All zero (and groups below ggml's thresholds): all-zero blocks, as ggml writes.
        auto qz = quantize_with(t, zeros, &ones, KernelVariant::Ref, 0);
        CHECK(std::all_of(qz.begin(), qz.end(), [](uint8_t b) { return b == 0; }));
        std::vector<float> tiny(n, 1e-13f);
        qz = quantize_with(t, tiny, &ones, KernelVariant::Ref, 0);
        CHECK(std::count(qz.begin(), qz.end(), uint8_t(0)) >= ptrdiff_t(qz.size() / 2));
        // Two values, many ties: the split search sees equal values in index
        // order (ggml's qsort is a stable merge sort); +-a come back as +-a' up
        // to the delta.
        std::vector<float> two(n);
        for (size_t i = 0; i < n; ++i) two[i] = (i * 7) % 3 == 0 ? -0.5f : 0.5f;
        const auto y2 = dequantize(t, quantize_with(t, two, &ones, KernelVariant::Ref, 0).data(),
                                   quantized_size(t, n), n);
        for (size_t i = 0; i < n; ++i) CHECK((y2[i] > 0) == (two[i] > 0));
        // Zero importance everywhere: no fit can be made; finite blocks.
        const auto x = weights_like(n, 3);
        const auto y0 = dequantize(t, quantize_with(t, x, &none, KernelVariant::Ref, 0).data(),
                                   quantized_size(t, n), n);
        CHECK(all_finite(y0));
        // |x| ~ 1e21: x^2 overflows float (ggml would abort on an unfit
        // group). The kernels finish, and every variant writes the same bytes;
        // the checked API then refuses the rows (their f16 scales overflow),
        // as ggml_validate_row_data would.
        std::vector<float> big = x;
        for (auto& v : big) v *= 1e21f;
        const size_t qbytes = quantized_size(t, n);
        std::vector<uint8_t> ref(qbytes);
        resolve_kernels(t, KernelVariant::Ref).quantize(big.data(), ref.data(), 1, int64_t(n), ones.data());
        for (auto v : variants_under_test()) {
            std::vector<uint8_t> q(qbytes);
            resolve_kernels(t, v).quantize(big.data(), q.data(), 1, int64_t(n), ones.data());
            CHECK(first_difference(q.data(), ref.data(), q.size()) == -1);
            CHECK_THROWS_AS(quantize_with(t, big, &ones, v, 0), Error);
        }
    }
}

// ---------------------------------------------------------------- SIMD128 = reference

TEST_CASE("IQ1 SIMD128 quantizers write the reference's bytes on stress inputs", "[iq1][simd]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build");
        return;
    }
    // Distributions that stress the vectorised split search: bell-shaped,
    // uniform, a few distinct values (ties everywhere), rare huge outliers,
    // mostly-zero groups; importance weights absent (IQ1_M), uniform, random
    // with zeros, and spanning nine decades.
    Rng rng(2024);
    const int64_t row = 2 * QK_K;
    int rows_checked = 0;
    for (int dist = 0; dist < 5; ++dist) {
        for (int wkind = 0; wkind < 4; ++wkind) {
            for (int rep = 0; rep < 3; ++rep) {
                std::vector<float> x(static_cast<size_t>(row)), w(static_cast<size_t>(row));
                for (auto& v : x) {
                    switch (dist) {
                        case 0: v = 0.05f * rng.gauss(); break;
                        case 1: v = rng.sym(); break;
                        case 2: v = 0.25f * float(rng.below(5) - 2); break;
                        case 3: v = rng.below(64) == 0 ? 40.0f * rng.sym() : 0.01f * rng.gauss(); break;
                        default: v = rng.below(4) == 0 ? rng.sym() : 0.0f; break;
                    }
                }
                for (auto& v : w) {
                    switch (wkind) {
                        case 1: v = 1.0f; break;
                        case 2: v = rng.below(5) == 0 ? 0.0f : rng.unif(); break;
                        case 3: v = std::pow(10.0f, float(rng.below(9)) - 4.0f) * rng.unif(); break;
                        default: v = 0.0f; break;
                    }
                }
                for (GgmlType type : kIq1Types) {
                    const auto& t = type_traits(type);
                    const float* qw = wkind == 0 ? nullptr : w.data();
                    if (qw == nullptr && quantize_requires_imatrix(type)) continue;
                    INFO(t.name << " distribution " << dist << " weights " << wkind << " rep " << rep);
                    std::vector<uint8_t> qa(quantized_size(t, size_t(row))), qb(qa.size());
                    resolve_kernels(t, KernelVariant::Ref).quantize(x.data(), qa.data(), 1, row, qw);
                    resolve_kernels(t, KernelVariant::Simd128).quantize(x.data(), qb.data(), 1, row, qw);
                    CHECK(first_difference(qa.data(), qb.data(), qa.size()) == -1);
                    std::vector<float> ya(static_cast<size_t>(row)), yb(static_cast<size_t>(row));
                    resolve_kernels(t, KernelVariant::Ref).dequantize_row(qa.data(), ya.data(), row);
                    resolve_kernels(t, KernelVariant::Simd128).dequantize_row(qa.data(), yb.data(), row);
                    CHECK(first_difference(ya.data(), yb.data(), ya.size() * 4) == -1);
                    ++rows_checked;
                }
            }
        }
    }
    CHECK(rows_checked == 5 * 3 * (4 + 3));
}
