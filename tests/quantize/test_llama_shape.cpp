// Header-only llama models: the published parameter counts, a header the
// GGUF reader accepts, and the planner's mixes on full-size shapes.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "quantize/llama_shape.h"
#include "quantize/quant_plan.h"

using namespace quantlab;

namespace {

LlamaShape llama2_7b() { return {}; }

LlamaShape llama2_70b() {
    LlamaShape s;
    s.n_embd = 8192;
    s.n_layer = 80;
    s.n_head = 64;
    s.n_head_kv = 8;
    s.n_ff = 28672;
    return s;
}

GgufHeader parsed(const GgufWriter& w) {
    const auto bytes = w.header_bytes();
    auto r = parse_gguf_header(bytes.data(), bytes.size(), w.file_size());
    REQUIRE(r.complete);
    return r.header;
}

}  // namespace

TEST_CASE("llama_shape: published parameter counts", "[quantize][shape]") {
    CHECK(llama2_7b().n_params() == 6738415616);    // Llama 2 7B
    CHECK(llama2_70b().n_params() == 68976648192);  // Llama 2 70B
}

TEST_CASE("llama_shape: the reader accepts the header and the planner plans it", "[quantize][shape]") {
    const GgufWriter w = llama_shaped_gguf(llama2_7b(), GgmlType::F16);
    const GgufHeader h = parsed(w);
    CHECK(h.tensors.size() == 2 + 32 * 9 + 1);
    CHECK(w.file_size() > 2ull * 6738415616ull);  // F16 weights, F32 norms
    QuantizeParams p;
    p.ftype = LlamaFtype::MOSTLY_Q4_K_M;
    const QuantPlan plan = plan_quantization(h, p);
    // llama.cpp's Q4_K_M of Llama 2 7B: 4.84 bits per weight (its README's table).
    CHECK(plan.new_bpw() == Approx(4.84).margin(0.03));
    CHECK_FALSE(plan.model.is_70b);
}

TEST_CASE("llama_shape: 80 layers with GQA are llama.cpp's 70B", "[quantize][shape]") {
    const GgufHeader h = parsed(llama_shaped_gguf(llama2_70b(), GgmlType::F16));
    QuantizeParams p;
    p.ftype = LlamaFtype::MOSTLY_Q4_K_M;
    const QuantPlan plan = plan_quantization(h, p);
    CHECK(plan.model.is_70b);
    CHECK(plan.model.n_gqa() == 8);
    CHECK(h.tensor("blk.0.attn_k.weight").ne == std::vector<int64_t>{8192, 1024});
}

TEST_CASE("llama_shape: bad shapes are typed errors", "[quantize][shape]") {
    LlamaShape s;
    s.n_head = 30;  // does not divide 4096
    CHECK_THROWS_AS(llama_shaped_gguf(s, GgmlType::F16), Error);
    s = {};
    s.n_head_kv = 5;
    CHECK_THROWS_AS(llama_shaped_gguf(s, GgmlType::F16), Error);
    CHECK_THROWS_AS(llama_shaped_gguf(LlamaShape{}, GgmlType::Q4_0), Error);
}
