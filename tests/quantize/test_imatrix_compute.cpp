// Computing importance matrices (llama-imatrix) on stories260K over eval.txt.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/ops.h"
#include "model/tokenizer.h"
#include "quantize/imatrix_compute.h"
#include "quantize/model_quantizer.h"
#include "quantize_test_util.h"
#include "support/reference_model.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

constexpr int64_t kChunkLen = 128;
constexpr int64_t kCalibChunks = 40;  // the rest of eval.txt's 82 chunks is held out for KLD

struct Setup {
    std::shared_ptr<const LlamaModel> model;
    std::vector<int32_t> tokens;
    int32_t bos = 1;
};

const Setup& setup() {
    static const Setup s = [] {
        Setup r;
        r.model = reference_model("f32");
        const Tokenizer tok = Tokenizer::from_gguf(r.model->header());
        r.tokens = tok.tokenize(reference_text("eval.txt"), true);
        r.bos = tok.bos();
        return r;
    }();
    return s;
}

ImatrixOptions options(int64_t chunks) {
    ImatrixOptions o;
    o.n_ctx = kChunkLen;
    o.n_chunks = chunks;
    o.bos = setup().bos;
    o.dataset = "eval.txt";
    return o;
}

ImatrixResult compute(int64_t chunks) {
    ContextOptions co;
    co.n_ctx = kChunkLen;
    co.n_batch = kChunkLen;
    LlamaContext ctx(setup().model, co);
    return compute_imatrix(ctx, setup().tokens, options(chunks));
}

const ImatrixResult& calibration() {
    static const ImatrixResult r = compute(kCalibChunks);
    return r;
}

// Log-probs of every scored position of the held-out chunks under a model.
std::vector<std::vector<float>> heldout_logprobs(std::shared_ptr<const LlamaModel> model) {
    const auto& s = setup();
    const std::vector<int32_t> heldout(s.tokens.begin() + kCalibChunks * kChunkLen, s.tokens.end());
    ContextOptions co;
    co.n_ctx = kChunkLen;
    co.n_batch = kChunkLen;
    LlamaContext ctx(std::move(model), co);
    PerplexityOptions po;
    po.n_ctx = kChunkLen;
    po.bos = s.bos;
    std::vector<std::vector<float>> out;
    po.on_scored = [&](const float* lp, int64_t n, int32_t) { out.emplace_back(lp, lp + n); };
    compute_perplexity(ctx, heldout, po);
    return out;
}

double mean_kld(const std::vector<std::vector<float>>& base, const std::vector<std::vector<float>>& q) {
    REQUIRE(base.size() == q.size());
    KldAccumulator acc;
    for (size_t i = 0; i < base.size(); ++i) acc.add(base[i].data(), q[i].data(), int64_t(base[i].size()), 0);
    return acc.finish().kld_mean;
}

}  // namespace

TEST_CASE("imatrix: an entry per block weight, counts = token rows, positive finite sums", "[imatrix]") {
    const auto& r = calibration();
    const LlamaModel& m = *setup().model;
    CHECK(r.chunk_count == kCalibChunks);
    CHECK(r.chunk_size == kChunkLen);
    CHECK(r.datasets == std::vector<std::string>{"eval.txt"});
    size_t expected = 0;
    for (const auto& L : m.layers()) {
        for (const WeightMatrix* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
            ++expected;
            INFO(w->name);
            const auto it = r.entries.find(w->name);
            REQUIRE(it != r.entries.end());
            CHECK(int64_t(it->second.in_sum2.size()) == w->n_in);
            CHECK(it->second.count == kCalibChunks * kChunkLen);
            for (float v : it->second.in_sum2) {
                REQUIRE(std::isfinite(v));
                REQUIRE(v > 0.0f);
            }
        }
    }
    // As llama-imatrix without --process-output: no token_embd, no output matrix.
    CHECK(r.entries.size() == expected);
    CHECK(r.entries.count("token_embd.weight") == 0);
    CHECK(r.entries.count("output.weight") == 0);
}

TEST_CASE("imatrix: layer 0 attention input equals a hand computation", "[imatrix]") {
    const auto& s = setup();
    const LlamaModel& m = *s.model;
    const int64_t chunks = 3;
    const ImatrixResult r = compute(chunks);
    const int64_t E = m.hparams().n_embd;
    std::vector<double> want(static_cast<size_t>(E), 0.0);
    std::vector<float> emb(static_cast<size_t>(E)), xn(static_cast<size_t>(E));
    for (int64_t c = 0; c < chunks; ++c) {
        for (int64_t t = 0; t < kChunkLen; ++t) {
            const int32_t id = t == 0 ? s.bos : s.tokens[size_t(c * kChunkLen + t)];
            embedding_row(m.token_embd(), id, emb.data());
            rms_norm(emb.data(), m.layers()[0].attn_norm.data(), xn.data(), E, m.hparams().rms_eps);
            for (int64_t j = 0; j < E; ++j) want[size_t(j)] += double(xn[size_t(j)]) * double(xn[size_t(j)]);
        }
    }
    const auto& q = r.entries.at("blk.0.attn_q.weight");
    CHECK(q.count == chunks * kChunkLen);
    for (int64_t j = 0; j < E; ++j) {
        INFO("column " << j);
        CHECK(double(q.in_sum2[size_t(j)]) == Approx(want[size_t(j)]).epsilon(1e-6));
    }
    // q, k and v share their input.
    CHECK(r.entries.at("blk.0.attn_k.weight").in_sum2 == q.in_sum2);
    CHECK(r.entries.at("blk.0.attn_v.weight").in_sum2 == q.in_sum2);
}

TEST_CASE("imatrix: the observer leaves the forward pass unchanged and can be removed", "[imatrix]") {
    const auto& s = setup();
    ContextOptions co;
    co.n_ctx = kChunkLen;
    co.n_batch = kChunkLen;
    LlamaContext ctx(s.model, co);
    const std::vector<float> plain = ctx.decode(s.tokens.data(), kChunkLen, true);
    int64_t calls = 0;
    ctx.set_matmul_observer([&](const WeightMatrix&, const float*, int64_t n) {
        CHECK(n == kChunkLen);
        ++calls;
    });
    ctx.clear();
    CHECK(ctx.decode(s.tokens.data(), kChunkLen, true) == plain);
    CHECK(calls == 7 * int64_t(s.model->layers().size()) + 1);
    {
        // A collector installs its own observer and removes it when it goes.
        ImatrixCollector c(ctx, s.tokens, options(1));
        c.step();
        CHECK(c.finished());
    }
    calls = 0;
    ctx.set_matmul_observer(nullptr);
    ctx.clear();
    ctx.decode(s.tokens.data(), kChunkLen, true);
    CHECK(calls == 0);
}

TEST_CASE("imatrix: GGUF write and read back", "[imatrix]") {
    const auto& r = calibration();
    const std::string path = "imatrix_compute_test.gguf";
    write_imatrix_gguf(path, r);
    const ImatrixData d = read_imatrix_file(path);
    std::remove(path.c_str());
    CHECK_FALSE(d.legacy);
    CHECK(d.chunk_count == kCalibChunks);
    CHECK(d.datasets == r.datasets);
    const ImatrixData want = r.to_imatrix_data();
    REQUIRE(d.entries.size() == r.entries.size());
    CHECK(d.entries == want.entries);

    // The raw tensors and metadata are llama-imatrix's.
    const auto bytes = serialize_imatrix_gguf(r);
    const GgufHeader h = parse_bytes(bytes);
    CHECK(h.get("general.type").as_string() == "imatrix");
    CHECK(h.get("imatrix.chunk_size").as_u64() == uint64_t(kChunkLen));
    const auto& t = h.tensor("blk.0.ffn_down.weight.in_sum2");
    CHECK(t.ne == std::vector<int64_t>{setup().model->hparams().n_ff, 1});
    CHECK(h.tensor("blk.0.ffn_down.weight.counts").ne == std::vector<int64_t>{1, 1});
    float count = 0;
    std::memcpy(&count, bytes.data() + h.tensor("blk.0.ffn_down.weight.counts").file_offset, 4);
    CHECK(count == float(kCalibChunks * kChunkLen));
}

TEST_CASE("imatrix: cancellation and bad arguments", "[imatrix]") {
    const auto& s = setup();
    ContextOptions co;
    co.n_ctx = kChunkLen;
    co.n_batch = kChunkLen;
    LlamaContext ctx(s.model, co);
    ImatrixOptions o = options(5);
    int64_t seen = 0;
    o.on_progress = [&](const ImatrixProgress& p) {
        CHECK(p.n_chunks == 5);
        seen = p.chunk;
        return p.chunk < 2;
    };
    try {
        compute_imatrix(ctx, s.tokens, o);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Cancelled);
    }
    CHECK(seen == 2);
    o.on_progress = nullptr;
    const std::vector<int32_t> few(s.tokens.begin(), s.tokens.begin() + kChunkLen - 1);
    CHECK_THROWS_AS(compute_imatrix(ctx, few, o), Error);
    o.n_ctx = kChunkLen * 2;  // larger than the context
    CHECK_THROWS_AS(compute_imatrix(ctx, s.tokens, o), Error);
    ImatrixResult empty;
    CHECK_THROWS_AS(serialize_imatrix_gguf(empty), Error);
}

TEST_CASE("imatrix: quantizing with the computed imatrix does not raise held-out KLD", "[imatrix]") {
    const auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    const auto base = heldout_logprobs(setup().model);
    const ImatrixData im = calibration().to_imatrix_data();
    for (LlamaFtype ft : {LlamaFtype::MOSTLY_Q4_K_M, LlamaFtype::MOSTLY_IQ4_XS}) {
        ModelQuantizeOptions o;
        o.params.ftype = ft;
        const auto plain = quantize_bytes(in, o);
        o.imatrix = &im;
        o.imatrix_file = "eval.txt.imatrix";
        const auto weighted = quantize_bytes(in, o);
        const double kld_plain = mean_kld(base, heldout_logprobs(LlamaModel::load_memory(plain.data(), plain.size())));
        const double kld_im =
            mean_kld(base, heldout_logprobs(LlamaModel::load_memory(weighted.data(), weighted.size())));
        std::printf("imatrix KLD %s: without %.6f, with %.6f\n", ftype_info(ft).name, kld_plain, kld_im);
        INFO(ftype_info(ft).name << ": KLD without imatrix " << kld_plain << ", with " << kld_im);
        CHECK(kld_im <= kld_plain * 1.02);
    }
}
