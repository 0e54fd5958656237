// The engine on a model whose weights are IQ3_XXS or IQ3_S: the built-in
// model (models/quantlab-stories-4M.gguf: rows of 256 and 768, so every
// 2-D weight takes a 256-value super-block type) quantized tensor by tensor
// with --pure --tensor-type '.*=TYPE', then greedy generation, perplexity and
// KL divergence against the F32 model on held-out text, and batched prompt
// processing (gemm) equal to token-by-token decoding (vec_dot) bit for bit.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/generate.h"
#include "model/llama_model.h"
#include "model/tokenizer.h"
#include "quantize/imatrix_compute.h"
#include "quantize/mixed_types.h"
#include "quantize/quantize_test_util.h"
#include "support/reference_model.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

constexpr int64_t kCtx = 256;
constexpr int64_t kChunks = 4;

const std::vector<uint8_t>& builtin_f32() {
    static const std::vector<uint8_t> bytes = read_bytes(models_dir() + "/quantlab-stories-4M.gguf");
    return bytes;
}

// An importance matrix of the built-in model from models/calibration.txt
// (disjoint from the scored heldout.txt): 4 chunks of 128 tokens.
const ImatrixData& calibration_imatrix() {
    static const ImatrixData im = [] {
        const auto& file = builtin_f32();
        auto model = LlamaModel::load_memory(file.data(), file.size());
        const Tokenizer tok = Tokenizer::from_gguf(model->header());
        const auto text = read_bytes(models_dir() + "/calibration.txt");
        auto tokens = tok.tokenize(std::string(text.begin(), text.end()), true);
        REQUIRE(tokens.size() >= 4 * 128);
        tokens.resize(4 * 128);
        ContextOptions co;
        co.n_ctx = 128;
        co.n_batch = 128;
        LlamaContext ctx(model, co);
        ImatrixOptions o;
        o.n_ctx = 128;
        o.bos = tok.bos();
        o.dataset = "calibration.txt";
        return compute_imatrix(ctx, tokens, o).to_imatrix_data();
    }();
    return im;
}

// The built-in model with every quantizable tensor of type t (pure: no
// K-quant mixture), or the file type's own mixture when t is empty.
// llama-quantize (and so quantlab quantize) writes IQ3_XXS only with an
// importance matrix (tensor_requires_imatrix), so that type gets one.
std::vector<uint8_t> quantized(const std::string& type, LlamaFtype ftype = LlamaFtype::MOSTLY_Q4_K_M) {
    ModelQuantizeOptions o;
    o.params.ftype = ftype;
    if (!type.empty()) {
        o.params.pure = true;
        o.params.tensor_types.push_back(parse_tensor_type_override(".*=" + type));
        if (type_requires_imatrix(type_traits_by_name(type).type, "blk.0.attn_q.weight")) {
            o.imatrix = &calibration_imatrix();
            o.imatrix_file = "calibration.imatrix";
        }
    }
    ModelQuantizeResult r;
    auto out = quant_test::quantize_bytes(builtin_f32(), o, &r);
    if (!type.empty()) {
        int matrices = 0, converted = 0;
        for (const auto& t : r.plan.tensors) {
            if (t.ne.size() < 2) continue;
            ++matrices;
            INFO(t.name);
            CHECK(t.new_type == type_traits_by_name(type).type);
            CHECK_FALSE(t.fell_back);
            converted += t.new_type == type_traits_by_name(type).type ? 1 : 0;
        }
        CHECK(matrices > 0);
        CHECK(converted == matrices);
    }
    return out;
}

struct Scored {
    PerplexityResult ppl;
    std::vector<std::vector<float>> logprobs;
    std::vector<int32_t> next;
};

Scored score(const std::vector<uint8_t>& file, KernelVariant v = default_kernel_variant()) {
    auto model = LlamaModel::load_memory(file.data(), file.size());
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    std::ifstream in(models_dir() + "/heldout.txt");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto tokens = tok.tokenize(text, true);
    REQUIRE(int64_t(tokens.size()) >= kCtx * kChunks);
    ContextOptions co;
    co.n_ctx = kCtx;
    co.n_batch = kCtx;
    co.variant = v;
    LlamaContext ctx(model, co);
    PerplexityOptions po;
    po.n_ctx = kCtx;
    po.n_chunks = kChunks;
    po.bos = tok.bos();
    Scored s;
    po.on_scored = [&](const float* lp, int64_t n, int32_t next) {
        s.logprobs.emplace_back(lp, lp + n);
        s.next.push_back(next);
    };
    s.ppl = compute_perplexity(ctx, tokens, po);
    return s;
}

KldStats kld(const Scored& base, const Scored& q) {
    REQUIRE(base.logprobs.size() == q.logprobs.size());
    KldAccumulator acc;
    for (size_t i = 0; i < q.logprobs.size(); ++i) {
        acc.add(base.logprobs[i].data(), q.logprobs[i].data(), int64_t(q.logprobs[i].size()), q.next[i]);
    }
    return acc.finish();
}

std::vector<int32_t> greedy(const std::vector<uint8_t>& file, int n) {
    auto model = LlamaModel::load_memory(file.data(), file.size());
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    ContextOptions co;
    co.n_ctx = 128;
    LlamaContext ctx(model, co);
    GenerateOptions g;
    g.n_predict = n;
    g.sampler.temperature = 0;
    g.stop_at_eog = false;
    const auto r = generate(ctx, tok, "Once upon a time", g);
    std::printf("greedy: Once upon a time%s\n", r.text.c_str());
    CHECK(r.text.size() > size_t(n));  // words, not empty pieces
    return r.tokens;
}

}  // namespace

TEST_CASE("the built-in model in IQ3_XXS and IQ3_S generates and scores like a 3-bit model", "[engine][iq3]") {
    const Scored base = score(builtin_f32());
    const auto q4km = quantized("", LlamaFtype::MOSTLY_Q4_K_M);
    const KldStats k4 = kld(base, score(q4km));
    const auto f32_tokens = greedy(builtin_f32(), 24);
    std::map<std::string, KldStats> k;
    for (const char* type : {"iq3_xxs", "iq3_s"}) {
        const auto file = quantized(type);
        const Scored s = score(file);
        k[type] = kld(base, s);
        std::printf("built-in model, %lld x %lld held-out tokens: %s PPL %.4f (F32 %.4f, Q4_K_M %.4f), KLD %.5f "
                    "(Q4_K_M %.5f), same top %.2f %%\n",
                    (long long)kChunks, (long long)kCtx, type, s.ppl.ppl, base.ppl.ppl, k4.ppl_q, k[type].kld_mean,
                    k4.kld_mean, 100 * k[type].same_top);
        INFO(type << " PPL " << s.ppl.ppl << " (F32 " << base.ppl.ppl << "), KLD " << k[type].kld_mean
                  << " (Q4_K_M " << k4.kld_mean << ")");
        CHECK(std::isfinite(s.ppl.ppl));
        CHECK(s.ppl.ppl < base.ppl.ppl * 1.25);      // a 3-bit model, not a broken one
        CHECK(k[type].kld_mean > k4.kld_mean);       // fewer bits cost more than Q4_K_M
        CHECK(k[type].kld_mean < 0.25);
        CHECK(k[type].same_top > 0.85);
        // Greedy text: the first word as the F32 model's (later ones may drift;
        // on this model IQ3_XXS's first 24 tokens share 1 with F32's, IQ3_S's more).
        const auto toks = greedy(file, 24);
        CHECK(toks[0] == f32_tokens[0]);
    }
    CHECK(k["iq3_s"].kld_mean < k["iq3_xxs"].kld_mean);  // 3.44 bits beat 3.06
}

TEST_CASE("IQ3 models: batched prompt processing equals token-by-token decoding bit for bit", "[engine][iq3]") {
    // Batches run the IQ3 gemm kernels, single tokens their vec_dot.
    for (const char* type : {"iq3_xxs", "iq3_s"}) {
        const auto file = quantized(type);
        const std::shared_ptr<const LlamaModel> model = LlamaModel::load_memory(file.data(), file.size());
        for (auto kv : variants_under_test()) {
            INFO(type << " " << kernel_variant_name(kv));
            CHECK(batched_vs_single_differences(model, kv) == 0);
        }
    }
}
