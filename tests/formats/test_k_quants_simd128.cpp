// The K-quant SIMD128 kernels against their scalar references on inputs aimed
// at the scale searches: outliers, constant and alternating groups, exact
// rounding ties, groups whose scale rounds to zero, tiny and huge magnitudes,
// and many random super-blocks. Quantizers must give identical bytes,
// dequantizers identical floats, dot products agree to 1e-5 relative.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/ref/k_quants_ref.h"
#include "formats/type_traits.h"
#include "support/quant_test_helpers.h"
#include "support/test_support.h"
#if QUANTLAB_SIMD128
#include "formats/simd128/k_quants_simd128.h"
#endif

using namespace quantlab;
using quantlab::test::first_difference;
using quantlab::test::Rng;
using quantlab::test::relative_rms_error;

#if QUANTLAB_SIMD128

namespace {

struct KType {
    const char* name;
    size_t block_bytes;
    QuantizeRowFn q_ref, q_simd;
    QuantizeFn c_ref, c_simd;
    DequantizeRowFn d_ref, d_simd;
    VecDotFn v_ref, v_simd;  // null for Q8_K
};

size_t q8K_chunk_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    return quantize_rows_with(quantize_row_q8_K_ref, size_t(n_per_row / QK_K) * sizeof(block_q8_K), src, dst, nrows,
                              n_per_row);
}

const std::vector<KType>& ktypes() {
    static const std::vector<KType> t{
        {"q2_K", sizeof(block_q2_K), quantize_row_q2_K_ref, quantize_row_q2_K_simd128, quantize_q2_K_ref,
         quantize_q2_K_simd128, dequantize_row_q2_K_ref, dequantize_row_q2_K_simd128, vec_dot_q2_K_q8_K_ref,
         vec_dot_q2_K_q8_K_simd128},
        {"q3_K", sizeof(block_q3_K), quantize_row_q3_K_ref, quantize_row_q3_K_simd128, quantize_q3_K_ref,
         quantize_q3_K_simd128, dequantize_row_q3_K_ref, dequantize_row_q3_K_simd128, vec_dot_q3_K_q8_K_ref,
         vec_dot_q3_K_q8_K_simd128},
        {"q4_K", sizeof(block_q4_K), quantize_row_q4_K_ref, quantize_row_q4_K_simd128, quantize_q4_K_ref,
         quantize_q4_K_simd128, dequantize_row_q4_K_ref, dequantize_row_q4_K_simd128, vec_dot_q4_K_q8_K_ref,
         vec_dot_q4_K_q8_K_simd128},
        {"q5_K", sizeof(block_q5_K), quantize_row_q5_K_ref, quantize_row_q5_K_simd128, quantize_q5_K_ref,
         quantize_q5_K_simd128, dequantize_row_q5_K_ref, dequantize_row_q5_K_simd128, vec_dot_q5_K_q8_K_ref,
         vec_dot_q5_K_q8_K_simd128},
        {"q6_K", sizeof(block_q6_K), quantize_row_q6_K_ref, quantize_row_q6_K_simd128, quantize_q6_K_ref,
         quantize_q6_K_simd128, dequantize_row_q6_K_ref, dequantize_row_q6_K_simd128, vec_dot_q6_K_q8_K_ref,
         vec_dot_q6_K_q8_K_simd128},
        {"q8_K", sizeof(block_q8_K), quantize_row_q8_K_ref, quantize_row_q8_K_simd128, q8K_chunk_ref,
         quantize_q8_K_simd128, dequantize_row_q8_K_ref, dequantize_row_q8_K_simd128, nullptr, nullptr},
    };
    return t;
}

struct Case {
    std::string name;
    std::vector<float> x;  // a multiple of QK_K values
};

// One super-block of a randomly chosen shape; sub-block scales vary over a
// wide range so some groups end with a zero 4/6-bit scale.
void random_block(Rng& r, float* x) {
    const int kind = r.below(8);
    const float base = std::ldexp(1.0f, r.below(24) - 12);
    for (int sb = 0; sb < 16; ++sb) {
        const float s = base * (kind == 7 ? std::ldexp(1.0f, r.below(20) - 10) : 1.0f + r.unif());
        const float off = (kind == 3 || kind == 4) ? s * (1.0f + 2.0f * r.unif()) * (kind == 3 ? 1.0f : -1.0f) : 0.0f;
        for (int l = 0; l < 16; ++l) {
            float v;
            switch (kind) {
                case 0: v = s * r.sym(); break;
                case 1: v = s * r.gauss(); break;
                case 2: v = s * r.gauss() * r.gauss(); break;   // heavy tails
                case 3: case 4: v = off + s * r.sym(); break;  // one-sided groups (min > 0 / max < 0)
                case 5: v = s * float(r.below(9) - 4) * 0.5f; break;  // coarse grid, many ties
                case 6: v = (r.below(4) == 0) ? 0.0f : s * r.sym(); break;  // sprinkled zeros
                default: v = s * r.sym(); break;
            }
            x[16 * sb + l] = v;
        }
    }
}

std::vector<Case> make_cases() {
    std::vector<Case> cases;
    {
        Rng r(20240611);
        Case c{"random (200 super-blocks)", std::vector<float>(200 * QK_K)};
        for (int b = 0; b < 200; ++b) random_block(r, c.x.data() + b * QK_K);
        cases.push_back(std::move(c));
    }
    {
        // one huge outlier per super-block at a random place, rest small noise
        Rng r(7);
        Case c{"one huge outlier", std::vector<float>(24 * QK_K)};
        for (int b = 0; b < 24; ++b) {
            float* x = c.x.data() + b * QK_K;
            for (int j = 0; j < QK_K; ++j) x[j] = 0.01f * r.gauss();
            x[r.below(QK_K)] = (b % 2 ? -1.0f : 1.0f) * std::ldexp(1.0f, b % 12) * 50.0f;
        }
        cases.push_back(std::move(c));
    }
    {
        // an outlier in every 16-value group, at varying offsets and signs
        Rng r(8);
        Case c{"outlier per group", std::vector<float>(8 * QK_K)};
        for (size_t j = 0; j < c.x.size(); ++j) c.x[j] = 0.05f * r.sym();
        for (size_t g = 0; g < c.x.size() / 16; ++g) c.x[16 * g + r.below(16)] = (r.below(2) ? 30.0f : -30.0f) * (1.0f + r.unif());
        cases.push_back(std::move(c));
    }
    {
        Case c{"all equal", {}};
        for (float v : {0.25f, -0.7f, 1.0f, -3e3f, 1e-20f, 0.0f, -0.0f}) c.x.insert(c.x.end(), QK_K, v);
        // equal within each group, different across groups
        std::vector<float> g(QK_K);
        for (int j = 0; j < QK_K; ++j) g[size_t(j)] = float((j / 16) % 5 - 2) * 0.375f;
        c.x.insert(c.x.end(), g.begin(), g.end());
        std::vector<float> g32(QK_K);
        for (int j = 0; j < QK_K; ++j) g32[size_t(j)] = float((j / 32) + 1) * 0.1f;
        c.x.insert(c.x.end(), g32.begin(), g32.end());
        cases.push_back(std::move(c));
    }
    {
        Case c{"alternating signs", {}};
        for (float a : {1.0f, 0.003f, 250.0f}) {
            for (float b : {a, 0.5f * a, 3.0f * a}) {
                for (int j = 0; j < QK_K; ++j) c.x.push_back(j % 2 ? -b : a);
            }
        }
        std::vector<float> blk(QK_K);
        for (int j = 0; j < QK_K; ++j) blk[size_t(j)] = ((j / 16) % 2 ? -1.0f : 1.0f) * (1.0f + float(j % 16) / 16.0f);
        c.x.insert(c.x.end(), blk.begin(), blk.end());
        cases.push_back(std::move(c));
    }
    {
        // values on the rounding ties of the searches: half-integers, the
        // integer grids of each format, and grids scaled by powers of two
        Case c{"rounding ties", {}};
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float(j % 17 - 8) * 0.5f);
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float(j % 8 - 4));           // Q3_K grid
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float(j % 64 - 32));         // Q6_K grid
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float(j % 16));              // Q4_K grid
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float(j % 32) * 0.125f);     // Q5_K grid
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float(j % 4) - 1.5f);        // Q2_K grid
        for (int j = 0; j < QK_K; ++j) c.x.push_back(float((j * 7) % 255 - 127)); // Q8_K grid
        for (int j = 0; j < QK_K; ++j) c.x.push_back(std::ldexp(float(j % 9) - 4.0f, -(j / 32)) + 0.5f);
        cases.push_back(std::move(c));
    }
    {
        Rng r(99);
        Case c{"tiny magnitudes", std::vector<float>(12 * QK_K)};
        for (size_t j = 0; j < c.x.size(); ++j) {
            const size_t b = j / QK_K;
            const float s = b < 4 ? 1e-30f : b < 8 ? 1e-15f * (0.5f + float(b - 4) * 0.25f) : 1e-38f;
            c.x[j] = s * r.gauss();
        }
        cases.push_back(std::move(c));
    }
    {
        Rng r(1234);
        Case c{"large magnitudes", std::vector<float>(12 * QK_K)};
        for (size_t j = 0; j < c.x.size(); ++j) c.x[j] = 1e4f * r.gauss() * (j / QK_K % 3 == 0 ? 6.0f : 1.0f);
        cases.push_back(std::move(c));
    }
    {
        // groups spanning nine decades inside one super-block: the small ones
        // get a zero quantized scale and keep the search's own L
        Rng r(4242);
        Case c{"wide dynamic range", std::vector<float>(16 * QK_K)};
        for (int b = 0; b < 16; ++b) {
            for (int sb = 0; sb < 16; ++sb) {
                const float s = std::pow(10.0f, float((sb * 7 + b) % 10) - 6.0f);
                for (int l = 0; l < 16; ++l) c.x[size_t(b * QK_K + sb * 16 + l)] = s * r.sym() + (b % 3 == 0 ? s : 0.0f);
            }
        }
        cases.push_back(std::move(c));
    }
    {
        Rng r(31337);
        Case c{"zero and non-zero groups", std::vector<float>(8 * QK_K)};
        for (size_t j = 0; j < c.x.size(); ++j) c.x[j] = ((j / 16 + j / QK_K) % 3 == 0) ? 0.0f : r.gauss();
        cases.push_back(std::move(c));
    }
    return cases;
}

}  // namespace

TEST_CASE("K-quant SIMD128 quantizers give the reference bytes on search-stressing inputs", "[simd][kquants]") {
    const auto cases = make_cases();
    for (const auto& t : ktypes()) {
        for (const auto& c : cases) {
            INFO(t.name << ": " << c.name);
            const int64_t n = int64_t(c.x.size());
            const size_t bytes = size_t(n / QK_K) * t.block_bytes;
            std::vector<uint8_t> qa(bytes, 0xA5), qb(bytes, 0x5A);
            t.q_ref(c.x.data(), qa.data(), n);
            t.q_simd(c.x.data(), qb.data(), n);
            const long diff = first_difference(qa.data(), qb.data(), bytes);
            INFO("first differing byte " << diff << " (super-block " << (diff < 0 ? -1 : diff / long(t.block_bytes))
                                         << ", offset " << (diff < 0 ? -1 : diff % long(t.block_bytes)) << ")");
            CHECK(diff == -1);

            // The chunk entry point (llama-quantize's path) over two rows when possible.
            const int64_t nrows = (n / QK_K) % 2 == 0 ? 2 : 1;
            std::vector<uint8_t> ca(bytes, 0x11), cb(bytes, 0x22);
            CHECK(t.c_ref(c.x.data(), ca.data(), nrows, n / nrows, nullptr) == bytes);
            CHECK(t.c_simd(c.x.data(), cb.data(), nrows, n / nrows, nullptr) == bytes);
            CHECK(first_difference(ca.data(), cb.data(), bytes) == -1);
            CHECK(first_difference(ca.data(), qa.data(), bytes) == -1);

            std::vector<float> ya(static_cast<size_t>(n)), yb(static_cast<size_t>(n));
            t.d_ref(qa.data(), ya.data(), n);
            t.d_simd(qa.data(), yb.data(), n);
            CHECK(first_difference(ya.data(), yb.data(), size_t(n) * 4) == -1);
        }
    }
}

TEST_CASE("K-quant SIMD128 quantizers reconstruct smooth data as well as the format allows", "[simd][kquants]") {
    // Real values, not just agreement: relative RMS error of a bell-shaped row.
    Rng r(5);
    std::vector<float> x(64 * QK_K);
    for (auto& v : x) v = 0.02f * r.gauss();
    const double bound[] = {0.45, 0.2, 0.1, 0.05, 0.025, 0.008};  // q2_K .. q6_K, q8_K
    size_t k = 0;
    double prev = 1.0;
    for (const auto& t : ktypes()) {
        std::vector<uint8_t> q(x.size() / QK_K * t.block_bytes);
        t.q_simd(x.data(), q.data(), int64_t(x.size()));
        std::vector<float> y(x.size());
        t.d_simd(q.data(), y.data(), int64_t(x.size()));
        const double e = relative_rms_error(x, y);
        INFO(t.name << " relative RMS error " << e);
        CHECK(e > 0.0);
        CHECK(e < bound[k]);
        CHECK(e < prev);  // every extra bit helps
        prev = e;
        ++k;
    }
}

TEST_CASE("K-quant SIMD128: groups whose quantized scale is zero keep the search result", "[simd][kquants]") {
    // A super-block whose first group is 1e6 times larger than the rest: the
    // small groups' 6-bit (Q4_K) / int8 (Q6_K) scales round to zero.
    Rng r(77);
    std::vector<float> x(QK_K);
    for (int j = 0; j < QK_K; ++j) x[size_t(j)] = (j < 32 ? 1e3f : 1e-3f) * (0.5f + r.unif());
    for (const auto& t : ktypes()) {
        INFO(t.name);
        std::vector<uint8_t> qa(t.block_bytes), qb(t.block_bytes);
        t.q_ref(x.data(), qa.data(), QK_K);
        t.q_simd(x.data(), qb.data(), QK_K);
        CHECK(first_difference(qa.data(), qb.data(), t.block_bytes) == -1);
    }
    block_q6_K b6;
    quantize_row_q6_K_simd128(x.data(), &b6, QK_K);
    CHECK(b6.scales[0] != 0);
    CHECK(b6.scales[15] == 0);
    block_q4_K b4;
    quantize_row_q4_K_simd128(x.data(), &b4, QK_K);
    CHECK((b4.scales[0] & 63) != 0);
    CHECK((b4.scales[1] & 63) == 0);
}

TEST_CASE("K-quant SIMD128 dequantizers equal the reference on arbitrary block bytes", "[simd][kquants]") {
    // Every bit pattern of quants and scales; fp16 scales kept finite.
    Rng r(2718);
    for (const auto& t : ktypes()) {
        INFO(t.name);
        const int nb = 64;
        std::vector<uint8_t> q(size_t(nb) * t.block_bytes);
        for (auto& v : q) v = uint8_t(r.next() >> 24);
        for (int b = 0; b < nb; ++b) {
            uint8_t* blk = q.data() + size_t(b) * t.block_bytes;
            const ggml_half h1 = fp32_to_fp16(r.sym() * 0.01f), h2 = fp32_to_fp16(r.sym() * 0.01f);
            const std::string name = t.name;
            if (name == "q2_K") {
                std::memcpy(blk + 80, &h1, 2);
                std::memcpy(blk + 82, &h2, 2);
            } else if (name == "q3_K") {
                std::memcpy(blk + 108, &h1, 2);
            } else if (name == "q4_K" || name == "q5_K") {
                std::memcpy(blk, &h1, 2);
                std::memcpy(blk + 2, &h2, 2);
            } else if (name == "q6_K") {
                std::memcpy(blk + 208, &h1, 2);
            } else {
                const float d = r.sym();
                std::memcpy(blk, &d, 4);
            }
        }
        std::vector<float> ya(size_t(nb) * QK_K), yb(size_t(nb) * QK_K);
        t.d_ref(q.data(), ya.data(), int64_t(ya.size()));
        t.d_simd(q.data(), yb.data(), int64_t(yb.size()));
        CHECK(first_difference(ya.data(), yb.data(), ya.size() * 4) == -1);
        double mag = 0;
        for (float v : ya) mag += std::fabs(v);
        CHECK(mag > 0.0);
    }
}

TEST_CASE("K-quant SIMD128 dequantizers convert every fp16 scale like the reference", "[simd][kquants]") {
    // All 65536 half patterns as Q4_K d (dmin 0, scale 1, quant 1): subnormal,
    // Inf and NaN included. NaN payloads may legitimately differ, so NaNs only
    // have to stay NaN.
    std::vector<block_q4_K> blocks(65536);
    for (uint32_t h = 0; h < 65536; ++h) {
        block_q4_K& b = blocks[h];
        std::memset(&b, 0, sizeof b);
        b.d = ggml_half(h);
        b.scales[0] = 1;
        b.qs[0] = 1;
    }
    const int64_t n = int64_t(blocks.size()) * QK_K;
    std::vector<float> ya(static_cast<size_t>(n)), yb(static_cast<size_t>(n));
    dequantize_row_q4_K_ref(blocks.data(), ya.data(), n);
    dequantize_row_q4_K_simd128(blocks.data(), yb.data(), n);
    size_t mismatches = 0;
    for (size_t i = 0; i < ya.size(); ++i) {
        const bool same = std::memcmp(&ya[i], &yb[i], 4) == 0 || (std::isnan(ya[i]) && std::isnan(yb[i]));
        mismatches += same ? 0 : 1;
    }
    CHECK(mismatches == 0);
    CHECK(yb[size_t(0x3c00) * QK_K] == 1.0f);           // d = 1.0, value 1 * 1
    CHECK(yb[size_t(0x0001) * QK_K] == 0x1p-24f);       // smallest subnormal half
    CHECK(std::isinf(yb[size_t(0x7c00) * QK_K]));
}

TEST_CASE("K-quant SIMD128 dot products agree with the reference to 1e-5 relative", "[simd][kquants]") {
    Rng r(161803);
    for (const auto& t : ktypes()) {
        if (t.v_ref == nullptr) continue;
        for (int nb : {1, 2, 7, 32}) {
            for (int rep = 0; rep < 8; ++rep) {
                const int64_t n = int64_t(nb) * QK_K;
                std::vector<float> w(static_cast<size_t>(n)), a(static_cast<size_t>(n));
                for (int b = 0; b < nb; ++b) random_block(r, w.data() + b * QK_K);
                for (auto& v : a) v = r.gauss() * (rep % 2 ? 100.0f : 1.0f);
                std::vector<uint8_t> wq(size_t(nb) * t.block_bytes), aq(size_t(nb) * sizeof(block_q8_K));
                t.q_ref(w.data(), wq.data(), n);
                if (rep >= 6) {
                    // arbitrary weight bytes (every quant and scale pattern), finite fp16 scales
                    for (auto& v : wq) v = uint8_t(r.next() >> 24);
                    std::vector<float> tmp(static_cast<size_t>(n));
                    t.d_ref(wq.data(), tmp.data(), n);
                    bool finite = true;
                    for (float v : tmp) finite = finite && std::isfinite(v);
                    if (!finite) t.q_ref(w.data(), wq.data(), n);
                }
                quantize_row_q8_K_ref(a.data(), aq.data(), n);
                std::vector<float> wd(static_cast<size_t>(n)), ad(static_cast<size_t>(n));
                t.d_ref(wq.data(), wd.data(), n);
                dequantize_row_q8_K_ref(aq.data(), ad.data(), n);
                double mag = 0;
                for (int64_t j = 0; j < n; ++j) mag += std::fabs(double(wd[size_t(j)]) * ad[size_t(j)]);
                const float vr = t.v_ref(n, wq.data(), aq.data());
                const float vs = t.v_simd(n, wq.data(), aq.data());
                INFO(t.name << " blocks=" << nb << " rep=" << rep << " ref=" << vr << " simd=" << vs << " sum|terms|=" << mag);
                CHECK(std::fabs(double(vs) - double(vr)) <= 1e-5 * mag + 1e-30);
            }
        }
    }
}

TEST_CASE("K-quant SIMD128 Q8_K keeps the sign of the first largest value and exact block sums", "[simd][kquants]") {
    // -2 comes before +2, so the ref's scale is -127 / -2: -2 maps to -127.
    std::vector<float> x(QK_K, 0.5f);
    x[10] = -2.0f;
    x[200] = 2.0f;
    block_q8_K a, b;
    quantize_row_q8_K_ref(x.data(), &a, QK_K);
    quantize_row_q8_K_simd128(x.data(), &b, QK_K);
    CHECK(std::memcmp(&a, &b, sizeof a) == 0);
    CHECK(b.d == Approx(2.0f / 127.0f));
    CHECK(b.qs[10] == -127);
    CHECK(b.qs[200] == 127);
    CHECK(b.qs[0] == 32);  // 0.5 * 127 / 2 = 31.75
    CHECK(b.bsums[0] == 16 * 32 - 127 - 32);
    CHECK(b.bsums[12] == 15 * 32 + 127);
}

#else

TEST_CASE("K-quant SIMD128 kernels", "[simd][kquants]") { SUCCEED("scalar-only build: nothing to compare"); }

#endif
