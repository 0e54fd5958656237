// The trainable llama model: hyperparameters, every weight in one flat f32
// array (gradients and AdamW moments share its layout), deterministic
// initialization, and the GGUF file quantlab's engine and llama.cpp read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/tokenizer_trainer.h"

namespace quantlab {

struct ModelConfig {
    int64_t n_vocab = 1024;
    int64_t n_embd = 256;
    int64_t n_ff = 768;
    int64_t n_layer = 4;
    int64_t n_head = 8;
    int64_t n_head_kv = 4;
    int64_t n_ctx = 256;
    float rms_eps = 1e-5f;
    float rope_freq_base = 10000.0f;

    int64_t head_dim() const { return n_embd / n_head; }
    int64_t n_embd_kv() const { return head_dim() * n_head_kv; }
    // Throws Error(InvalidArgument) naming the inconsistent value.
    void validate() const;
};

// One tensor inside the flat array: ne0 values per row (contiguous), ne1 rows.
struct ParamTensor {
    std::string name;  // the GGUF name, e.g. "blk.0.attn_q.weight"
    int64_t ne0 = 0, ne1 = 1;
    size_t offset = 0;  // in floats
    bool matrix = false;  // 2-D: gets weight decay

    int64_t n_elements() const { return ne0 * ne1; }
};

class ModelLayout {
public:
    explicit ModelLayout(const ModelConfig& cfg);

    struct Layer {
        size_t attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
    };

    const ModelConfig& config() const { return cfg_; }
    const std::vector<ParamTensor>& tensors() const { return tensors_; }
    size_t size() const { return size_; }           // floats in the flat array, padding included
    int64_t n_params() const { return n_params_; }  // real parameters
    size_t token_embd() const { return token_embd_; }
    size_t output_norm() const { return output_norm_; }
    size_t output() const { return output_; }
    const Layer& layer(int64_t i) const { return layers_[size_t(i)]; }

    // Weights ~ N(0, 0.02), the two projections into the residual stream
    // (attn_output, ffn_down) scaled by 1/sqrt(2 n_layer) as in GPT-2, norms 1.
    std::vector<float> init(uint64_t seed) const;

private:
    size_t add(const std::string& name, int64_t ne0, int64_t ne1, bool matrix);

    ModelConfig cfg_;
    std::vector<ParamTensor> tensors_;
    std::vector<Layer> layers_;
    size_t token_embd_ = 0, output_norm_ = 0, output_ = 0;
    size_t size_ = 0;
    int64_t n_params_ = 0;
};

// The whole GGUF file (F32 tensors, llama metadata, the tokenizer) in memory.
std::vector<uint8_t> model_gguf_bytes(const ModelLayout& layout, const float* params, const SpmVocab& vocab,
                                      const std::string& name);
// Written to a temporary name and renamed, so a crash never leaves half a model.
void write_model_gguf(const std::string& path, const ModelLayout& layout, const float* params, const SpmVocab& vocab,
                      const std::string& name);

// Atomic whole-file write used for models and checkpoints. Throws Error(Io).
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace quantlab
