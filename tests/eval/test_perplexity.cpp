// Perplexity and KL divergence against llama-perplexity's figures for
// stories260K over eval.txt at context 128 (../shared/reference/README.md).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/tokenizer.h"
#include "support/reference_model.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

struct Run {
    PerplexityResult ppl;
    std::vector<std::vector<float>> logprobs;
};

Run run(const std::string& variant, bool keep_logprobs) {
    auto model = reference_model(variant);
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const auto tokens = tok.tokenize(reference_text("eval.txt"), true);
    REQUIRE(tokens.size() == 10590);
    ContextOptions co;
    co.n_ctx = 128;
    co.n_batch = 128;
    LlamaContext ctx(model, co);
    PerplexityOptions po;
    po.n_ctx = 128;
    po.bos = tok.bos();
    Run r;
    if (keep_logprobs) {
        po.on_scored = [&](const float* lp, int64_t n, int32_t) { r.logprobs.emplace_back(lp, lp + n); };
    }
    r.ppl = compute_perplexity(ctx, tokens, po);
    return r;
}

const Run& f32_run() {
    static const Run r = run("f32", true);
    return r;
}

// Four significant digits, as the issue asks: |a-b| below half a unit in the 4th digit.
bool same_4_digits(double a, double b) {
    char sa[32], sb[32];
    std::snprintf(sa, sizeof sa, "%.4g", a);
    std::snprintf(sb, sizeof sb, "%.4g", b);
    return std::string(sa) == sb;
}

}  // namespace

TEST_CASE("F32 perplexity equals llama-perplexity's", "[eval]") {
    const auto& r = f32_run().ppl;
    CHECK(r.n_chunks == 82);
    CHECK(r.n_scored == 82 * 63);
    CHECK(same_4_digits(r.ppl, 5.4922));
    CHECK(r.ppl == Approx(5.4922).margin(2e-4));
    CHECK(r.ppl_error == Approx(0.1451).margin(1e-4));
    // Running PPL after chunks 1, 2, 3, 10, 41, 82 (llama.cpp's printed values).
    const std::map<int, double> running{{1, 2.8841}, {2, 3.6665}, {3, 3.9729}, {10, 4.2631}, {41, 5.3061}, {82, 5.4922}};
    for (const auto& [chunk, want] : running) {
        INFO("chunk " << chunk);
        CHECK(r.running_ppl[size_t(chunk - 1)] == Approx(want).margin(3e-4));
    }
}

TEST_CASE("quantized models: KLD and same-top within 2 % of llama.cpp, PPL close", "[eval]") {
    struct Ref {
        const char* variant;
        double ppl, kld, same_top;
    };
    // From ../shared/reference/README.md.
    const Ref refs[] = {
        {"q8_0", 5.4989, 0.000860, 0.98335},
        {"q4_k_m", 5.6082, 0.020890, 0.92044},
        {"iq4_nl", 5.8266, 0.071352, 0.86160},
        {"q4_0", 5.9627, 0.096906, 0.84204},
    };
    const auto& base = f32_run();
    for (const auto& ref : refs) {
        INFO(ref.variant);
        const Run q = run(ref.variant, true);
        REQUIRE(q.logprobs.size() == base.logprobs.size());
        KldAccumulator acc;
        for (size_t i = 0; i < q.logprobs.size(); ++i) {
            const int32_t next = 0;  // Δp is not checked here; KLD and top-token need no target
            acc.add(base.logprobs[i].data(), q.logprobs[i].data(), 512, next);
        }
        const KldStats s = acc.finish();
        CHECK(s.kld_mean == Approx(ref.kld).epsilon(0.02));
        CHECK(s.same_top == Approx(ref.same_top).epsilon(0.02));
        // llama.cpp's x86 kernels round activations and accumulate in a
        // different order; on this 64-wide model that moves quantized PPL by up
        // to 0.13 % (see docs/engine.md). Bound the gap at 0.2 %.
        CHECK(q.ppl.ppl == Approx(ref.ppl).epsilon(0.002));
    }
}

TEST_CASE("KL divergence statistics on a hand-made pair of distributions", "[eval]") {
    // Base p = (0.5, 0.5), quantized q = (0.25, 0.75): KLD = 0.5 ln 2 + 0.5 ln(2/3).
    const float base[2] = {std::log(0.5f), std::log(0.5f)};
    const float q[2] = {std::log(0.25f), std::log(0.75f)};
    KldAccumulator acc;
    acc.add(base, q, 2, 0);
    acc.add(base, q, 2, 1);
    const KldStats s = acc.finish();
    CHECK(s.kld_mean == Approx(0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0)).epsilon(1e-6));
    CHECK(s.dp_mean == Approx(0.0).margin(1e-7));  // -0.25 and +0.25
    CHECK(s.dp_rms == Approx(0.25).epsilon(1e-6));
    CHECK(s.same_top == 0.0);  // base's tie resolves to index 0, q's top is index 1
    CHECK(s.ppl_base == Approx(2.0).epsilon(1e-6));
    CHECK(s.ppl_q == Approx(std::sqrt(1.0 / (0.25 * 0.75))).epsilon(1e-6));
}

TEST_CASE("the paired test separates a real degradation from noise", "[eval]") {
    KldAccumulator worse, same;
    for (int i = 0; i < 400; ++i) {
        const float jitter = (i % 2 ? 1.0f : -1.0f) * 0.01f;
        const float b[2] = {std::log(0.6f), std::log(0.4f)};
        const float w[2] = {std::log(0.5f) + jitter, std::log(0.5f) - jitter};
        const float s2[2] = {std::log(0.6f) + jitter, std::log(0.4f) - jitter};
        worse.add(b, w, 2, 0);
        same.add(b, s2, 2, i % 2);
    }
    CHECK(worse.finish().significant_5pct);
    CHECK_FALSE(same.finish().significant_5pct);
}

TEST_CASE("perplexity reports progress and can be cancelled", "[eval][errors]") {
    auto model = reference_model("f32");
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const auto tokens = tok.tokenize(reference_text("eval.txt"), true);
    LlamaContext ctx(model, ContextOptions{128, 128, default_kernel_variant()});
    PerplexityOptions po;
    po.n_ctx = 128;
    int calls = 0;
    po.on_progress = [&](const PerplexityProgress& p) {
        ++calls;
        CHECK(p.n_chunks == 82);
        return p.chunk < 3;
    };
    try {
        compute_perplexity(ctx, tokens, po);
        FAIL("expected cancellation");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Cancelled);
    }
    CHECK(calls == 3);
    po.on_progress = nullptr;
    po.n_chunks = 2;
    CHECK(compute_perplexity(ctx, tokens, po).running_ppl.size() == 2);
    po.n_ctx = 4096;
    CHECK_THROWS_AS(compute_perplexity(ctx, tokens, po), Error);
}
