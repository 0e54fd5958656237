// Results independent of the thread count: logits (batches large enough to
// share out per-token steps too, split batches, single tokens), perplexity
// scoring, imatrix sums and tensor quantization with 1, 2, 3 and 4 threads.
// These also run under ThreadSanitizer (ctest pool_under_tsan).
#include <catch2/catch.hpp>

#include <cstring>

#include "eval/perplexity.h"
#include "formats/quantize.h"
#include "model/llama_context.h"
#include "model/tokenizer.h"
#include "parallel/thread_pool.h"
#include "quantize/imatrix_compute.h"
#include "support/reference_model.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

std::vector<int> thread_counts() {
    return threads_supported() ? std::vector<int>{1, 2, 3, 4} : std::vector<int>{1};
}

// Every logit of a 94-token batch (n_batch 70: a 70 + 24 split), then of
// three single tokens. 70 tokens are cut into one chunk per thread at 2, 3
// and 4 threads (24, 24, 22 at 3); 24 tokens share their per-token steps out
// but not their products (fewer than 16 a thread).
std::vector<float> logits_with(const std::shared_ptr<const LlamaModel>& model, int threads) {
    ContextOptions co;
    co.n_ctx = 128;
    co.n_batch = 70;
    co.threads = threads;
    LlamaContext ctx(model, co);
    REQUIRE(ctx.threads() == (threads_supported() ? threads : 1));
    const int64_t V = ctx.n_vocab();
    std::vector<int32_t> ids;
    for (int i = 0; i < 94; ++i) ids.push_back(int32_t((i * 53 + 5) % V));
    std::vector<float> out = ctx.decode(ids.data(), int64_t(ids.size()), true);
    for (int i = 0; i < 3; ++i) {
        const int32_t id = int32_t((i * 71 + 3) % V);
        const auto& row = ctx.decode(&id, 1, false);
        out.insert(out.end(), row.begin(), row.end());
    }
    return out;
}

}  // namespace

TEST_CASE("logits are bit-identical for 1, 2, 3 and 4 threads", "[engine][threads]") {
    for (const std::string& path : {reference_path("stories260K-q4_k_m.gguf"),
                                   shared_dir() + "/bench/models/synth512-q4_0.gguf"}) {
        const auto model = LlamaModel::load_file(path);
        const std::vector<float> one = logits_with(model, 1);
        for (int threads : thread_counts()) {
            const std::vector<float> got = logits_with(model, threads);
            INFO(path << ", " << threads << " threads");
            REQUIRE(got.size() == one.size());
            CHECK(std::memcmp(got.data(), one.data(), one.size() * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("perplexity and imatrix sums do not depend on the thread count", "[eval][imatrix][threads]") {
    const auto model = reference_model("q8_0");
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const auto tokens = tok.tokenize(reference_text("eval.txt"), true);
    auto run = [&](int threads, PerplexityResult* ppl, ImatrixResult* im) {
        ContextOptions co;
        co.n_ctx = 128;
        co.n_batch = 128;
        co.threads = threads;
        LlamaContext ctx(model, co);
        PerplexityOptions po;
        po.n_ctx = 128;
        po.n_chunks = 2;
        po.bos = tok.bos();
        *ppl = compute_perplexity(ctx, tokens, po);
        ImatrixOptions io;
        io.n_ctx = 128;
        io.n_chunks = 2;
        io.bos = tok.bos();
        *im = compute_imatrix(ctx, tokens, io);
    };
    PerplexityResult p1;
    ImatrixResult i1;
    run(1, &p1, &i1);
    REQUIRE(p1.n_scored == 2 * 63);
    REQUIRE(!i1.entries.empty());
    for (int threads : thread_counts()) {
        PerplexityResult p;
        ImatrixResult im;
        run(threads, &p, &im);
        INFO(threads << " threads");
        CHECK(p.ppl == p1.ppl);
        CHECK(p.token_nll == p1.token_nll);
        REQUIRE(im.entries.size() == i1.entries.size());
        for (const auto& [name, e] : i1.entries) {
            INFO(name);
            CHECK(im.entries.at(name).in_sum2 == e.in_sum2);
            CHECK(im.entries.at(name).count == e.count);
        }
    }
}

TEST_CASE("quantize and dequantize with a pool give the same bytes for any thread count", "[formats][threads]") {
    const int64_t rows = 37, cols = 512;
    const auto x = random_floats(size_t(rows * cols), 7);
    std::vector<float> imatrix(static_cast<size_t>(cols));
    for (int64_t i = 0; i < cols; ++i) imatrix[size_t(i)] = 0.5f + float(i % 7);
    for (const char* name : {"q4_K", "q8_0", "iq4_xs"}) {
        const TypeTraits& t = type_traits_by_name(name);
        QuantizeOptions o;
        o.n_per_row = cols;
        o.imatrix = t.uses_imatrix ? imatrix.data() : nullptr;
        o.imatrix_len = t.uses_imatrix ? size_t(cols) : 0;
        const auto want = quantize(t, x.data(), x.size(), o);
        const auto want_y = dequantize(t, want.data(), want.size(), x.size());
        for (int threads : thread_counts()) {
            ThreadPool pool(threads);
            o.pool = &pool;
            INFO(name << ", " << threads << " threads");
            CHECK(quantize(t, x.data(), x.size(), o) == want);
            const auto y = dequantize(t, want.data(), want.size(), x.size(), default_kernel_variant(), &pool);
            CHECK(std::memcmp(y.data(), want_y.data(), y.size() * sizeof(float)) == 0);
        }
    }
}
