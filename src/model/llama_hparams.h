// Hyperparameters of a llama-architecture model, read from GGUF metadata
// with the key names and defaults llama.cpp uses (llama-model.cpp, llama-arch.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf_file.h"

namespace quantlab {

enum class RopeType {
    Norm,  // rotate adjacent pairs (x[2i], x[2i+1]): llama, mistral
    Neox,  // rotate halves (x[i], x[i + n_rot/2]): GPT-NeoX style
};

struct LlamaHparams {
    std::string arch;
    int64_t n_vocab = 0;
    int64_t n_ctx_train = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t n_ff = 0;
    int64_t head_dim = 0;     // n_embd / n_head
    int64_t n_rot = 0;        // rotated dimensions per head
    float rms_eps = 1e-5f;
    float rope_freq_base = 10000.0f;
    float rope_freq_scale = 1.0f;
    RopeType rope_type = RopeType::Norm;

    int64_t n_embd_kv() const { return head_dim * n_head_kv; }

    // Throws Error(Format) naming the missing or inconsistent key.
    static LlamaHparams from_gguf(const GgufHeader& h);
};

}  // namespace quantlab
