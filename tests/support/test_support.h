// Helpers shared by the Catch2 suites: fixture paths, raw file I/O and the
// list of kernel variants every format test runs against.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/type_traits.h"

namespace quantlab::test {

// ../shared beside the repository (override with the QUANTLAB_SHARED_DIR env var).
std::string shared_dir();
std::string golden_dir();
// A file of ../shared/reference (the stories260K GGUFs, eval.txt, expected figures).
std::string reference_path(const std::string& name);
// tests/formats/golden: golden vectors from libggml kept in the repository
// (scripts/golden-ggml.sh; override with QUANTLAB_FORMATS_GOLDEN_DIR).
std::string formats_golden_dir();

// The repository's models/ folder: the built-in model and its held-out text
// (override with QUANTLAB_MODELS_DIR).
std::string models_dir();

// Reads a whole file; fails the current test (REQUIRE) if it cannot.
std::vector<uint8_t> read_bytes(const std::string& path);
std::vector<float> read_f32(const std::string& path);

// Every kernel variant compiled into this build: the scalar reference always,
// SIMD128 when QUANTLAB_SIMD128 is on (native via SIMDe, or real wasm SIMD).
std::vector<KernelVariant> variants_under_test();

// The five input cases of ../shared/golden/README.md.
const std::vector<std::string>& golden_cases();

// Quantizes n values (one row) with kernels k for a test that needs some
// valid blocks: k.quantize_row where the type has one, else (IQ2_XXS, IQ2_XS:
// no quantizer without an importance matrix) k.quantize with all-ones
// importance weights.
void quantize_row_for_test(const KernelSet& k, const float* x, void* q, int64_t n);

// Index of the first byte where a and b (n bytes each) differ, or -1.
long first_difference(const void* a, const void* b, size_t n);

// Distance in representable floats between two finite floats of any signs
// (0 and -0 are 0 apart).
int64_t ulp_distance(float a, float b);

// FNV-1a over the bytes of n floats (each little-endian), continuing from h:
// a fingerprint of results that must be the same bits on every target.
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
uint64_t fnv1a_floats(const float* v, size_t n, uint64_t h = kFnvOffset);

// xorshift32 with a few distributions on top, for stress inputs.
struct Rng {
    uint32_t s;
    explicit Rng(uint32_t seed) : s(seed ? seed : 1u) {}
    uint32_t next() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    }
    float unif() { return float(next() >> 8) / 16777216.0f; }             // [0, 1)
    float sym() { return unif() * 2.0f - 1.0f; }                           // [-1, 1)
    float gauss() { return unif() + unif() + unif() + unif() - 2.0f; }  // bell-shaped, |.| < 2
    int below(int n) { return int(next() % uint32_t(n)); }
};

// Deterministic test data: xorshift32 uniform in [-scale, scale).
std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f);

}  // namespace quantlab::test
