#include "train/train_model.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "gguf/gguf_file.h"
#include "train/story_corpus.h"

namespace quantlab {

void ModelConfig::validate() const {
    auto bad = [](const std::string& what) { throw Error(ErrorCode::InvalidArgument, what); };
    if (n_vocab < 260) bad("vocabulary of " + std::to_string(n_vocab) + " tokens is too small");
    if (n_embd <= 0 || n_ff <= 0 || n_layer <= 0 || n_head <= 0 || n_head_kv <= 0 || n_ctx <= 1) {
        bad("model dimensions must be positive (and the context at least 2)");
    }
    if (n_embd % n_head != 0) bad("n_embd " + std::to_string(n_embd) + " is not a multiple of n_head " + std::to_string(n_head));
    if (n_head % n_head_kv != 0) bad("n_head " + std::to_string(n_head) + " is not a multiple of n_head_kv " + std::to_string(n_head_kv));
    if (head_dim() % 2 != 0) bad("the head dimension must be even for rotary embeddings");
    if (!(rms_eps > 0.0f) || !(rope_freq_base > 0.0f)) bad("rms_eps and rope_freq_base must be positive");
}

ModelLayout::ModelLayout(const ModelConfig& cfg) : cfg_(cfg) {
    cfg_.validate();
    const int64_t E = cfg.n_embd, F = cfg.n_ff, Ekv = cfg.n_embd_kv(), V = cfg.n_vocab;
    // llama.cpp's converters write this order: embeddings, output, then the blocks.
    token_embd_ = add("token_embd.weight", E, V, true);
    output_norm_ = add("output_norm.weight", E, 1, false);
    output_ = add("output.weight", E, V, true);
    for (int64_t i = 0; i < cfg.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        Layer l{};
        l.attn_norm = add(b + "attn_norm.weight", E, 1, false);
        l.wq = add(b + "attn_q.weight", E, E, true);
        l.wk = add(b + "attn_k.weight", E, Ekv, true);
        l.wv = add(b + "attn_v.weight", E, Ekv, true);
        l.wo = add(b + "attn_output.weight", E, E, true);
        l.ffn_norm = add(b + "ffn_norm.weight", E, 1, false);
        l.w_gate = add(b + "ffn_gate.weight", E, F, true);
        l.w_up = add(b + "ffn_up.weight", E, F, true);
        l.w_down = add(b + "ffn_down.weight", F, E, true);
        layers_.push_back(l);
    }
}

size_t ModelLayout::add(const std::string& name, int64_t ne0, int64_t ne1, bool matrix) {
    ParamTensor t;
    t.name = name;
    t.ne0 = ne0;
    t.ne1 = ne1;
    t.offset = size_;
    t.matrix = matrix;
    // 16-float (64-byte) alignment keeps every tensor on its own cache lines.
    size_ += (size_t(t.n_elements()) + 15) / 16 * 16;
    n_params_ += t.n_elements();
    tensors_.push_back(t);
    return t.offset;
}

std::vector<float> ModelLayout::init(uint64_t seed) const {
    std::vector<float> p(size_, 0.0f);
    SplitMix64 rng(seed * 0xD1B54A32D192ED03ull + 0x1234567ull);
    const double resid_scale = 1.0 / std::sqrt(2.0 * double(cfg_.n_layer));
    for (const auto& t : tensors_) {
        float* dst = p.data() + t.offset;
        if (!t.matrix) {
            std::fill(dst, dst + t.n_elements(), 1.0f);
            continue;
        }
        const bool resid = t.name.find("attn_output") != std::string::npos || t.name.find("ffn_down") != std::string::npos;
        const double sigma = 0.02 * (resid ? resid_scale : 1.0);
        // Box-Muller from our own RNG: std::normal_distribution differs between libraries.
        for (int64_t i = 0; i < t.n_elements(); i += 2) {
            const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
            const double r = std::sqrt(-2.0 * std::log(u1));
            dst[i] = float(sigma * r * std::cos(6.283185307179586 * u2));
            if (i + 1 < t.n_elements()) dst[i + 1] = float(sigma * r * std::sin(6.283185307179586 * u2));
        }
    }
    return p;
}

std::vector<uint8_t> model_gguf_bytes(const ModelLayout& layout, const float* params, const SpmVocab& vocab,
                                      const std::string& name) {
    const ModelConfig& c = layout.config();
    if (int64_t(vocab.size()) != c.n_vocab) {
        throw Error(ErrorCode::InvalidArgument, "the vocabulary has " + std::to_string(vocab.size()) +
                                                    " tokens but the model " + std::to_string(c.n_vocab));
    }
    GgufWriter w;
    w.set("general.architecture", GgufValue::string("llama"));
    w.set("general.name", GgufValue::string(name));
    w.set("llama.context_length", GgufValue::u32(uint32_t(c.n_ctx)));
    w.set("llama.embedding_length", GgufValue::u32(uint32_t(c.n_embd)));
    w.set("llama.block_count", GgufValue::u32(uint32_t(c.n_layer)));
    w.set("llama.feed_forward_length", GgufValue::u32(uint32_t(c.n_ff)));
    w.set("llama.attention.head_count", GgufValue::u32(uint32_t(c.n_head)));
    w.set("llama.attention.head_count_kv", GgufValue::u32(uint32_t(c.n_head_kv)));
    w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::f32(c.rms_eps));
    w.set("llama.rope.freq_base", GgufValue::f32(c.rope_freq_base));
    w.set("llama.rope.dimension_count", GgufValue::u32(uint32_t(c.head_dim())));
    w.set("llama.vocab_size", GgufValue::u32(uint32_t(c.n_vocab)));
    w.set("general.file_type", GgufValue::u32(0));  // LLAMA_FTYPE_ALL_F32
    vocab.write_metadata(w);
    for (const auto& t : layout.tensors()) {
        if (t.ne1 == 1) w.add_tensor(t.name, GgmlType::F32, {t.ne0});
        else w.add_tensor(t.name, GgmlType::F32, {t.ne0, t.ne1});
    }
    std::vector<uint8_t> out = w.header_bytes();
    out.reserve(size_t(w.file_size()));
    for (size_t i = 0; i < layout.tensors().size(); ++i) {
        const auto& t = layout.tensors()[i];
        const auto* src = reinterpret_cast<const uint8_t*>(params + t.offset);
        out.insert(out.end(), src, src + size_t(t.n_elements()) * sizeof(float));
        out.resize(out.size() + size_t(w.padding_after(i)), 0);
    }
    return out;
}

void write_model_gguf(const std::string& path, const ModelLayout& layout, const float* params, const SpmVocab& vocab,
                      const std::string& name) {
    write_file_atomically(path, model_gguf_bytes(layout, params, vocab, name));
}

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error(ErrorCode::Io, "cannot create " + tmp + ": " + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed) {
        std::remove(tmp.c_str());
        throw Error(ErrorCode::Io, "cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(ErrorCode::Io, "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    }
}

}  // namespace quantlab
