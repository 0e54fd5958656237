// K-quant properties the golden files cannot show: the importance-matrix
// path (llama-quantize --imatrix), the packed 6-bit scale layouts, Q8_K's
// block sums and the dot products against a double-precision reference.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "formats/block_types.h"
#include "formats/quantize.h"
#include "formats/ref/k_quants_ref.h"
#include "formats/ref/quant_search.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

const GgmlType kWeightTypes[] = {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

}  // namespace

TEST_CASE("K-quant traits rows describe ggml's formats", "[k_quants]") {
    const struct {
        GgmlType type;
        const char* name;
        size_t bytes;
    } rows[] = {{GgmlType::Q2_K, "q2_K", 84},  {GgmlType::Q3_K, "q3_K", 110}, {GgmlType::Q4_K, "q4_K", 144},
                {GgmlType::Q5_K, "q5_K", 176}, {GgmlType::Q6_K, "q6_K", 210}, {GgmlType::Q8_K, "q8_K", 292}};
    for (const auto& r : rows) {
        const auto& t = type_traits(r.type);
        INFO(r.name);
        CHECK(std::string(t.name) == r.name);
        CHECK(t.block_size == 256);
        CHECK(t.type_size == r.bytes);
        CHECK(t.vec_dot_type == GgmlType::Q8_K);
        CHECK(t.uses_imatrix == (r.type != GgmlType::Q8_K));
        CHECK(t.ref.quantize != nullptr);
        CHECK((t.ref.vec_dot == nullptr) == (r.type == GgmlType::Q8_K));
    }
}

TEST_CASE("an importance matrix lowers the importance-weighted error", "[k_quants][imatrix]") {
    const size_t n_per_row = 2048;
    const size_t nrows = 2;
    for (GgmlType type : kWeightTypes) {
        const auto& t = type_traits(type);
        for (auto v : variants_under_test()) {
            double gain_sum = 0.0;
            for (uint32_t seed = 1; seed <= 5; ++seed) {
                INFO(t.name << " " << kernel_variant_name(v) << " seed " << seed);
                const auto x = random_floats(n_per_row * nrows, 100 + seed, 0.05f);
                const auto im = skewed_imatrix(n_per_row, 900 + seed);
                const auto plain = roundtrip(t, x, nullptr, n_per_row, v);
                const auto weighted = roundtrip(t, x, &im, n_per_row, v);
                const double e_plain = weighted_sq_error(x, plain, im);
                const double e_weighted = weighted_sq_error(x, weighted, im);
                INFO("weighted error without imatrix " << e_plain << ", with " << e_weighted);
                CHECK(e_plain > 0.0);
                CHECK(e_weighted <= e_plain);
                gain_sum += e_plain / e_weighted;
            }
            // Not a tie by accident: with weights this skewed the imatrix path
            // measures 1.5x (Q3_K..Q6_K) to 1.9x (Q2_K) lower weighted error.
            INFO(t.name << " mean error ratio " << gain_sum / 5.0);
            CHECK(gain_sum / 5.0 > 1.3);
        }
    }
}

TEST_CASE("a uniform importance matrix gives a sound quantization", "[k_quants][imatrix]") {
    const size_t n = 4096;
    // Upper bounds on RMSE relative to the data's RMS for uniform data, ~20%
    // above what the plain path measures: 0.235 (Q2_K), 0.126, 0.054, 0.028, 0.013 (Q6_K).
    const double max_rel_rmse[] = {0.28, 0.15, 0.065, 0.034, 0.016};
    int ti = 0;
    for (GgmlType type : kWeightTypes) {
        const auto& t = type_traits(type);
        const double bound = max_rel_rmse[ti++];
        for (auto v : variants_under_test()) {
            INFO(t.name << " " << kernel_variant_name(v));
            const auto x = random_floats(n, 4242, 1.0f);
            const std::vector<float> ones(n, 1.0f);
            const auto y = roundtrip(t, x, &ones, n, v);
            REQUIRE(all_finite(y));
            const double rms = std::sqrt(1.0 / 3.0);  // uniform on [-1, 1)
            const double rel = rmse(x, y) / rms;
            const double rel_plain = rmse(x, roundtrip(t, x, nullptr, n, v)) / rms;
            INFO("relative RMSE with imatrix " << rel << ", without " << rel_plain);
            CHECK(rel > 0.0);
            CHECK(rel < bound);
            CHECK(rel_plain < bound);
            // Same information as the plain path, so it must not be much worse.
            CHECK(rel < 1.15 * rel_plain);
        }
    }
}

TEST_CASE("the imatrix path survives zeros in the data and in the weights", "[k_quants][imatrix]") {
    const size_t n = 1024;
    for (GgmlType type : kWeightTypes) {
        const auto& t = type_traits(type);
        for (auto v : variants_under_test()) {
            INFO(t.name << " " << kernel_variant_name(v));
            const auto im = skewed_imatrix(n, 5);

            const std::vector<float> zeros(n, 0.0f);
            const auto yz = roundtrip(t, zeros, &im, n, v);
            REQUIRE(all_finite(yz));
            for (float f : yz) CHECK(f == 0.0f);

            // A super-block whose columns no activation ever reached (imatrix 0)
            // next to ordinary ones: no NaN, and the others are still accurate.
            auto im_hole = im;
            for (size_t i = 256; i < 512; ++i) im_hole[i] = 0.0f;
            const auto x = random_floats(n, 77, 0.5f);
            const auto y = roundtrip(t, x, &im_hole, n, v);
            REQUIRE(all_finite(y));
            const std::vector<float> x0(x.begin(), x.begin() + 256), y0(y.begin(), y.begin() + 256);
            CHECK(rmse(x0, y0) < 0.25 * 0.5);

            // All-zero weights everywhere and a constant row.
            const std::vector<float> no_weights(n, 0.0f);
            REQUIRE(all_finite(roundtrip(t, x, &no_weights, n, v)));
            const std::vector<float> flat(n, 0.25f);
            REQUIRE(all_finite(roundtrip(t, flat, &im, n, v)));
        }
    }
}

TEST_CASE("imatrix quantization of a tensor is row by row with per-column weights", "[k_quants][imatrix]") {
    const size_t n_per_row = 512;
    const size_t nrows = 3;
    for (GgmlType type : kWeightTypes) {
        const auto& t = type_traits(type);
        const auto x = random_floats(n_per_row * nrows, 31, 0.2f);
        const auto im = skewed_imatrix(n_per_row, 32);
        const size_t row_bytes = row_size(t, int64_t(n_per_row));
        std::vector<uint8_t> whole(row_bytes * nrows), single(row_bytes);
        CHECK(t.ref.quantize(x.data(), whole.data(), int64_t(nrows), int64_t(n_per_row), im.data()) ==
              row_bytes * nrows);
        for (size_t r = 0; r < nrows; ++r) {
            INFO(t.name << " row " << r);
            t.ref.quantize(x.data() + r * n_per_row, single.data(), 1, int64_t(n_per_row), im.data());
            CHECK(std::memcmp(whole.data() + r * row_bytes, single.data(), row_bytes) == 0);
        }
        // And the weights do reach the quantizer: a different imatrix changes the bytes.
        const auto im2 = skewed_imatrix(n_per_row, 33);
        t.ref.quantize(x.data(), single.data(), 1, int64_t(n_per_row), im2.data());
        CHECK(std::memcmp(whole.data(), single.data(), row_bytes) != 0);
    }
}

TEST_CASE("Q4_K/Q5_K 6-bit scale and min packing round-trips", "[k_quants][scales]") {
    SECTION("hand-computed layout") {
        uint8_t packed[K_SCALE_SIZE] = {};
        const uint8_t ls[8] = {10, 17, 24, 31, 38, 45, 52, 59};
        const uint8_t lm[8] = {63, 58, 53, 48, 43, 38, 33, 28};
        for (int j = 0; j < 8; ++j) set_scale_min_k4(j, ls[j], lm[j], packed);
        const uint8_t want[K_SCALE_SIZE] = {138, 145, 216, 223, 191, 186, 181, 112, 182, 109, 20, 203};
        for (int b = 0; b < K_SCALE_SIZE; ++b) {
            INFO("byte " << b);
            CHECK(int(packed[b]) == int(want[b]));
        }
        for (int j = 0; j < 8; ++j) {
            uint8_t sc = 0, m = 0;
            get_scale_min_k4(j, packed, &sc, &m);
            CHECK(int(sc) == int(ls[j]));
            CHECK(int(m) == int(lm[j]));
        }
    }
    SECTION("every 6-bit value in every slot") {
        auto noise = random_floats(16, 3, 1.0f);
        for (int j = 0; j < 8; ++j) {
            for (int v = 0; v < 64; ++v) {
                uint8_t ls[8], lm[8];
                for (int k = 0; k < 8; ++k) {
                    ls[k] = uint8_t(int(std::fabs(noise[k]) * 63.0f) & 63);
                    lm[k] = uint8_t(int(std::fabs(noise[8 + k]) * 63.0f) & 63);
                }
                ls[j] = uint8_t(v);
                lm[j] = uint8_t(63 - v);
                uint8_t packed[K_SCALE_SIZE];
                std::memset(packed, 0xff, sizeof packed);  // set_scale_min_k4 must not depend on old bytes
                for (int k = 0; k < 8; ++k) set_scale_min_k4(k, ls[k], lm[k], packed);
                for (int k = 0; k < 8; ++k) {
                    uint8_t sc = 0, m = 0;
                    get_scale_min_k4(k, packed, &sc, &m);
                    INFO("slot " << j << " value " << v << " read back at " << k);
                    REQUIRE(int(sc) == int(ls[k]));
                    REQUIRE(int(m) == int(lm[k]));
                }
            }
        }
    }
    SECTION("the dequantizers read the packed scales where they were put") {
        // d = dmin = 1 and every quant = 1, so group j dequantizes to ls[j] - lm[j].
        const uint8_t ls[8] = {10, 17, 24, 31, 38, 45, 52, 59};
        const uint8_t lm[8] = {63, 58, 53, 48, 43, 38, 33, 28};
        block_q4_K b4{};
        block_q5_K b5{};
        b4.d = b4.dmin = b5.d = b5.dmin = fp32_to_fp16(1.0f);
        for (int j = 0; j < 8; ++j) {
            set_scale_min_k4(j, ls[j], lm[j], b4.scales);
            set_scale_min_k4(j, ls[j], lm[j], b5.scales);
        }
        std::memset(b4.qs, 0x11, sizeof b4.qs);
        std::memset(b5.qs, 0x11, sizeof b5.qs);
        std::memset(b5.qh, 0x00, sizeof b5.qh);
        std::vector<float> y4(QK_K), y5(QK_K);
        dequantize_row_q4_K_ref(&b4, y4.data(), QK_K);
        dequantize_row_q5_K_ref(&b5, y5.data(), QK_K);
        for (int i = 0; i < QK_K; ++i) {
            INFO("value " << i);
            CHECK(y4[i] == float(int(ls[i / 32]) - int(lm[i / 32])));
            CHECK(y5[i] == float(int(ls[i / 32]) - int(lm[i / 32])));
        }
        // The fifth bit: bit 2c+h of qh[l] lifts value l of half h of chunk c by 16.
        b5.qh[3] = 0x04;  // chunk 1, low half, value 3 -> index 64 + 3
        dequantize_row_q5_K_ref(&b5, y5.data(), QK_K);
        CHECK(y5[67] == float(17 * int(ls[2]) - int(lm[2])));
        CHECK(y5[66] == float(int(ls[2]) - int(lm[2])));
    }
}

TEST_CASE("Q3_K's 16 packed 6-bit scales land in their groups", "[k_quants][scales]") {
    // Scale s_j for group j: low nibble in byte j (j < 8) or the high nibble of
    // byte j-8, top two bits at bit 2*(j/4) of byte 8 + j%4; value = s_j - 32.
    int s[16];
    for (int j = 0; j < 16; ++j) s[j] = (j * 23 + 5) % 64;
    block_q3_K b{};
    for (int j = 0; j < 16; ++j) {
        if (j < 8) {
            b.scales[j] = uint8_t(b.scales[j] | (s[j] & 0xF));
        } else {
            b.scales[j - 8] = uint8_t(b.scales[j - 8] | ((s[j] & 0xF) << 4));
        }
        b.scales[8 + j % 4] = uint8_t(b.scales[8 + j % 4] | ((s[j] >> 4) << (2 * (j / 4))));
    }
    b.d = fp32_to_fp16(1.0f);
    std::memset(b.qs, 0x55, sizeof b.qs);     // every 2-bit field = 1
    std::memset(b.hmask, 0xff, sizeof b.hmask);  // high bit set: no -4 offset
    std::vector<float> y(QK_K);
    dequantize_row_q3_K_ref(&b, y.data(), QK_K);
    for (int i = 0; i < QK_K; ++i) {
        INFO("value " << i);
        CHECK(y[i] == float(s[i / 16] - 32));
    }
    // A cleared hmask bit subtracts 4: value 40 sits in hmask[8], bit 1.
    b.hmask[8] = uint8_t(~0x02);
    dequantize_row_q3_K_ref(&b, y.data(), QK_K);
    CHECK(y[40] == float((s[2] - 32) * (1 - 4)));
    CHECK(y[8] == float(s[0] - 32));
}

TEST_CASE("Q8_K block sums are the sums of their 16-value groups", "[k_quants][q8_K]") {
    for (float scale : {1e-3f, 1.0f, 2e4f}) {
        const size_t n = QK_K * 6;
        auto x = random_floats(n, 55, scale);
        x[300] = -3.0f * scale;  // the largest magnitude of block 1 is negative
        std::vector<block_q8_K> q(n / QK_K);
        quantize_row_q8_K_ref(x.data(), q.data(), int64_t(n));
        for (size_t b = 0; b < q.size(); ++b) {
            INFO("scale " << scale << " block " << b);
            size_t imax = 0;
            for (int j = 0; j < QK_K; ++j) {
                CHECK(std::abs(int(q[b].qs[j])) <= 127);
                if (std::fabs(x[b * QK_K + j]) > std::fabs(x[b * QK_K + imax])) imax = size_t(j);
            }
            // d carries the sign: the largest value always maps to -127.
            CHECK(int(q[b].qs[imax]) == -127);
            CHECK(q[b].d * -127.0f == Approx(x[b * QK_K + imax]).epsilon(1e-6));
            for (int g = 0; g < QK_K / 16; ++g) {
                int sum = 0;
                for (int l = 0; l < 16; ++l) sum += q[b].qs[16 * g + l];
                CHECK(int(q[b].bsums[g]) == sum);
            }
        }
    }
    // An all-zero block: d, quants and sums all zero (sums written, not left stale).
    std::vector<float> z(QK_K, 0.0f);
    block_q8_K qz;
    std::memset(&qz, 0x5a, sizeof qz);
    quantize_row_q8_K_ref(z.data(), &qz, QK_K);
    CHECK(qz.d == 0.0f);
    for (int j = 0; j < QK_K; ++j) CHECK(qz.qs[j] == 0);
    for (int g = 0; g < QK_K / 16; ++g) CHECK(qz.bsums[g] == 0);
}

TEST_CASE("K-quant dot products match a double-precision reference", "[k_quants][vec_dot]") {
    const auto& q8k = type_traits(GgmlType::Q8_K);
    for (GgmlType type : kWeightTypes) {
        const auto& t = type_traits(type);
        for (auto v : variants_under_test()) {
            const auto k = resolve_kernels(t, v);
            for (size_t blocks : {size_t(1), size_t(2), size_t(7), size_t(32)}) {
                for (int kind = 0; kind < 3; ++kind) {
                    const size_t n = QK_K * blocks;
                    auto w = random_floats(n, 7 + uint32_t(blocks) * 3 + uint32_t(kind), 0.05f);
                    auto a = random_floats(n, 1000 + uint32_t(blocks) + uint32_t(kind), 3.0f);
                    if (kind == 1) {
                        for (size_t i = 0; i < n; i += 29) a[i] *= 40.0f;  // outlier activations
                    } else if (kind == 2) {
                        for (size_t i = 0; i < n; ++i) w[i] = std::fabs(w[i]);  // one-signed weights: large mins
                    }
                    std::vector<uint8_t> wq(quantized_size(t, n)), aq(quantized_size(q8k, n));
                    if (kind == 2) {
                        const auto im = skewed_imatrix(n, 8);
                        t.ref.quantize(w.data(), wq.data(), 1, int64_t(n), im.data());
                    } else {
                        t.ref.quantize_row(w.data(), wq.data(), int64_t(n));
                    }
                    q8k.ref.quantize_row(a.data(), aq.data(), int64_t(n));
                    const auto [truth, mag] = dequantized_dot(t, wq.data(), q8k, aq.data(), n);
                    const float got = k.vec_dot(int64_t(n), wq.data(), aq.data());
                    INFO(t.name << " " << kernel_variant_name(v) << " blocks " << blocks << " kind " << kind
                                << " got " << got << " truth " << truth << " mag " << mag);
                    REQUIRE(mag > 0.0);
                    CHECK(std::fabs(double(got) - truth) <= 1e-5 * mag);
                }
            }
        }
    }
}
