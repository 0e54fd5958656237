// Gemms keep their per-thread layout of the activation rows while the caller's
// tag says the rows are unchanged (formats/prepared_activations.h). These
// tests pin the contract down from both sides: rows that changed under a new
// tag, under no tag, at another address or count are laid out again (every
// result equals the vec_dot of the current rows), and rows kept under one tag
// serve every later call, in any row slices, with the same numbers.
#include <catch2/catch.hpp>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/gemm_check.h"
#include "formats/prepared_activations.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

// rows x n weights and token rows of activations of type t, and a gemm
// called on them as the engine calls it.
struct GemmBench {
    GemmFn gemm;
    KernelSet k, ak;
    int64_t n, rows;
    size_t wrb, arb;
    const std::vector<uint8_t>& w;

    GemmBench(const TypeTraits& t_, GemmFn g, int64_t n_, int64_t rows_)
        : gemm(g), k(resolve_kernels(t_, KernelVariant::Simd128)),
          ak(resolve_kernels(type_traits(t_.vec_dot_type), KernelVariant::Simd128)), n(n_), rows(rows_),
          wrb(row_size(t_, n_)), arb(row_size(type_traits(t_.vec_dot_type), n_)),
          w(quantized_test_weights(t_, n_, rows_, 1.0f, 31, false)) {}

    // tokens rows of seeded random activations, quantized, written into a.
    void fill(std::vector<uint8_t>& a, int64_t tokens, uint32_t seed) const {
        a.resize(size_t(tokens) * arb);
        const auto af = random_floats(size_t(tokens * n), seed, 1.0f);
        for (int64_t i = 0; i < tokens; ++i) ak.quantize_row(af.data() + i * n, a.data() + size_t(i) * arb, n);
    }

    // Rows [r0, r1) for every token into y (tokens x rows), under the given tag (0: none).
    void run_into(std::vector<float>& y, const std::vector<uint8_t>& a, int64_t tokens, uint64_t tag, int64_t r0,
                  int64_t r1) const {
        const ActivationTagScope scope(tag);
        gemm(n, w.data() + size_t(r0) * wrb, wrb, r1 - r0, a.data(), arb, tokens, y.data() + r0, size_t(rows));
    }
    std::vector<float> run(const std::vector<uint8_t>& a, int64_t tokens, uint64_t tag) const {
        std::vector<float> y(size_t(tokens * rows), -1.0f);
        run_into(y, a, tokens, tag, 0, rows);
        return y;
    }

    // Values of y that differ from the vec_dot of the rows in a.
    int mismatches(const std::vector<float>& y, const std::vector<uint8_t>& a, int64_t tokens) const {
        int bad = 0;
        for (int64_t i = 0; i < tokens; ++i) {
            for (int64_t r = 0; r < rows; ++r) {
                const float want = k.vec_dot(n, w.data() + size_t(r) * wrb, a.data() + size_t(i) * arb);
                if (float_bits_of(y[size_t(i * rows + r)]) != float_bits_of(want)) ++bad;
            }
        }
        return bad;
    }
};

// The gemms under test: the SIMD128 table's and the one the engine resolves
// to (a native x86 one on x86, the relaxed one in the relaxed wasm build).
std::vector<std::pair<const TypeTraits*, GemmFn>> gemms_under_test() {
    std::vector<std::pair<const TypeTraits*, GemmFn>> out;
    for (const auto& t : all_type_traits()) {
        if (!t.simd128.gemm || !t.simd128.vec_dot) continue;
        // Not the lattice i-quants: quantizing their weights builds the lattices first, most of
        // this test's time under the sanitizers, and their gemms lay activations out with the
        // code the super-block formats here run (x86 prepare_act_groups) or not at all (SIMD128).
        const std::string name = t.name;
        if (name.rfind("iq1", 0) == 0 || name.rfind("iq2", 0) == 0 || name.rfind("iq3", 0) == 0) continue;
        out.push_back({&t, t.simd128.gemm});
        const GemmFn resolved = resolve_kernels(t, default_kernel_variant()).gemm;
        if (resolved && resolved != t.simd128.gemm) out.push_back({&t, resolved});
    }
    return out;
}

}  // namespace

TEST_CASE("activation tags: unique and nonzero, scoped per thread", "[simd][prepared]") {
    const uint64_t a = new_activation_tag(), b = new_activation_tag();
    CHECK(a != 0);
    CHECK(b != 0);
    CHECK(a != b);
    CHECK(current_activation_tag() == 0);
    {
        const ActivationTagScope outer(a);
        CHECK(current_activation_tag() == a);
        {
            const ActivationTagScope inner(b);
            CHECK(current_activation_tag() == b);
        }
        CHECK(current_activation_tag() == a);
    }
    CHECK(current_activation_tag() == 0);

    // What a buffer holds: only the rows it last laid out in full, under a tag.
    PreparedActivations held;
    const uint8_t rows[64] = {};
    int laid = 0;
    const auto lay = [&] { ++laid; };
    const auto prepare = [&](const void* p, int64_t tokens, int layout = 0) {
        return held.prepare(p, 32, tokens, 32, layout, lay);
    };
    {
        const ActivationTagScope scope(a);
        CHECK(prepare(rows, 2));
        CHECK_FALSE(prepare(rows, 2));
        CHECK(prepare(rows, 2, 1));  // another layout overwrites it
        CHECK(prepare(rows, 2));
        CHECK(prepare(rows + 32, 1));  // another address and count
        // A lay-out that throws (other rows) leaves nothing held, not even the rows before it.
        CHECK_THROWS(held.prepare(rows, 32, 1, 32, 0, [] { throw std::runtime_error("half written"); }));
        CHECK(prepare(rows + 32, 1));
    }
    {
        const ActivationTagScope scope(b);
        CHECK(prepare(rows + 32, 1));  // another tag
        CHECK_FALSE(prepare(rows + 32, 1));
    }
    CHECK(prepare(rows + 32, 1));  // no tag: never held
    CHECK(prepare(rows + 32, 1));
    CHECK(laid == 8);
}

TEST_CASE("gemms lay changed activation rows out again and reuse unchanged ones", "[simd][gemm][prepared]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: no gemm kernels");
        return;
    }
    int covered = 0, reused = 0;
    for (const auto& [tp, gemm] : gemms_under_test()) {
        const TypeTraits& t = *tp;
        // One super-block (eight 32-value blocks), 7 rows in two slices, 1 and 3 tokens: small, for the
        // sanitizer runs; the gemm tests cover the shapes.
        const int64_t n = t.block_size == 1 ? 64 : 256;
        const GemmBench g(t, gemm, n, 7);
        for (const int64_t tokens : {int64_t(1), int64_t(3)}) {
            INFO(t.name << " tokens=" << tokens);
            std::vector<uint8_t> a;
            const uint64_t tag1 = new_activation_tag();
            g.fill(a, tokens, 1);
            CHECK(g.mismatches(g.run(a, tokens, tag1), a, tokens) == 0);

            // The same rows under the same tag, in two row slices: the same numbers.
            std::vector<float> y(size_t(tokens * g.rows), -1.0f);
            g.run_into(y, a, tokens, tag1, 0, 3);
            g.run_into(y, a, tokens, tag1, 3, g.rows);
            CHECK(g.mismatches(y, a, tokens) == 0);

            // New rows at the same address: a new tag, or no tag, lays them out again.
            g.fill(a, tokens, 2);
            CHECK(g.mismatches(g.run(a, tokens, new_activation_tag()), a, tokens) == 0);
            g.fill(a, tokens, 3);
            CHECK(g.mismatches(g.run(a, tokens, 0), a, tokens) == 0);
            g.fill(a, tokens, 4);
            CHECK(g.mismatches(g.run(a, tokens, 0), a, tokens) == 0);

            // The same tag over other rows elsewhere, or fewer of them, is not mistaken for the old rows.
            const uint64_t tag2 = new_activation_tag();
            g.fill(a, tokens, 5);
            CHECK(g.mismatches(g.run(a, tokens, tag2), a, tokens) == 0);
            std::vector<uint8_t> b;
            g.fill(b, tokens, 6);
            CHECK(g.mismatches(g.run(b, tokens, tag2), b, tokens) == 0);
            if (tokens > 1) {
                std::vector<uint8_t> c;
                g.fill(c, tokens - 1, 7);
                CHECK(g.mismatches(g.run(c, tokens - 1, tag2), c, tokens - 1) == 0);
            }

            // A caller that breaks the contract (rows rewritten, tag kept) sees
            // the rows of the last call where the gemm keeps a layout: proof that
            // the checks above ran with reuse on. Rewriting in place keeps the address.
            if (tokens > 1) {
                const uint64_t tag3 = new_activation_tag();
                g.fill(a, tokens, 8);
                const std::vector<uint8_t> old = a;
                g.run(a, tokens, tag3);
                g.fill(a, tokens, 9);
                const std::vector<float> stale = g.run(a, tokens, tag3);
                if (g.mismatches(stale, a, tokens) != 0) {
                    ++reused;
                    CHECK(g.mismatches(stale, old, tokens) == 0);
                }
            }
        }
        ++covered;
    }
    CHECK(covered >= 15);
    // Q4_0, Q8_0 and the K-quants' gemms keep their layout (in every build with SIMD128).
    CHECK(reused >= 6);
}
