// The native x86 kernels must equal the SIMD128 ones (and so the wasm build)
// bit for bit, at every kernel level this CPU runs (avx512vnni, avxvnni, avx2), on the
// same shapes: the gemms against the SIMD128 vec_dot, the Q8_0 activation
// quantizer byte for byte, attention's loops against their SIMD128 definitions.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "formats/gemm_check.h"
#include "model/attention_kernels.h"
#if QUANTLAB_X86_KERNELS
#include "formats/x86/cpu_features.h"
#include "formats/x86/native_gemm.h"
#include "model/x86/attention_kernels_x86.h"
#endif

using namespace quantlab;
using namespace quantlab::test;

#if QUANTLAB_X86_KERNELS
namespace quantlab::test {
extern const x86::LevelKernels avxvnni_kernels_as_evex;  // x86_avxvnni_evex_kernels.cpp
}

namespace {

// A kernel level under test: its name and table.
struct LevelUnderTest {
    std::string name;
    x86::Level level;
    const x86::LevelKernels* table;  // nullptr: the library's table of `level`
};

// The native levels this CPU runs, whatever QUANTLAB_X86_KERNELS says, and
// the avxvnni level's code built with AVX-512's encoding of vpdpbusd where
// only that encoding runs.
std::vector<LevelUnderTest> native_levels() {
    std::vector<LevelUnderTest> out;
    for (x86::Level l : x86::supported_levels()) {
        if (l != x86::Level::Off) out.push_back({x86::level_name(l), l, nullptr});
    }
    if (!x86::cpu_supports(x86::Level::AvxVnni) && x86::cpu_supports(x86::Level::Avx512Vnni)) {
        out.push_back({"avxvnni (EVEX vpdpbusd)", x86::Level::AvxVnni, &avxvnni_kernels_as_evex});
    }
    if (out.empty()) WARN("this CPU runs no native x86 kernel level (it lacks AVX2): not tested");
    if (!x86::cpu_supports(x86::Level::Avx512Vnni)) WARN("this CPU has no AVX-512 VNNI: that level is not tested");
    return out;
}

GemmFn gemm_of(const LevelUnderTest& l, GgmlType t) {
    return l.table ? l.table->gemm(t) : x86::native_gemm(t, l.level);
}

QuantizeRowFn quantizer_of(const LevelUnderTest& l, GgmlType t) {
    return l.table ? l.table->quantize_row(t) : x86::native_quantize_row(t, l.level);
}

bool is_active(const LevelUnderTest& l) { return !l.table && l.level == x86::active_level(); }

}  // namespace
#endif

TEST_CASE("native x86 gemm equals the SIMD128 vec_dot bit for bit at every level", "[simd][gemm][x86]") {
#if QUANTLAB_X86_KERNELS
    for (const LevelUnderTest& level : native_levels()) {
        int covered = 0;
        for (const auto& t : all_type_traits()) {
            const GemmFn g = gemm_of(level, t.type);
            if (!g) continue;
            ++covered;
            INFO("level " << level.name << ", " << t.name);
            check_gemm_shapes(t, g);
            // Values at the ends of every format's range against activations of
            // +-127: the largest int16 pair sums vpmaddubsw sees (avx2).
            check_gemm(t, g, t.block_size * 4, 7, 6, 1.0f, 11, true);
            if (is_active(level)) CHECK(resolve_kernels(t, KernelVariant::Simd128).gemm == g);
        }
        // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL Q2_K..Q6_K IQ4_XS, the seven IQ1..IQ3 formats, TQ1_0 TQ2_0, MXFP4.
        CHECK(covered >= 22);
    }
#else
    SUCCEED("not a native x86 SIMD128 build");
#endif
}

// Formats without a kernel at some level (new formats land SIMD128-first)
// must still run there: the dispatcher hands out the SIMD128 gemm. ctest
// re-runs [gemm] under QUANTLAB_X86_KERNELS=avx2 and =off, so this covers
// every level the CPU runs, and every format any branch adds.
TEST_CASE("every weight format dispatches at the active level: its x86 gemm or else SIMD128's", "[simd][gemm][x86]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: no gemm kernels");
        return;
    }
    int formats = 0, native = 0;
    for (const auto& t : all_type_traits()) {
        if (!t.simd128.gemm || !t.simd128.vec_dot) continue;
        ++formats;
        const KernelSet k = resolve_kernels(t, KernelVariant::Simd128);
#if QUANTLAB_X86_KERNELS
        const GemmFn level_gemm = x86::native_gemm(t.type);
        const QuantizeRowFn level_quantizer = x86::native_quantize_row(t.vec_dot_type);
        const std::string level = x86::level_name(x86::active_level());
#else
        const GemmFn level_gemm = nullptr;
        const QuantizeRowFn level_quantizer = nullptr;
        const std::string level = "none";
#endif
        INFO("level " << level << ", " << t.name);
        native += level_gemm != nullptr;
        CHECK(k.gemm == (level_gemm ? level_gemm : t.simd128.gemm));
        const TypeTraits& at = type_traits(t.vec_dot_type);
        if (at.simd128.quantize_row) {
            CHECK(resolve_kernels(at, KernelVariant::Simd128).quantize_row ==
                  (level_quantizer ? level_quantizer : at.simd128.quantize_row));
        }
        check_gemm(t, k.gemm, t.block_size * 3, 7, 5, 1.0f, 21);
    }
    CHECK(formats >= 18);
#if QUANTLAB_X86_KERNELS
    if (x86::active_level() == x86::Level::Off) CHECK(native == 0);
    if (x86::active_level() != x86::Level::Off) CHECK(native >= 22);
#else
    CHECK(native == 0);
#endif
}

TEST_CASE("native x86 activation quantizers equal the SIMD128 ones byte for byte at every level", "[simd][x86]") {
#if QUANTLAB_X86_KERNELS
    for (const LevelUnderTest& level : native_levels()) {
        int covered = 0;
        for (const auto& t : all_type_traits()) {
            const QuantizeRowFn q = quantizer_of(level, t.type);
            if (!q) continue;
            ++covered;
            const int64_t n = t.block_size * 64;
            for (uint32_t seed = 1; seed <= 40; ++seed) {
                auto x = random_floats(size_t(n), seed, seed % 3 == 0 ? 1e-30f : seed % 3 == 1 ? 1.0f : 1e30f);
                // Special blocks: all zero, ties after scaling, NaN, infinities,
                // subnormals, the largest floats, negative zero.
                const float specials[] = {0.0f, -0.0f, 0.5f, -0.5f, 1.5f, 2.5f, 127.0f, -127.0f, 1e-45f, -1e-40f,
                                          3.4e38f, -3.4e38f, INFINITY, -INFINITY, NAN};
                const int64_t bs = t.block_size;
                for (int64_t j = 0; j < bs; ++j) x[size_t(j)] = 0.0f;
                // max 127 makes the scale exactly 1, so every other value is a .5 tie.
                for (int64_t j = 0; j < bs; ++j) x[size_t(bs + j)] = j == 0 ? 127.0f : float(j) - 15.5f;
                x[size_t(2 * bs + seed % bs)] = specials[seed % 15];
                x[size_t(3 * bs + (seed * 7) % bs)] = specials[(seed + 5) % 15];
                x[size_t(4 * bs + 3)] = specials[(seed + 11) % 15];
                std::vector<uint8_t> want(row_size(t, n)), got(row_size(t, n), 0xAB);
                t.simd128.quantize_row(x.data(), want.data(), n);
                q(x.data(), got.data(), n);
                INFO("level " << level.name << ", " << t.name << " seed " << seed);
                CHECK(std::memcmp(want.data(), got.data(), want.size()) == 0);
            }
            if (is_active(level)) CHECK(resolve_kernels(t, KernelVariant::Simd128).quantize_row == q);
        }
        CHECK(covered >= 1);
    }
#else
    SUCCEED("not a native x86 SIMD128 build");
#endif
}

TEST_CASE("native x86 attention loops equal the SIMD128 ones bit for bit at every level", "[attention][x86]") {
#if QUANTLAB_X86_KERNELS
    for (const LevelUnderTest& lut : native_levels()) {
        const x86::Level level = lut.level;
        if (lut.table) continue;  // attention has no int8 dot: avxvnni runs avx2's loops
        const x86::AttentionKernels* k = x86::attention_kernels(level);
        REQUIRE(k != nullptr);
        // Value scales that keep the f16 accumulator normal, push it into f16
        // subnormals (below 2^-14) and towards overflow.
        for (float scale : {2.0f, 3e-6f, 2e3f})
        for (int64_t d : {64, 8, 20, 6, 130, 96, 24}) {
            const int64_t n = 37, stride = d + 5;
            const auto v = random_floats(size_t(n * stride), 21, scale);
            auto ms = random_floats(size_t(n), 22, 1.0f);
            auto vs = random_floats(size_t(n), 23, 1.0f);
            for (int64_t j = 0; j < n; ++j) {
                ms[size_t(j)] = j == 0 ? 0.0f : (j % 3 ? 1.0f : std::fabs(ms[size_t(j)]));
                vs[size_t(j)] = std::fabs(vs[size_t(j)]) * (j == 5 ? 7e4f : 1.0f);  // one row past f16's range
            }
            std::vector<float> want(size_t(d), 0.0f), acc(size_t(d), 0.0f);
            for (int64_t j = 0; j < n; ++j) {
                if (ms[size_t(j)] != 1.0f) scale_round_f16(want.data(), ms[size_t(j)], d, KernelVariant::Simd128);
                axpy_round_f16(want.data(), v.data() + j * stride, vs[size_t(j)], d, KernelVariant::Simd128);
            }
            const int64_t done = k->accumulate_values_f16(acc.data(), v.data(), stride, ms.data(), vs.data(), n, d);
            INFO("level " << x86::level_name(level) << " d=" << d << " scale " << scale);
            CHECK(done >= d / 16 * 16);
            CHECK(done <= d);
            CHECK(std::memcmp(acc.data(), want.data(), size_t(done) * sizeof(float)) == 0);
        }
        for (int64_t d : {32, 64, 128, 288}) {
            const int64_t n_keys = 23, stride = 3 * d + 4;
            const auto keys = random_floats(size_t(n_keys * stride), 31, 2.0f);
            const auto qs = random_floats(size_t(4 * d), 32, 1.5f);
            const float* q[4] = {qs.data(), qs.data() + d, qs.data() + 2 * d, qs.data() + 3 * d};
            for (int nq = 1; nq <= 4; ++nq) {
                std::vector<float> scores(size_t(4 * n_keys), -1.0f);
                k->dot_f32_keys(keys.data() + 2, stride, n_keys, q, nq, d, scores.data());
                int wrong = 0;
                for (int qk = 0; qk < nq; ++qk) {
                    for (int64_t j = 0; j < n_keys; ++j) {
                        const float want = dot_f32(keys.data() + 2 + j * stride, q[qk], d, KernelVariant::Simd128);
                        wrong += float_bits_of(scores[size_t(qk * n_keys + j)]) != float_bits_of(want);
                    }
                }
                for (size_t i = size_t(nq * n_keys); i < scores.size(); ++i) wrong += scores[i] != -1.0f;
                INFO("level " << x86::level_name(level) << " d=" << d << " nq=" << nq);
                CHECK(wrong == 0);
            }
        }
    }
#else
    SUCCEED("not a native x86 SIMD128 build");
#endif
}
