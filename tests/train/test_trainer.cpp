// The trainer as a whole on tiny models: its gradient against finite
// differences, determinism, exact resumption from a checkpoint, and the
// property everything else rests on: the GGUF it writes, run through
// quantlab's inference engine, gives the logits the trainer computed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "gguf/gguf_file.h"
#include "model/llama_context.h"
#include "model/llama_hparams.h"
#include "model/llama_model.h"
#include "model/tokenizer.h"
#include "support/test_support.h"
#include "train/story_corpus.h"
#include "train/trainer.h"

using namespace quantlab;

namespace {

struct Tiny {
    StoryCorpus corpus;
    SpmVocab vocab;
    TrainData data;
    ModelConfig cfg;
};

const Tiny& tiny() {
    static const Tiny t = [] {
        Tiny x;
        x.corpus = generate_story_corpus(3, 30000, 3000);
        TokenizerTrainOptions to;
        to.vocab_size = 320;
        x.vocab = train_spm_bpe(x.corpus.train, to);
        x.data = TrainData::build(x.corpus.train, x.corpus.eval, x.vocab);
        x.cfg.n_vocab = int64_t(x.vocab.size());
        x.cfg.n_embd = 32;
        x.cfg.n_ff = 48;
        x.cfg.n_layer = 2;
        x.cfg.n_head = 4;
        x.cfg.n_head_kv = 2;
        x.cfg.n_ctx = 16;
        return x;
    }();
    return t;
}

TrainOptions tiny_options(int threads = 1) {
    TrainOptions o;
    o.seed = 42;
    o.batch = 3;
    o.seq_len = 16;
    o.steps = 8;
    o.warmup = 2;
    o.lr = 3e-3f;
    o.threads = threads;
    o.eval_every = 4;
    o.eval_seqs = 4;
    o.quiet = true;
    return o;
}

// Weights large enough that logits and gradients are far from zero.
std::vector<float> lively_params(const ModelLayout& layout, uint32_t seed, float scale = 0.25f) {
    std::vector<float> p(layout.size(), 0.0f);
    uint32_t s = seed;
    for (const auto& t : layout.tensors()) {
        const auto r = test::random_floats(size_t(t.n_elements()), s++);
        for (int64_t i = 0; i < t.n_elements(); ++i) {
            p[t.offset + size_t(i)] = t.matrix ? scale * r[size_t(i)] : 1.0f + 0.2f * r[size_t(i)];
        }
    }
    return p;
}

std::string trainer_temp_path(const std::string& name) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/quantlab_train_test_" + name;
}

}  // namespace

TEST_CASE("whole-model gradient matches finite differences", "[train]") {
    const Tiny& t = tiny();
    ModelConfig cfg = t.cfg;
    cfg.n_ctx = 8;
    const ModelLayout layout(cfg);
    ThreadPool pool(1);
    TrainGraph graph(layout, 2, 8, pool);
    auto params = lively_params(layout, 1000);
    std::vector<int32_t> tokens(2 * 9);
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 37 + 5) % size_t(cfg.n_vocab));
    std::vector<float> grads(layout.size());
    graph.run(params.data(), tokens.data(), 2, 8, grads.data());

    const double h = 5e-3;
    uint32_t pick = 7;
    for (const auto& tensor : layout.tensors()) {
        for (int k = 0; k < 6; ++k) {
            pick = pick * 1103515245u + 12345u;
            const size_t i = tensor.offset + size_t((pick >> 8) % uint32_t(tensor.n_elements()));
            const float saved = params[i];
            params[i] = saved + float(h);
            const double lp = graph.run(params.data(), tokens.data(), 2, 8, nullptr);
            params[i] = saved - float(h);
            const double lm = graph.run(params.data(), tokens.data(), 2, 8, nullptr);
            params[i] = saved;
            const double fd = (lp - lm) / (2 * h);
            INFO(tensor.name << " element " << i - tensor.offset << " analytic " << grads[i] << " numeric " << fd);
            CHECK(std::fabs(fd - double(grads[i])) <= 3e-4 + 3e-2 * std::fabs(fd));
        }
    }
}

TEST_CASE("the trainer's forward pass equals the inference engine on the GGUF it writes", "[train]") {
    const Tiny& t = tiny();
    ModelConfig cfg = t.cfg;
    cfg.n_embd = 64;
    cfg.n_ff = 96;
    cfg.n_head = 8;
    cfg.n_head_kv = 4;
    cfg.n_ctx = 24;
    const ModelLayout layout(cfg);
    // Uniform +-0.1 weights: logits of a few units, attention far from uniform.
    auto params = lively_params(layout, 2000, 0.1f);
    const auto bytes = model_gguf_bytes(layout, params.data(), t.vocab, "tiny-test");
    const auto model = LlamaModel::load_memory(bytes.data(), bytes.size());
    const auto& hp = model->hparams();
    CHECK(hp.n_vocab == cfg.n_vocab);
    CHECK(hp.n_head_kv == 4);
    CHECK(hp.rope_type == RopeType::Norm);
    CHECK(!model->tied_embeddings());

    ThreadPool pool(1);
    TrainGraph graph(layout, 1, cfg.n_ctx, pool);
    std::vector<int32_t> tokens = {1};
    SpmEncoder enc(t.vocab);
    enc.encode(t.corpus.eval[0], tokens);
    tokens.resize(size_t(cfg.n_ctx));
    LlamaContext ctx(model);
    const std::vector<float> theirs = ctx.decode(tokens.data(), cfg.n_ctx, true);

    auto relative_diff = [&](const std::vector<float>& mine) {
        REQUIRE(theirs.size() == mine.size());
        double max_diff = 0, max_abs = 0;
        for (size_t i = 0; i < mine.size(); ++i) {
            max_diff = std::max(max_diff, std::fabs(double(mine[i]) - theirs[i]));
            max_abs = std::max(max_abs, std::fabs(double(theirs[i])));
        }
        CHECK(max_abs > 1.0);
        return max_diff / max_abs;
    };

    // With the engine's attention arithmetic (f16 KV cache and accumulator,
    // as llama.cpp) the two implementations agree to float rounding.
    std::vector<float> mine;
    graph.set_engine_attention(true);
    graph.logits(params.data(), tokens.data(), cfg.n_ctx, mine);
    const double exact = relative_diff(mine);
    INFO("engine attention arithmetic: relative difference " << exact);
    CHECK(exact < 2e-4);

    // Training's f32 attention differs only by the engine's f16 rounding.
    graph.set_engine_attention(false);
    graph.logits(params.data(), tokens.data(), cfg.n_ctx, mine);
    const double f32 = relative_diff(mine);
    INFO("f32 attention: relative difference " << f32);
    CHECK(f32 < 2e-3);

    // Without attention output (attn_output = 0) nothing is rounded to f16:
    // embeddings, norms, feed-forward and output agree to float rounding.
    auto no_attn = params;
    for (const auto& tensor : layout.tensors()) {
        if (tensor.name.find("attn_output") != std::string::npos) {
            std::fill(no_attn.begin() + std::ptrdiff_t(tensor.offset),
                      no_attn.begin() + std::ptrdiff_t(tensor.offset + size_t(tensor.n_elements())), 0.0f);
        }
    }
    const auto bytes2 = model_gguf_bytes(layout, no_attn.data(), t.vocab, "tiny-test");
    LlamaContext ctx2(LlamaModel::load_memory(bytes2.data(), bytes2.size()));
    const std::vector<float> theirs2 = ctx2.decode(tokens.data(), cfg.n_ctx, true);
    graph.logits(no_attn.data(), tokens.data(), cfg.n_ctx, mine);
    double d2 = 0, a2 = 0;
    for (size_t i = 0; i < mine.size(); ++i) {
        d2 = std::max(d2, std::fabs(double(mine[i]) - theirs2[i]));
        a2 = std::max(a2, std::fabs(double(theirs2[i])));
    }
    INFO("no attention: relative difference " << d2 / a2);
    CHECK(d2 / a2 < 1e-5);

    // Token by token through the KV cache: the same logits as the batch.
    graph.set_engine_attention(true);
    graph.logits(params.data(), tokens.data(), cfg.n_ctx, mine);
    ctx.clear();
    for (int64_t i = 0; i < cfg.n_ctx; ++i) {
        const auto& last = ctx.decode(&tokens[size_t(i)], 1, false);
        for (int64_t v = 0; v < cfg.n_vocab; v += 7) {
            CHECK(std::fabs(double(last[size_t(v)]) - mine[size_t(i * cfg.n_vocab + v)]) < 1e-3);
        }
    }
}

TEST_CASE("written GGUF has llama.cpp's keys, types and tensor layout", "[train]") {
    const Tiny& t = tiny();
    const ModelLayout layout(t.cfg);
    const auto params = layout.init(5);
    const auto bytes = model_gguf_bytes(layout, params.data(), t.vocab, "tiny");
    const auto ours = parse_gguf_header(bytes.data(), bytes.size(), bytes.size());
    REQUIRE(ours.complete);
    const GgufHeader& h = ours.header;
    const auto ref = read_gguf_header_from_file(test::shared_dir() + "/reference/stories260K-f32.gguf");
    for (const auto& [key, value] : ref.kv) {
        if (key.find("seperator") != std::string::npos) continue;  // the converter's misspelled extra key
        INFO(key);
        const GgufValue* mine = h.find(key);
        REQUIRE(mine != nullptr);
        CHECK(mine->type() == value.type());
        if (value.is_array()) CHECK(mine->array_type() == value.array_type());
    }
    CHECK(h.get("general.architecture").as_string() == "llama");
    CHECK(h.get("general.file_type").as_u64() == 0);
    CHECK(h.get("llama.rope.dimension_count").as_u64() == uint64_t(t.cfg.head_dim()));
    CHECK(h.get("llama.vocab_size").as_u64() == uint64_t(t.cfg.n_vocab));
    CHECK(h.get("tokenizer.ggml.add_bos_token").as_bool());
    CHECK(!h.get("tokenizer.ggml.add_eos_token").as_bool());
    CHECK(h.get("tokenizer.ggml.add_space_prefix").as_bool());
    // Same tensor names, shapes relative to the dimensions, and all F32.
    CHECK(h.tensors.size() == size_t(3 + 9 * t.cfg.n_layer));
    CHECK(h.tensor("token_embd.weight").ne == std::vector<int64_t>{t.cfg.n_embd, t.cfg.n_vocab});
    CHECK(h.tensor("output.weight").ne == std::vector<int64_t>{t.cfg.n_embd, t.cfg.n_vocab});
    CHECK(h.tensor("blk.1.ffn_down.weight").ne == std::vector<int64_t>{t.cfg.n_ff, t.cfg.n_embd});
    CHECK(h.tensor("blk.0.attn_k.weight").ne == std::vector<int64_t>{t.cfg.n_embd, t.cfg.n_embd_kv()});
    for (const auto& ti : h.tensors) {
        CHECK(ti.type == GgmlType::F32);
        const GgufTensorInfo* r = ref.find_tensor(ti.name);
        if (ti.name.rfind("blk.", 0) != 0 || ti.name.rfind("blk.0.", 0) == 0) {
            INFO(ti.name);
            REQUIRE(r != nullptr);
            CHECK(r->ne.size() == ti.ne.size());
        }
    }
    const LlamaHparams hp = LlamaHparams::from_gguf(h);
    CHECK(hp.n_embd == t.cfg.n_embd);
    CHECK(hp.n_ff == t.cfg.n_ff);
    CHECK(hp.rms_eps == t.cfg.rms_eps);
    CHECK(hp.rope_freq_base == t.cfg.rope_freq_base);
    CHECK(hp.n_ctx_train == t.cfg.n_ctx);
}

TEST_CASE("training is deterministic and the loss goes down", "[train]") {
    const Tiny& t = tiny();
    Trainer a(t.cfg, tiny_options(), t.vocab, &t.data);
    Trainer b(t.cfg, tiny_options(), t.vocab, &t.data);
    a.init();
    b.init();
    const double first_eval = a.evaluate();
    a.run();
    b.run();
    CHECK(a.params() == b.params());
    CHECK(a.step() == 8);
    CHECK(a.last_eval_loss() < first_eval);
    // A different seed gives different weights.
    TrainOptions o = tiny_options();
    o.seed = 43;
    Trainer c(t.cfg, o, t.vocab, &t.data);
    c.init();
    c.run();
    CHECK(c.params() != a.params());
}

#ifndef __EMSCRIPTEN__
TEST_CASE("the thread count does not change the weights", "[train]") {
    const Tiny& t = tiny();
    Trainer a(t.cfg, tiny_options(1), t.vocab, &t.data);
    Trainer b(t.cfg, tiny_options(2), t.vocab, &t.data);
    a.init();
    b.init();
    a.run();
    b.run();
    CHECK(a.params() == b.params());
}
#endif

TEST_CASE("resuming from a checkpoint equals uninterrupted training", "[train]") {
    const Tiny& t = tiny();
    const std::string path = trainer_temp_path("resume.ckpt");
    const std::string csv = trainer_temp_path("resume.csv");
    Trainer whole(t.cfg, tiny_options(), t.vocab, &t.data);
    whole.init();
    whole.run();

    TrainOptions o = tiny_options();
    o.log_csv = csv;
    {
        TrainOptions part = o;
        part.stop_after = 3;
        Trainer first(t.cfg, part, t.vocab, &t.data);
        first.init();
        first.run();
        CHECK(first.step() == 3);
        first.save_checkpoint(path);
    }
    const CheckpointInfo info = read_checkpoint_info(path);
    CHECK(info.step == 3);
    CHECK(info.total_steps == 8);
    CHECK(info.vocab.tokens == t.vocab.tokens);
    CHECK(info.config.n_layer == t.cfg.n_layer);

    TrainOptions changed = o;
    changed.lr = 1.0f;  // ignored: the checkpoint's schedule continues
    Trainer second(t.cfg, changed, t.vocab, &t.data);
    second.load_checkpoint(path);
    CHECK(second.step() == 3);
    second.run();
    CHECK(second.step() == 8);
    CHECK(second.params() == whole.params());

    // The CSV log: a header and one line per step, across both runs.
    std::ifstream in(csv);
    std::string line;
    int lines = 0;
    std::getline(in, line);
    CHECK(line.rfind("step,tokens,train_loss,lr,eval_loss", 0) == 0);
    while (std::getline(in, line)) ++lines;
    CHECK(lines == 8);

    // A damaged checkpoint is a Format error, not a crash.
    {
        std::ifstream f(path, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        bytes.resize(bytes.size() / 2);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
    }
    Trainer third(t.cfg, o, t.vocab, &t.data);
    try {
        third.load_checkpoint(path);
        FAIL("a truncated checkpoint was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Format);
    }
    std::remove(path.c_str());
    std::remove(csv.c_str());
}

TEST_CASE("learning rate warms up linearly then follows a cosine to a tenth", "[train]") {
    TrainOptions o;
    o.lr = 1e-3f;
    o.warmup = 10;
    CHECK(learning_rate(o, 0, 100) == Approx(1e-4f));
    CHECK(learning_rate(o, 9, 100) == Approx(1e-3f));
    CHECK(learning_rate(o, 10, 100) == Approx(1e-3f));
    CHECK(learning_rate(o, 55, 100) == Approx(0.55e-3f));
    CHECK(learning_rate(o, 100, 100) == Approx(1e-4f));
}

TEST_CASE("sampled batches depend only on the seed and the step", "[train]") {
    const Tiny& t = tiny();
    Trainer a(t.cfg, tiny_options(), t.vocab, &t.data);
    Trainer b(t.cfg, tiny_options(), t.vocab, &t.data);
    CHECK(a.sample_batch(5) == b.sample_batch(5));
    CHECK(a.sample_batch(5) != a.sample_batch(6));
    const auto batch = a.sample_batch(0);
    for (int64_t r = 0; r < 3; ++r) CHECK(batch[size_t(r * 17)] == SpmVocab::kBos);
}

TEST_CASE("invalid model settings are typed errors", "[train]") {
    ModelConfig c;
    c.n_head = 7;
    CHECK_THROWS_AS(ModelLayout(c), Error);
    const Tiny& t = tiny();
    ModelConfig wrong = t.cfg;
    wrong.n_vocab += 1;
    try {
        Trainer tr(wrong, tiny_options(), t.vocab, &t.data);
        FAIL("a vocabulary size mismatch was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
    }
}
