// The native x86 gemm kernels must equal the SIMD128 vec_dot (and so the
// SIMD128 gemm and the wasm build) bit for bit, on the same shapes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "formats/gemm_check.h"
#if QUANTLAB_X86_KERNELS
#include "formats/x86/cpu_features.h"
#include "formats/x86/native_gemm.h"
#endif

using namespace quantlab;
using namespace quantlab::test;

TEST_CASE("native x86 gemm equals the SIMD128 vec_dot bit for bit", "[simd][gemm][x86]") {
#if QUANTLAB_X86_KERNELS
    if (!x86::has_avx512vnni()) {
        WARN("this CPU has no AVX-512 VNNI (or QUANTLAB_X86_KERNELS=off): native gemm kernels not run");
        return;
    }
    int covered = 0;
    for (const auto& t : all_type_traits()) {
        const GemmFn g = x86::native_gemm(t.type);
        if (!g) continue;
        ++covered;
        check_gemm_shapes(t, g);
        // resolve_kernels hands it out in place of the SIMD128 one.
        CHECK(resolve_kernels(t, KernelVariant::Simd128).gemm == g);
    }
    CHECK(covered >= 12);  // every quantized weight format: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL Q2_K..Q6_K IQ4_XS
#else
    SUCCEED("not a native x86 SIMD128 build");
#endif
}

TEST_CASE("native x86 activation quantizers equal the SIMD128 ones byte for byte", "[simd][x86]") {
#if QUANTLAB_X86_KERNELS
    if (!x86::has_avx512vnni()) {
        WARN("this CPU has no AVX-512 VNNI (or QUANTLAB_X86_KERNELS=off): native quantizers not run");
        return;
    }
    int covered = 0;
    for (const auto& t : all_type_traits()) {
        const QuantizeRowFn q = x86::native_quantize_row(t.type);
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
            INFO(t.name << " seed " << seed);
            CHECK(std::memcmp(want.data(), got.data(), want.size()) == 0);
        }
        CHECK(resolve_kernels(t, KernelVariant::Simd128).quantize_row == q);
    }
    CHECK(covered >= 1);
#else
    SUCCEED("not a native x86 SIMD128 build");
#endif
}
