// Byte-exactness against ggml: every format in the traits table that has a
// folder in ../shared/golden is quantized and dequantized with every kernel
// variant and compared bit for bit.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>

#include "formats/quantize.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool has_golden(const TypeTraits& t) {
    std::ifstream probe(golden_dir() + "/" + upper(t.name) + "/prng.in.f32", std::ios::binary);
    return probe.good();
}

}  // namespace

TEST_CASE("golden vectors exist for the formats under test", "[golden]") {
    // Guards against a silently empty run: Q8_0 is the first format and must be there.
    REQUIRE(has_golden(type_traits(GgmlType::Q8_0)));
}

TEST_CASE("quantize and dequantize match ggml byte for byte", "[golden]") {
    for (const auto& t : all_type_traits()) {
        if (!t.is_quantized || !has_golden(t)) continue;
        const std::string dir = golden_dir() + "/" + upper(t.name) + "/";
        for (const auto& c : golden_cases()) {
            const auto in = read_f32(dir + c + ".in.f32");
            const auto want_q = read_bytes(dir + c + ".q.bin");
            const auto want_deq = read_f32(dir + c + ".deq.f32");
            for (auto v : variants_under_test()) {
                INFO(t.name << " " << c << " " << kernel_variant_name(v));
                QuantizeOptions opt;
                opt.variant = v;
                const auto q = quantize(t, in.data(), in.size(), opt);
                REQUIRE(q.size() == want_q.size());
                CHECK(first_difference(q.data(), want_q.data(), q.size()) == -1);

                const auto deq = dequantize(t, want_q.data(), want_q.size(), in.size(), v);
                REQUIRE(deq.size() == want_deq.size());
                CHECK(first_difference(reinterpret_cast<const uint8_t*>(deq.data()),
                                       reinterpret_cast<const uint8_t*>(want_deq.data()), deq.size() * 4) == -1);
            }
        }
    }
}

TEST_CASE("multi-row quantization equals the per-row golden bytes", "[golden]") {
    for (const auto& t : all_type_traits()) {
        if (!t.is_quantized || !has_golden(t)) continue;
        const std::string dir = golden_dir() + "/" + upper(t.name) + "/";
        // Three 1024-value cases stacked as three rows of one tensor.
        std::vector<float> in;
        std::vector<uint8_t> want;
        for (const char* c : {"zeros", "const", "large"}) {
            const auto x = read_f32(dir + c + ".in.f32");
            const auto q = read_bytes(dir + c + ".q.bin");
            in.insert(in.end(), x.begin(), x.end());
            want.insert(want.end(), q.begin(), q.end());
        }
        for (auto v : variants_under_test()) {
            INFO(t.name << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.n_per_row = 1024;
            opt.variant = v;
            const auto q = quantize(t, in.data(), in.size(), opt);
            REQUIRE(q.size() == want.size());
            CHECK(first_difference(q.data(), want.data(), q.size()) == -1);
        }
    }
}
