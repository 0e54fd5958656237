// Byte-exactness against libggml for the formats whose golden vectors live in
// the repository (tests/formats/golden, scripts/golden-ggml.sh): every case
// of MANIFEST.txt whose type is in the traits table is quantized (with its
// importance matrix when it has one; the rowwise cases one row per call, as
// a threaded quantizer splits a tensor) and dequantized with every kernel
// variant, and compared bit for bit. A type gets covered by adding its row to
// the traits table; nothing here names a format.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "formats/quantize.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

struct GoldenCase {
    std::string type, name;  // folder (ggml's upper-case name) and case
    size_t n = 0, n_per_row = 0;
    bool imatrix = false;
};

// The case lines of MANIFEST.txt: TYPE CASE N N_PER_ROW yes|no BYTES MAX_ERR RMS.
std::vector<GoldenCase> manifest() {
    std::ifstream in(formats_golden_dir() + "/MANIFEST.txt");
    REQUIRE(in.good());
    std::vector<GoldenCase> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        GoldenCase c;
        std::string im;
        if (!(s >> c.type >> c.name >> c.n >> c.n_per_row >> im) || (im != "yes" && im != "no")) continue;
        c.imatrix = im == "yes";
        cases.push_back(c);
    }
    return cases;
}

const TypeTraits* implemented(const std::string& name) {
    try {
        return &type_traits_by_name(name);
    } catch (const Error&) {
        return nullptr;  // a format of the golden set that quantlab does not implement yet
    }
}

}  // namespace

TEST_CASE("libggml golden vectors: quantize and dequantize byte for byte", "[golden][libggml]") {
    const auto cases = manifest();
    REQUIRE(cases.size() >= 100);
    std::set<std::string> covered;
    for (const auto& c : cases) {
        const TypeTraits* t = implemented(c.type);
        if (!t) continue;
        covered.insert(c.type);
        const std::string base = formats_golden_dir() + "/" + c.type + "/" + c.name;
        const auto in = read_f32(base + ".in.f32");
        const auto want_q = read_bytes(base + ".q.bin");
        const auto want_deq = read_f32(base + ".deq.f32");
        REQUIRE(in.size() == c.n);
        std::vector<float> imatrix;
        if (c.imatrix) imatrix = read_f32(base + ".imatrix.f32");
        for (auto v : variants_under_test()) {
            INFO(c.type << " " << c.name << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.n_per_row = int64_t(c.n_per_row);
            opt.variant = v;
            if (c.imatrix) {
                opt.imatrix = imatrix.data();
                opt.imatrix_len = imatrix.size();
            }
            std::vector<uint8_t> q(quantized_size(*t, c.n));
            REQUIRE(q.size() == want_q.size());
            if (c.name.rfind("rowwise", 0) == 0) {
                // One call per row into its slice of the output.
                const size_t row_bytes = row_size(*t, int64_t(c.n_per_row));
                for (size_t r = 0; r < c.n / c.n_per_row; ++r) {
                    quantize_into(*t, in.data() + r * c.n_per_row, c.n_per_row, q.data() + r * row_bytes, row_bytes,
                                  opt);
                }
            } else {
                quantize_into(*t, in.data(), in.size(), q.data(), q.size(), opt);
            }
            CHECK(first_difference(q.data(), want_q.data(), q.size()) == -1);

            const auto deq = dequantize(*t, want_q.data(), want_q.size(), c.n, v);
            CHECK(first_difference(reinterpret_cast<const uint8_t*>(deq.data()),
                                   reinterpret_cast<const uint8_t*>(want_deq.data()), deq.size() * 4) == -1);
        }
    }
    // Guards against a silently empty run: these formats are implemented.
    CHECK(covered.count("TQ1_0") == 1);
    CHECK(covered.count("TQ2_0") == 1);
    CHECK(covered.count("MXFP4") == 1);
    CHECK(covered.count("IQ3_XXS") == 1);
    CHECK(covered.count("IQ3_S") == 1);
}
