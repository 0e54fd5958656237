// The native x86 gemm kernels must equal the SIMD128 vec_dot (and so the
// SIMD128 gemm and the wasm build) bit for bit, on the same shapes.
#include <catch2/catch.hpp>

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
    CHECK(covered >= 4);
#else
    SUCCEED("not a native x86 SIMD128 build");
#endif
}
