// The engine against llama.cpp's own outputs on stories260K (../shared/reference/README.md).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "model/generate.h"
#include "support/reference_model.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

GenerateResult greedy(const std::string& variant, KernelVariant kv) {
    auto model = reference_model(variant);
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    ContextOptions co;
    co.n_ctx = 128;
    co.variant = kv;
    LlamaContext ctx(model, co);
    GenerateOptions go;
    go.n_predict = 40;
    go.sampler.temperature = 0.0f;
    return generate(ctx, tok, "Once upon a time", go);
}

}  // namespace

TEST_CASE("greedy generation prints exactly llama.cpp's text", "[engine]") {
    const std::string expected =
        " Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, "
        "she saw a big, red ball.";
    for (const char* variant : {"f32", "q8_0", "q4_k_m"}) {
        for (auto kv : variants_under_test()) {
            INFO(variant << " " << kernel_variant_name(kv));
            const auto r = greedy(variant, kv);
            CHECK(r.tokens.size() == 40);
            CHECK(r.prompt_text + r.text == expected);
        }
    }
}

TEST_CASE("the model's hyperparameters are read as llama.cpp reads them", "[engine]") {
    const auto& p = reference_model("f32")->hparams();
    CHECK(p.n_embd == 64);
    CHECK(p.n_layer == 5);
    CHECK(p.n_head == 8);
    CHECK(p.n_head_kv == 4);
    CHECK(p.head_dim == 8);
    CHECK(p.n_ff == 172);
    CHECK(p.n_vocab == 512);
    CHECK(p.n_ctx_train == 128);
    CHECK(p.rms_eps == Approx(1e-5f));
    CHECK(p.rope_freq_base == 10000.0f);
    CHECK_FALSE(reference_model("f32")->tied_embeddings());
}

TEST_CASE("decode rejects tokens it cannot take and leaves the cache untouched", "[engine][errors]") {
    LlamaContext ctx(reference_model("f32"), ContextOptions{16, 16, default_kernel_variant()});
    const int32_t ok[2] = {1, 400};
    ctx.decode(ok, 2, false);
    const int32_t bad[1] = {512};
    CHECK_THROWS_AS(ctx.decode(bad, 1, false), Error);
    const int32_t negative[1] = {-1};
    CHECK_THROWS_AS(ctx.decode(negative, 1, false), Error);
    std::vector<int32_t> too_many(15, 5);
    CHECK_THROWS_AS(ctx.decode(too_many.data(), int64_t(too_many.size()), false), Error);
    CHECK(ctx.n_past() == 2);
    // Still usable: the next token decodes normally.
    const int32_t next[1] = {403};
    CHECK(ctx.decode(next, 1, false).size() == 512);
}

TEST_CASE("batched prompt processing equals token-by-token decoding bit for bit", "[engine]") {
    // Batches run the formats' gemm kernels, single tokens their vec_dot; the
    // gemms reproduce vec_dot exactly, so logits must not depend on batching.
    for (const char* variant : {"f32", "q8_0", "q4_0", "q4_k_m", "iq4_nl"}) {
        for (auto kv : variants_under_test()) {
            INFO(variant << " " << kernel_variant_name(kv));
            CHECK(batched_vs_single_differences(reference_model(variant), kv) == 0);
        }
    }
}
