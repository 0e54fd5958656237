// Model files that disagree with themselves or ask for absurd sizes: each
// must end in a typed Error naming the problem (the regression tests of what
// fuzz_model_loader and review found; docs/reliability.md lists them).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz/fuzz_support.h"
#include "model/llama_context.h"
#include "model/llama_model.h"
#include "model/sampler.h"

using namespace quantlab;
using namespace quantlab::fuzz;

namespace {

// A TinyLlama whose metadata `edit` may change before the tensors are added.
template <class Edit>
std::vector<uint8_t> tiny_file(const TinyLlama& m, Edit&& edit, bool with_vocab = true) {
    GgufWriter w = tiny_llama_metadata(m, with_vocab);
    edit(w);
    for (const auto& t : tiny_llama_tensors(m)) w.add_tensor(t.name, t.type, t.ne);
    return gguf_file_bytes(w, 7, false);
}

Error load_error(const std::vector<uint8_t>& file) {
    try {
        LlamaModel::load_memory(file.data(), file.size());
    } catch (const Error& e) {
        return e;
    }
    FAIL("expected the model to be refused");
    return Error(ErrorCode::InvalidArgument, "");
}

}  // namespace

TEST_CASE("a consistent tiny model loads and decodes", "[model][hostile]") {
    const auto file = tiny_llama_file(TinyLlama{}, true, 1);
    auto model = LlamaModel::load_memory(file.data(), file.size());
    LlamaContext ctx(model, ContextOptions{8, 8, KernelVariant::Ref});
    const int32_t ids[2] = {1, 5};
    CHECK(ctx.decode(ids, 2, true).size() == 2 * 16);
}

TEST_CASE("metadata arrays are not read as scalars (an empty one used to be read past its end)", "[model][hostile]") {
    for (const GgufValue& v : {GgufValue::i32_array({}), GgufValue::i32_array({2, 3})}) {
        const auto file = tiny_file(TinyLlama{}, [&](GgufWriter& w) { w.set("llama.block_count", v); });
        const Error e = load_error(file);
        CHECK(e.code() == ErrorCode::Format);
        CHECK_THAT(e.what(), Catch::Contains("expected an integer, got an array"));
    }
    CHECK_THROWS_AS(GgufValue::f32_array({}).as_u64(), Error);
}

TEST_CASE("other architectures are UnsupportedArchitecture, naming the architecture", "[model][hostile]") {
    for (const char* arch : {"qwen2", "phi3", "gemma", "falcon"}) {
        TinyLlama m;
        m.arch = arch;
        const Error e = load_error(tiny_llama_file(m, true, 1));
        CHECK(e.code() == ErrorCode::UnsupportedArchitecture);
        CHECK_THAT(e.what(), Catch::Contains(std::string("architecture '") + arch + "'"));
    }
}

TEST_CASE("hyperparameters that make every logit NaN are refused", "[model][hostile]") {
    for (const char* key : {"llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base"}) {
        for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -1.0f}) {
            const auto file = tiny_file(TinyLlama{}, [&](GgufWriter& w) { w.set(key, GgufValue::f32(bad)); });
            const Error e = load_error(file);
            CHECK(e.code() == ErrorCode::Format);
            CHECK_THAT(e.what(), Catch::Contains(key));
        }
    }
}

TEST_CASE("a token list that does not match token_embd is refused", "[model][hostile]") {
    TinyLlama m;
    const auto file = tiny_file(m, [&](GgufWriter& w) { add_tiny_spm_vocab(w, m.n_vocab + 3); });
    const Error e = load_error(file);
    CHECK(e.code() == ErrorCode::Format);
    CHECK_THAT(e.what(), Catch::Contains("token_embd.weight has 16 rows but the vocabulary has 19 tokens"));
    // With vocab_size present the token list was not compared at all.
    const auto sized = tiny_file(m, [&](GgufWriter& w) {
        add_tiny_spm_vocab(w, m.n_vocab + 3);
        w.set("llama.vocab_size", GgufValue::u32(uint32_t(m.n_vocab)));
    });
    const Error e2 = load_error(sized);
    CHECK(e2.code() == ErrorCode::Format);
    CHECK_THAT(e2.what(), Catch::Contains("token_embd.weight has 16 rows but tokenizer.ggml.tokens lists 19 tokens"));
}

TEST_CASE("a KV cache larger than memory is OutOfMemory naming its size, never a wrapped size", "[model][hostile]") {
    // context_length from the file (n_ctx 0) or from the caller: the product
    // n_layer * n_ctx * n_embd_kv used to be computed in int64 and cast to
    // size_t, which wraps in wasm32 (a 2^32 + 16 context got a 16-position cache).
    TinyLlama m;
    m.n_ctx_train = 1;
    const auto file = tiny_file(m, [](GgufWriter& w) { w.set("llama.context_length", GgufValue::u64(uint64_t(1) << 62)); });
    auto model = LlamaModel::load_memory(file.data(), file.size());
    for (const int64_t n_ctx : {int64_t(0), int64_t(1) << 61}) {
        try {
            LlamaContext ctx(model, ContextOptions{n_ctx, 8, KernelVariant::Ref});
            FAIL("expected OutOfMemory");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::OutOfMemory);
            CHECK_THAT(e.what(), Catch::Contains("for the KV cache"));
            CHECK_THAT(e.what(), Catch::Contains("positions)"));
        }
    }
    LlamaContext ok(model, ContextOptions{4, 4, KernelVariant::Ref});  // still loads with a sane context
    CHECK(ok.n_ctx() == 4);
}

TEST_CASE("sampling NaN logits neither breaks the sort nor returns an id outside the vocabulary", "[model][hostile]") {
    std::vector<float> logits(50, std::numeric_limits<float>::quiet_NaN());
    logits[7] = 1.0f;
    logits[9] = 0.5f;
    for (const int32_t top_k : {0, 3}) {
        SamplerOptions so;
        so.temperature = 0.8f;
        so.top_k = top_k;
        Sampler s(so);
        for (int i = 0; i < 20; ++i) {
            const int32_t id = s.sample(logits.data(), int64_t(logits.size()));
            CHECK((id == 7 || id == 9));
        }
    }
    std::vector<float> all_nan(10, std::numeric_limits<float>::quiet_NaN());
    SamplerOptions so;
    so.temperature = 1.0f;
    const int32_t id = Sampler(so).sample(all_nan.data(), 10);
    CHECK((id >= 0 && id < 10));
}
