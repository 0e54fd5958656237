// quantize_model_file (what `quantlab quantize` runs) cancelled or failing at
// random points, from the header to the last tensor: no output file and no
// .partial may remain, and a NaN in the input is reported with its tensor,
// row and column. The SIGINT version against the CLI is in tests/cli/.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "quantize/model_quantizer.h"
#include "quantize/quantize_test_util.h"

using namespace quantlab;
using namespace quantlab::quant_test;

namespace {

ModelQuantizeOptions small_chunks() {
    ModelQuantizeOptions o;
    o.params.ftype = LlamaFtype::MOSTLY_Q4_K_M;
    o.chunk_values = 256 * 64;  // several progress calls inside each large tensor
    return o;
}

}  // namespace

TEST_CASE("quantize_model_file cancelled at random points leaves no output", "[quantize][atomicity]") {
    SynthLlama s;
    s.n_layer = 2;
    const std::string in = "atomicity-in.gguf", out = "atomicity-out.gguf", partial = out + ".partial";
    write_file(in, make_llama_file(s));

    // Every progress call of a full run: (tensor, done) in order.
    std::vector<std::pair<size_t, bool>> calls;
    ModelQuantizeOptions probe = small_chunks();
    probe.progress = [&](const QuantizeProgress& p) {
        calls.emplace_back(p.tensor_index, p.tensor_done);
        return true;
    };
    const ModelQuantizeResult full = quantize_model_file(in, out, probe);
    REQUIRE(exists(out));
    std::remove(out.c_str());
    const size_t n_tensors = full.plan.tensors.size();
    REQUIRE(calls.size() > n_tensors * 2);

    // The first call (header written, no tensor yet), one inside the first
    // tensor, the last tensor's first and last calls, and random ones.
    std::vector<size_t> points = {0, 1, calls.size() - 2, calls.size() - 1};
    for (size_t i = 0; i + 1 < calls.size(); ++i) {
        if (calls[i].first == n_tensors - 1) {
            points.push_back(i);
            break;
        }
    }
    std::mt19937 rng(20261204);
    while (points.size() < 14) points.push_back(std::uniform_int_distribution<size_t>(0, calls.size() - 1)(rng));

    for (const size_t k : points) {
        INFO("cancelled at progress call " << k << " of " << calls.size() << " (tensor " << calls[k].first << ")");
        size_t seen = 0;
        ModelQuantizeOptions o = small_chunks();
        o.progress = [&](const QuantizeProgress&) { return seen++ != k; };
        try {
            quantize_model_file(in, out, o);
            FAIL("expected Cancelled");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Cancelled);
        }
        CHECK_FALSE(exists(out));
        CHECK_FALSE(exists(partial));
    }
    std::remove(in.c_str());
}

TEST_CASE("a NaN in the input fails the run, names tensor, row and column, and leaves no output", "[quantize][atomicity]") {
    SynthLlama s;
    s.n_layer = 2;
    const auto clean = make_llama_file(s);
    const GgufHeader h = parse_bytes(clean);
    const std::string in = "atomicity-nan.gguf", out = "atomicity-nan-out.gguf";
    std::mt19937 rng(7);
    // The first weight, a middle one and the last: each with a NaN or Inf at a random row and column.
    for (const char* name : {"token_embd.weight", "blk.1.attn_v.weight", "output.weight"}) {
        const GgufTensorInfo& t = h.tensor(name);
        const int64_t row = std::uniform_int_distribution<int64_t>(0, t.ne[1] - 1)(rng);
        const int64_t col = std::uniform_int_distribution<int64_t>(0, t.ne[0] - 1)(rng);
        for (const float bad : {NAN, -INFINITY}) {
            auto file = clean;
            std::memcpy(file.data() + t.file_offset + size_t(row * t.ne[0] + col) * 4, &bad, 4);
            write_file(in, file);
            try {
                quantize_model_file(in, out, small_chunks());
                FAIL("expected NonFinite");
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::NonFinite);
                CHECK_THAT(e.what(), Catch::Contains("tensor " + std::string(name) + " row " + std::to_string(row) +
                                                     " column " + std::to_string(col) + " holds " +
                                                     (std::isnan(bad) ? "NaN" : "Inf")));
            }
            CHECK_FALSE(exists(out));
            CHECK_FALSE(exists(out + ".partial"));
        }
    }
    std::remove(in.c_str());
}
