// Byte-exactness against libggml on tests/formats/golden (scripts/golden-ggml.sh):
// every case of MANIFEST.txt whose type the traits table implements, with
// every kernel variant: quantize through the checked API (the case's rows and
// importance matrix; the rowwise cases one row per call, as a threaded
// quantizer splits a tensor) must give libggml's bytes, dequantize its floats.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "formats/quantize.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

struct ManifestCase {
    std::string type, name;
    size_t n = 0, n_per_row = 0;
    bool imatrix = false;
};

std::vector<ManifestCase> manifest() {
    std::ifstream in(formats_golden_dir() + "/MANIFEST.txt");
    REQUIRE(in.good());
    std::vector<ManifestCase> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        ManifestCase c;
        std::string im;
        if (!(s >> c.type >> c.name >> c.n >> c.n_per_row >> im)) continue;  // the sha256 lines
        if (im != "yes" && im != "no") continue;
        c.imatrix = im == "yes";
        cases.push_back(c);
    }
    return cases;
}

const TypeTraits* implemented(const std::string& name) {
    for (const auto& t : all_type_traits()) {
        std::string upper = t.name;
        for (auto& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
        if (upper == name) return &t;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("libggml golden vectors: quantize and dequantize byte for byte", "[golden][libggml]") {
    const auto cases = manifest();
    REQUIRE(cases.size() >= 100);
    std::map<std::string, int> exact;  // "TYPE variant" -> cases byte-exact (quantize and dequantize)
    for (const auto& c : cases) {
        const TypeTraits* t = implemented(c.type);
        if (t == nullptr) continue;
        const std::string base = formats_golden_dir() + "/" + c.type + "/" + c.name;
        const auto in = read_f32(base + ".in.f32");
        const auto want_q = read_bytes(base + ".q.bin");
        const auto want_deq = read_f32(base + ".deq.f32");
        std::vector<float> imatrix;
        if (c.imatrix) imatrix = read_f32(base + ".imatrix.f32");
        REQUIRE(in.size() == c.n);
        REQUIRE(want_deq.size() == c.n);
        const bool per_row_calls = c.name.rfind("rowwise", 0) == 0;
        for (auto v : variants_under_test()) {
            INFO(c.type << " " << c.name << " " << kernel_variant_name(v));
            QuantizeOptions opt;
            opt.n_per_row = int64_t(c.n_per_row);
            opt.imatrix = c.imatrix ? imatrix.data() : nullptr;
            opt.imatrix_len = imatrix.size();
            opt.variant = v;
            std::vector<uint8_t> q;
            if (per_row_calls) {
                for (size_t r = 0; r < c.n / c.n_per_row; ++r) {
                    const auto qr = quantize(*t, in.data() + r * c.n_per_row, c.n_per_row, opt);
                    q.insert(q.end(), qr.begin(), qr.end());
                }
            } else {
                q = quantize(*t, in.data(), in.size(), opt);
            }
            REQUIRE(q.size() == want_q.size());
            const long dq = first_difference(q.data(), want_q.data(), q.size());
            INFO("first differing byte " << dq << " (block " << (dq < 0 ? -1 : dq / long(t->type_size)) << ")");
            CHECK(dq == -1);

            const auto deq = dequantize(*t, want_q.data(), want_q.size(), in.size(), v);
            const long dd = first_difference(deq.data(), want_deq.data(), deq.size() * 4);
            CHECK(dd == -1);
            if (dq == -1 && dd == -1) ++exact[c.type + " " + kernel_variant_name(v)];
        }
    }
    std::ostringstream summary;
    for (const auto& [k, n] : exact) summary << k << ": " << n << " cases\n";
    WARN("byte-exact against libggml:\n" << summary.str());
    // The formats implemented so far, with all of their cases (ten, with and without an imatrix).
    for (const char* type : {"IQ3_XXS", "IQ3_S"}) {
        for (auto v : variants_under_test()) {
            INFO(type << " " << kernel_variant_name(v));
            CHECK(exact[std::string(type) + " " + kernel_variant_name(v)] == 20);
        }
    }
}
