// Byte-exactness against libggml for the formats whose golden vectors live in
// the repository (tests/formats/golden, written by scripts/golden-ggml.sh):
// every case of its MANIFEST.txt whose type is in the traits table is
// quantized with every kernel variant (with its importance matrix when it has
// one; the rowwise cases one row per call, as a threaded quantizer splits a
// tensor) and dequantized, and compared bit for bit. A format is covered by
// adding its row to the traits table; nothing here names one, except the
// guard against an empty run.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "formats/quantize.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

struct LibggmlCase {
    std::string type, name;  // folder (ggml's type name, upper case) and case
    size_t n = 0, n_per_row = 0;
    bool imatrix = false;
};

// MANIFEST.txt's case lines: TYPE CASE N N_PER_ROW yes|no BYTES MAX_ERR RMS.
std::vector<LibggmlCase> libggml_cases() {
    std::ifstream in(formats_golden_dir() + "/MANIFEST.txt");
    REQUIRE(in.good());
    std::vector<LibggmlCase> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        LibggmlCase c;
        std::string im;
        if (!(s >> c.type >> c.name >> c.n >> c.n_per_row >> im) || (im != "yes" && im != "no")) continue;
        c.imatrix = im == "yes";
        cases.push_back(c);
    }
    return cases;
}

const TypeTraits* traits_or_null(const std::string& name) {
    try {
        return &type_traits_by_name(name);
    } catch (const Error&) {
        return nullptr;  // in the golden set, not implemented (yet)
    }
}

}  // namespace

TEST_CASE("libggml golden vectors: quantize and dequantize byte for byte", "[golden][libggml]") {
    const auto cases = libggml_cases();
    REQUIRE(cases.size() >= 100);
    std::map<std::string, int> exact;  // type -> cases byte-exact on every variant
    for (const auto& c : cases) {
        const TypeTraits* t = traits_or_null(c.type);
        if (!t) continue;
        const std::string base = formats_golden_dir() + "/" + c.type + "/" + c.name;
        const auto in = read_f32(base + ".in.f32");
        const auto want_q = read_bytes(base + ".q.bin");
        const auto want_deq = read_f32(base + ".deq.f32");
        REQUIRE(in.size() == c.n);
        std::vector<float> imatrix;
        if (c.imatrix) imatrix = read_f32(base + ".imatrix.f32");
        bool all_exact = true;
        for (auto v : variants_under_test()) {
            INFO(c.type << " " << c.name << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.n_per_row = int64_t(c.n_per_row);
            opt.variant = v;
            if (c.imatrix) {
                opt.imatrix = imatrix.data();
                opt.imatrix_len = imatrix.size();
            }
            std::vector<uint8_t> q(quantized_size(*t, c.n), 0xA5);
            REQUIRE(q.size() == want_q.size());
            if (c.name.rfind("rowwise", 0) == 0) {
                const size_t row_bytes = row_size(*t, int64_t(c.n_per_row));
                for (size_t r = 0; r < c.n / c.n_per_row; ++r) {
                    quantize_into(*t, in.data() + r * c.n_per_row, c.n_per_row, q.data() + r * row_bytes, row_bytes,
                                  opt);
                }
            } else {
                quantize_into(*t, in.data(), in.size(), q.data(), q.size(), opt);
            }
            const long dq = first_difference(q.data(), want_q.data(), q.size());
            INFO("first differing byte " << dq);
            CHECK(dq == -1);

            const auto deq = dequantize(*t, want_q.data(), want_q.size(), c.n, v);
            const long dd = first_difference(deq.data(), want_deq.data(), deq.size() * 4);
            CHECK(dd == -1);
            all_exact = all_exact && dq == -1 && dd == -1;
        }
        exact[c.type] += all_exact ? 1 : 0;
    }
    // Guards against a silently empty run: the formats implemented so far,
    // with every one of their cases (MANIFEST.txt: 10 with an importance
    // matrix for IQ1_S / IQ2_XXS / IQ2_XS, 20 for the others).
    CHECK(exact["TQ1_0"] == 20);
    CHECK(exact["TQ2_0"] == 20);
    CHECK(exact["MXFP4"] == 20);
    CHECK(exact["IQ2_XXS"] == 10);
    CHECK(exact["IQ2_XS"] == 10);
    CHECK(exact["IQ2_S"] == 20);
    CHECK(exact["IQ1_S"] == 10);
    CHECK(exact["IQ1_M"] == 20);
    CHECK(exact["IQ3_XXS"] == 20);
    CHECK(exact["IQ3_S"] == 20);
}
