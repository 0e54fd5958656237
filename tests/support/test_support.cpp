#include "support/test_support.h"

#include "core/half.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace quantlab::test {

std::string shared_dir() {
    if (const char* env = std::getenv("QUANTLAB_SHARED_DIR")) return env;
    return QUANTLAB_SHARED_DIR;
}

std::string reference_path(const std::string& name) { return shared_dir() + "/reference/" + name; }

std::string golden_dir() { return shared_dir() + "/golden"; }

std::string formats_golden_dir() {
    if (const char* env = std::getenv("QUANTLAB_FORMATS_GOLDEN_DIR")) return env;
    return QUANTLAB_FORMATS_GOLDEN_DIR;
}

std::string models_dir() {
    if (const char* env = std::getenv("QUANTLAB_MODELS_DIR")) return env;
    return QUANTLAB_MODELS_DIR;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<float> read_f32(const std::string& path) {
    const auto bytes = read_bytes(path);
    REQUIRE(bytes.size() % 4 == 0);
    std::vector<float> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

std::vector<KernelVariant> variants_under_test() {
    std::vector<KernelVariant> v{KernelVariant::Ref};
    if (simd128_compiled()) v.push_back(KernelVariant::Simd128);
    return v;
}

const std::vector<std::string>& golden_cases() {
    static const std::vector<std::string> cases{"prng", "gauss_outliers", "zeros", "const", "large"};
    return cases;
}

void quantize_row_for_test(const KernelSet& k, const float* x, void* q, int64_t n) {
    if (k.quantize_row) {
        k.quantize_row(x, q, n);
        return;
    }
    const std::vector<float> ones(static_cast<size_t>(n), 1.0f);
    REQUIRE(k.quantize != nullptr);
    k.quantize(x, q, 1, n, ones.data());
}

long first_difference(const void* a, const void* b, size_t n) {
    const auto* pa = static_cast<const uint8_t*>(a);
    const auto* pb = static_cast<const uint8_t*>(b);
    for (size_t i = 0; i < n; ++i) {
        if (pa[i] != pb[i]) return long(i);
    }
    return -1;
}

int64_t ulp_distance(float a, float b) {
    // Sign-magnitude bits to a line where consecutive floats are consecutive integers.
    auto line = [](float f) {
        const uint32_t u = float_bits(f);
        return (u & 0x80000000u) ? -int64_t(u & 0x7fffffffu) : int64_t(u);
    };
    return std::llabs(line(a) - line(b));
}

uint64_t fnv1a_floats(const float* v, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; ++i) {
        const uint32_t u = float_bits(v[i]);
        for (int b = 0; b < 4; ++b) {
            h ^= (u >> (8 * b)) & 0xffu;
            h *= 1099511628211ull;
        }
    }
    return h;
}

std::vector<float> random_floats(size_t n, uint32_t seed, float scale) {
    std::vector<float> out(n);
    uint32_t x = seed ? seed : 1u;
    for (auto& v : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v = (float(x >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
    return out;
}

}  // namespace quantlab::test
