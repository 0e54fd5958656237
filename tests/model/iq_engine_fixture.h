// Shared by the i-quant engine suites (test_iq1_engine.cpp,
// test_iq2_engine.cpp): the built-in model (models/quantlab-stories-4M.gguf)
// with an importance matrix from the first chunks of models/heldout.txt, its
// every block weight quantized to one type (--pure Q4_K_M --tensor-type
// "blk\..*=TYPE", as llama-quantize users would with an imatrix), and the
// perplexity / KL divergence of a model on the last chunks of the same text.
#pragma once

#include <catch2/catch.hpp>
#include <cctype>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/generate.h"
#include "model/tokenizer.h"
#include "quantize/imatrix_compute.h"
#include "quantize/model_quantizer.h"
#include "support/test_support.h"

namespace quantlab::iq_engine {

constexpr int64_t kCtx = 128;
constexpr int64_t kCalibChunks = 8;   // imatrix text: the first 1024 tokens of heldout.txt
constexpr int64_t kEvalChunks = 16;   // scored text: 16 chunks from the end

struct Builtin {
    std::vector<uint8_t> file;
    std::shared_ptr<const LlamaModel> model;
    std::vector<int32_t> calib, eval;
    int32_t bos = 1;
};

inline const Builtin& builtin() {
    static const Builtin b = [] {
        Builtin r;
        r.file = test::read_bytes(test::models_dir() + "/quantlab-stories-4M.gguf");
        r.model = LlamaModel::load_memory(r.file.data(), r.file.size());
        const Tokenizer tok = Tokenizer::from_gguf(r.model->header());
        const auto bytes = test::read_bytes(test::models_dir() + "/heldout.txt");
        const auto tokens = tok.tokenize(std::string(bytes.begin(), bytes.end()), true);
        REQUIRE(int64_t(tokens.size()) >= (kCalibChunks + kEvalChunks) * kCtx);
        r.calib.assign(tokens.begin(), tokens.begin() + kCalibChunks * kCtx);
        r.eval.assign(tokens.end() - kEvalChunks * kCtx, tokens.end());
        r.bos = tok.bos();
        return r;
    }();
    return b;
}

inline const ImatrixData& calibration() {
    static const ImatrixData im = [] {
        ContextOptions co;
        co.n_ctx = kCtx;
        co.n_batch = kCtx;
        LlamaContext ctx(builtin().model, co);
        ImatrixOptions o;
        o.n_ctx = kCtx;
        o.bos = builtin().bos;
        o.dataset = "heldout.txt";
        return compute_imatrix(ctx, builtin().calib, o).to_imatrix_data();
    }();
    return im;
}

struct Eval {
    double ppl = 0;
    std::vector<std::vector<float>> logprobs;
};

inline Eval evaluate(std::shared_ptr<const LlamaModel> model, KernelVariant v) {
    ContextOptions co;
    co.n_ctx = kCtx;
    co.n_batch = kCtx;  // whole chunks at once: the batched (gemm) path
    co.variant = v;
    LlamaContext ctx(std::move(model), co);
    PerplexityOptions po;
    po.n_ctx = kCtx;
    po.bos = builtin().bos;
    Eval e;
    po.on_scored = [&](const float* lp, int64_t n, int32_t) { e.logprobs.emplace_back(lp, lp + n); };
    e.ppl = compute_perplexity(ctx, builtin().eval, po).ppl;
    return e;
}

inline double mean_kld(const Eval& base, const Eval& q) {
    REQUIRE(base.logprobs.size() == q.logprobs.size());
    KldAccumulator acc;
    for (size_t i = 0; i < base.logprobs.size(); ++i) {
        acc.add(base.logprobs[i].data(), q.logprobs[i].data(), int64_t(base.logprobs[i].size()), 0);
    }
    return acc.finish().kld_mean;
}

inline std::vector<uint8_t> quantize_blocks_to(GgmlType type, KernelVariant v) {
    ModelQuantizeOptions o;
    o.params.ftype = LlamaFtype::MOSTLY_Q4_K_M;
    o.params.pure = true;
    o.params.tensor_types.push_back(parse_tensor_type_override(std::string("blk\\..*=") + type_traits(type).name));
    o.imatrix = &calibration();
    o.imatrix_file = "heldout.imatrix";
    o.variant = v;
    std::vector<uint8_t> out;
    const auto& in = builtin().file;
    quantize_model(
        in.size(),
        [&](uint64_t off, size_t len, uint8_t* dst) { std::memcpy(dst, in.data() + off, len); },
        [&](const uint8_t* p, size_t len) { out.insert(out.end(), p, p + len); }, o);
    return out;
}

// Greedy generation (the single-token vec_dot path): n tokens of mostly
// letters and spaces, words rather than noise.
inline std::string check_greedy_words(const std::shared_ptr<const LlamaModel>& model, int n) {
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    ContextOptions co;
    co.n_ctx = kCtx;
    LlamaContext ctx(model, co);
    GenerateOptions go;
    go.n_predict = n;
    go.sampler.temperature = 0.0f;
    const auto r = generate(ctx, tok, "Once upon a time", go);
    CHECK(r.tokens.size() == size_t(n));
    size_t letters = 0;
    for (char c : r.text) letters += std::isalpha(static_cast<unsigned char>(c)) || c == ' ' ? 1 : 0;
    CHECK(letters >= r.text.size() * 3 / 4);
    return r.text;
}

}  // namespace quantlab::iq_engine
