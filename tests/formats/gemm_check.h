// The gemm contract check shared by the SIMD128 and native x86 gemm tests:
// a gemm must give exactly the SIMD128 vec_dot's float for every (row, token)
// pair (the engine switches between the two by batch size, so any difference
// would make logits depend on how a prompt was batched), and must not write
// outside its rows.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "formats/quantize.h"
#include "support/test_support.h"

namespace quantlab::test {

inline uint32_t float_bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// rows x n random weights of type t (+-scale each if extremes), quantized by
// its SIMD128 quantizer (equal to the reference byte for byte, tested
// elsewhere; the i-quants' reference searches were ~95 % of these tests' time).
// Memoized: the x86 test checks every kernel level on the same shapes and
// seeds. Natively the SIMD128 gemm test went from 2.7 to 0.9 s and the x86 one
// from 8.2 to 1.2 s; under ASan they took 45 and 88 s.
inline const std::vector<uint8_t>& quantized_test_weights(const TypeTraits& t, int64_t n, int64_t rows, float scale,
                                                          uint32_t seed, bool extremes) {
    using Key = std::tuple<int, int64_t, int64_t, float, uint32_t, bool>;
    static std::map<Key, std::vector<uint8_t>> memo;
    std::vector<uint8_t>& w = memo[Key{int(t.type), n, rows, scale, seed, extremes}];
    if (w.empty()) {
        const size_t wrb = row_size(t, n);
        const KernelSet k = resolve_kernels(t, KernelVariant::Simd128);
        w.resize(size_t(rows) * wrb);
        auto wf = random_floats(size_t(rows * n), seed, scale);
        if (extremes) {
            for (float& x : wf) x = std::copysign(scale, x);
        }
        for (int64_t r = 0; r < rows; ++r) {
            quantize_row_for_test(k, wf.data() + r * n, w.data() + size_t(r) * wrb, n);
        }
    }
    return w;
}

// rows x n weights of type t and tokens x n activations of its vec_dot_type.
// extremes: every input is +-scale, so weights quantize to the ends of their
// format's range and activations to +-127 (the largest products).
inline void check_gemm(const TypeTraits& t, GemmFn gemm, int64_t n, int64_t rows, int64_t tokens, float scale,
                       uint32_t seed, bool extremes = false) {
    const KernelSet k = resolve_kernels(t, KernelVariant::Simd128);
    const TypeTraits& at = type_traits(t.vec_dot_type);
    const KernelSet ak = resolve_kernels(at, KernelVariant::Simd128);
    const size_t wrb = row_size(t, n), arb = row_size(at, n);
    std::vector<uint8_t> a(size_t(tokens) * arb);
    const std::vector<uint8_t>& w = quantized_test_weights(t, n, rows, scale, seed, extremes);
    auto af = random_floats(size_t(tokens * n), seed + 1, 1.0f);
    if (extremes) {
        for (float& x : af) x = std::copysign(1.0f, x);
    }
    for (int64_t i = 0; i < tokens; ++i) ak.quantize_row(af.data() + i * n, a.data() + size_t(i) * arb, n);
    const size_t ys = size_t(rows) + 3;  // a stride wider than the rows: padding must stay untouched
    std::vector<float> y(size_t(tokens) * ys, -12345.0f);
    gemm(n, w.data(), wrb, rows, a.data(), arb, tokens, y.data(), ys);
    int mismatches = 0;
    for (int64_t i = 0; i < tokens; ++i) {
        for (int64_t r = 0; r < rows; ++r) {
            const float want = k.vec_dot(n, w.data() + size_t(r) * wrb, a.data() + size_t(i) * arb);
            const float got = y[size_t(i) * ys + size_t(r)];
            if (float_bits_of(want) != float_bits_of(got) && mismatches++ < 3) {
                INFO(t.name << " n=" << n << " rows=" << rows << " tokens=" << tokens << " r=" << r << " t=" << i);
                CHECK(got == want);
            }
        }
        for (size_t r = size_t(rows); r < ys; ++r) CHECK(y[size_t(i) * ys + r] == -12345.0f);
    }
    INFO(t.name << " n=" << n << " rows=" << rows << " tokens=" << tokens);
    CHECK(mismatches == 0);
}

// Lengths, row and token counts around every tile and remainder size, extreme
// scales, and more rows than one unpacked panel holds.
inline void check_gemm_shapes(const TypeTraits& t, GemmFn gemm) {
    const int64_t bs = t.block_size;
    uint32_t seed = 100;
    // Float types (block size 1) need lengths around their 4- and 8-value groups.
    const std::vector<int64_t> block_counts =
        bs == 1 ? std::vector<int64_t>{1, 3, 8, 37, 68, 300} : std::vector<int64_t>{1, 3, 8};
    for (int64_t blocks : block_counts) {
        for (int64_t rows : {1, 2, 3, 4, 5, 7, 9, 17}) {
            for (int64_t tokens : {1, 2, 3, 4, 5, 9}) check_gemm(t, gemm, bs * blocks, rows, tokens, 1.0f, seed++);
        }
    }
    check_gemm(t, gemm, bs * 2, 6, 5, 3e4f, 7);
    check_gemm(t, gemm, bs * 2, 6, 5, 1e-6f, 8);
    check_gemm(t, gemm, bs, 8192 / bs + 13, 6, 1.0f, 9);
    check_gemm(t, gemm, bs * 4, 70, 13, 1.0f, 10);
}

}  // namespace quantlab::test
