// Every SIMD128 gemm must give exactly its vec_dot's floats for every
// (row, token) pair (tests/formats/gemm_check.h). The table's SIMD128 entry is
// tested directly: on x86 resolve_kernels may hand out a native replacement,
// which test_gemm_x86.cpp checks the same way.
#include <catch2/catch.hpp>

#include "formats/gemm_check.h"

using namespace quantlab;
using namespace quantlab::test;

TEST_CASE("SIMD128 gemm equals the SIMD128 vec_dot bit for bit", "[simd][gemm]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: no gemm kernels");
        return;
    }
    int covered = 0;
    for (const auto& t : all_type_traits()) {
        if (!t.simd128.gemm || !t.simd128.vec_dot) continue;
        ++covered;
        check_gemm_shapes(t, t.simd128.gemm);
    }
    // Every weight format has one.
    CHECK(covered >= 20);
}
