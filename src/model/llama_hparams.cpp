#include "model/llama_hparams.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace quantlab {

namespace {

int64_t positive(const GgufHeader& h, const std::string& key) {
    const int64_t v = h.get(key).as_i64();
    if (v <= 0) throw Error(ErrorCode::Format, "metadata '" + key + "' must be positive, got " + std::to_string(v));
    return v;
}

// A float key that must be finite, at least lo, and representable as float.
float finite_float(const GgufValue& v, const std::string& key, double lo) {
    const double d = v.as_f64();
    if (!std::isfinite(d) || d < lo || std::fabs(d) > double(std::numeric_limits<float>::max())) {
        throw Error(ErrorCode::Format, "metadata '" + key + "' is " + std::to_string(d) + ", outside its valid range");
    }
    return float(d);
}

}  // namespace

LlamaHparams LlamaHparams::from_gguf(const GgufHeader& h) {
    LlamaHparams p;
    p.arch = h.get("general.architecture").as_string();
    // Architectures that share llama's graph; their rope variant differs.
    if (p.arch == "llama" || p.arch == "mistral") {
        p.rope_type = RopeType::Norm;
    } else {
        throw Error(ErrorCode::UnsupportedArchitecture,
                    "architecture '" + p.arch + "' is not supported (quantlab runs llama and mistral models)");
    }
    const std::string a = p.arch + ".";
    p.n_ctx_train = positive(h, a + "context_length");
    p.n_embd = positive(h, a + "embedding_length");
    p.n_layer = positive(h, a + "block_count");
    p.n_ff = positive(h, a + "feed_forward_length");
    p.n_head = positive(h, a + "attention.head_count");
    p.n_head_kv = h.find(a + "attention.head_count_kv") ? positive(h, a + "attention.head_count_kv") : p.n_head;
    if (p.n_embd % p.n_head != 0) throw Error(ErrorCode::Format, "embedding_length is not a multiple of head_count");
    if (p.n_head % p.n_head_kv != 0) throw Error(ErrorCode::Format, "head_count is not a multiple of head_count_kv");
    p.head_dim = p.n_embd / p.n_head;
    p.n_rot = h.find(a + "rope.dimension_count") ? positive(h, a + "rope.dimension_count") : p.head_dim;
    if (p.n_rot > p.head_dim || p.n_rot % 2 != 0) throw Error(ErrorCode::Format, "rope.dimension_count is invalid");
    // Values that would make every logit NaN are refused rather than computed with.
    if (const GgufValue* v = h.find(a + "attention.layer_norm_rms_epsilon")) {
        p.rms_eps = finite_float(*v, a + "attention.layer_norm_rms_epsilon", 0.0);
    }
    if (const GgufValue* v = h.find(a + "rope.freq_base")) {
        p.rope_freq_base = finite_float(*v, a + "rope.freq_base", 0.0);
        if (p.rope_freq_base == 0.0f) throw Error(ErrorCode::Format, "metadata '" + a + "rope.freq_base' must be positive");
    }
    // Linear rope scaling: llama.cpp's freq_scale is 1/factor.
    for (const char* key : {"rope.scaling.factor", "rope.scale_linear"}) {
        if (const GgufValue* v = h.find(a + key)) {
            const double f = finite_float(*v, a + key, -double(std::numeric_limits<float>::max()));
            if (f > 0) p.rope_freq_scale = float(1.0 / f);
        }
    }
    if (const GgufValue* v = h.find(a + "vocab_size")) {
        p.n_vocab = v->as_i64();
    } else if (const GgufValue* t = h.find("tokenizer.ggml.tokens")) {
        p.n_vocab = int64_t(t->array_size());
    }
    return p;
}

}  // namespace quantlab
