// The forward pass, top to bottom. Shapes are [tokens][features] row-major;
// n = tokens in this batch, E = n_embd, Ekv = n_embd_kv, F = n_ff, V = n_vocab.
#include "model/llama_context.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/attention_kernels.h"
#include "model/ops.h"

namespace quantlab {

LlamaContext::LlamaContext(std::shared_ptr<const LlamaModel> model, const ContextOptions& opt)
    : model_(std::move(model)), variant_(opt.variant) {
    const auto& p = model_->hparams();
    n_ctx_ = opt.n_ctx > 0 ? opt.n_ctx : p.n_ctx_train;
    n_batch_ = std::max<int64_t>(1, std::min(opt.n_batch, n_ctx_));
    k_cache_.assign(size_t(p.n_layer * n_ctx_ * p.n_embd_kv()), 0);
    v_cache_.assign(k_cache_.size(), 0);
    const size_t nb = size_t(n_batch_);
    x_.resize(nb * p.n_embd);        // [n][E] residual stream
    xn_.resize(nb * p.n_embd);       // [n][E] normalized
    q_.resize(nb * p.n_embd);        // [n][E]
    k_.resize(nb * p.n_embd_kv());   // [n][Ekv]
    v_.resize(nb * p.n_embd_kv());   // [n][Ekv]
    attn_.resize(nb * p.n_embd);     // [n][E]
    o_.resize(nb * p.n_embd);        // [n][E]
    gate_.resize(nb * p.n_ff);       // [n][F]
    up_.resize(nb * p.n_ff);         // [n][F]
    ffn_.resize(nb * p.n_embd);      // [n][E]
}

const std::vector<float>& LlamaContext::decode(const int32_t* tokens, int64_t n, bool all_logits) {
    const auto& p = model_->hparams();
    if (n <= 0 || tokens == nullptr) throw Error(ErrorCode::InvalidArgument, "no tokens to decode");
    if (n_past_ + n > n_ctx_) {
        throw Error(ErrorCode::InvalidArgument, std::to_string(n_past_ + n) + " tokens do not fit the context of " +
                                                    std::to_string(n_ctx_));
    }
    for (int64_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= p.n_vocab) {
            throw Error(ErrorCode::InvalidArgument, "token id " + std::to_string(tokens[i]) + " is outside the vocabulary of " +
                                                        std::to_string(p.n_vocab));
        }
    }
    logits_.resize(size_t((all_logits ? n : 1) * p.n_vocab));
    for (int64_t done = 0; done < n; done += n_batch_) {
        const int64_t m = std::min(n_batch_, n - done);
        const bool last_batch = done + m == n;
        float* out = all_logits ? logits_.data() + done * p.n_vocab : (last_batch ? logits_.data() : nullptr);
        forward_batch(tokens + done, m, all_logits, out);
    }
    return logits_;
}

const std::vector<float>& LlamaContext::decode_from_layer(const int32_t* tokens, int64_t n, int64_t first_layer,
                                                         const float* x) {
    if (n_past_ != 0) throw Error(ErrorCode::InvalidArgument, "decode_from_layer needs an empty cache");
    if (n > n_batch_) throw Error(ErrorCode::InvalidArgument, "decode_from_layer takes one batch of at most n_batch tokens");
    if (first_layer < 0 || first_layer > model_->hparams().n_layer || (first_layer > 0 && !x)) {
        throw Error(ErrorCode::InvalidArgument, "bad layer to resume from: " + std::to_string(first_layer));
    }
    struct Reset {
        LlamaContext& c;
        ~Reset() {
            c.resume_layer_ = 0;
            c.resume_x_ = nullptr;
        }
    } reset{*this};
    resume_layer_ = first_layer;
    resume_x_ = first_layer > 0 ? x : nullptr;
    return decode(tokens, n, true);
}

void LlamaContext::forward_batch(const int32_t* tokens, int64_t n, bool all_logits, float* logits_out) {
    const auto& p = model_->hparams();
    const int64_t E = p.n_embd, Ekv = p.n_embd_kv(), F = p.n_ff, V = p.n_vocab;

    // x [n][E] = token embeddings, or the stream decode_from_layer resumes from
    if (resume_x_) {
        std::copy(resume_x_, resume_x_ + n * E, x_.begin());
    } else {
        for (int64_t t = 0; t < n; ++t) embedding_row(model_->token_embd(), tokens[t], &x_[t * E]);
    }

    for (int64_t il = resume_layer_; il < p.n_layer; ++il) {
        if (layer_observer_) layer_observer_(il, x_.data(), n);
        const LlamaLayer& L = model_->layers()[size_t(il)];

        // ---- self-attention
        for (int64_t t = 0; t < n; ++t) rms_norm(&x_[t * E], L.attn_norm.data(), &xn_[t * E], E, p.rms_eps);
        mul(L.wq, xn_.data(), n, q_.data());  // q [n][E]
        mul(L.wk, xn_.data(), n, k_.data(), true);  // k [n][Ekv]
        mul(L.wv, xn_.data(), n, v_.data(), true);  // v [n][Ekv]
        for (int64_t t = 0; t < n; ++t) {
            const int64_t pos = n_past_ + t;
            rope(&q_[t * E], p.n_head, p.head_dim, p.n_rot, pos, p.rope_freq_base, p.rope_freq_scale, p.rope_type);
            rope(&k_[t * Ekv], p.n_head_kv, p.head_dim, p.n_rot, pos, p.rope_freq_base, p.rope_freq_scale, p.rope_type);
            // Append k, v to the cache, rounded to f16, at this position.
            float* kc = &k_cache_[size_t((il * n_ctx_ + pos) * Ekv)];
            float* vc = &v_cache_[size_t((il * n_ctx_ + pos) * Ekv)];
            std::copy(&k_[t * Ekv], &k_[t * Ekv] + Ekv, kc);
            std::copy(&v_[t * Ekv], &v_[t * Ekv] + Ekv, vc);
            round_to_f16(kc, Ekv, variant_);
            round_to_f16(vc, Ekv, variant_);
        }
        attention(il, n, q_.data(), attn_.data());                  // attn [n][E]
        mul(L.wo, attn_.data(), n, o_.data()); // o [n][E]
        for (int64_t i = 0; i < n * E; ++i) x_[size_t(i)] += o_[size_t(i)];

        // ---- feed-forward (SwiGLU)
        for (int64_t t = 0; t < n; ++t) rms_norm(&x_[t * E], L.ffn_norm.data(), &xn_[t * E], E, p.rms_eps);
        mul(L.w_gate, xn_.data(), n, gate_.data());  // gate [n][F]
        mul(L.w_up, xn_.data(), n, up_.data(), true);  // up [n][F]
        for (int64_t i = 0; i < n * F; ++i) gate_[size_t(i)] = silu(gate_[size_t(i)]) * up_[size_t(i)];
        mul(L.w_down, gate_.data(), n, ffn_.data()); // ffn [n][E]
        for (int64_t i = 0; i < n * E; ++i) x_[size_t(i)] += ffn_[size_t(i)];
    }

    // ---- output: only the rows whose logits are wanted
    if (layer_observer_) layer_observer_(p.n_layer, x_.data(), n);
    n_past_ += n;
    if (!logits_out) return;
    const int64_t first = all_logits ? 0 : n - 1;
    const int64_t rows = n - first;
    for (int64_t t = first; t < n; ++t) {
        rms_norm(&x_[t * E], model_->output_norm().data(), &xn_[(t - first) * E], E, p.rms_eps);
    }
    mul(model_->output(), xn_.data(), rows, logits_out);  // logits [rows][V]
    (void)V;
}

// Causal attention over the cache for the n new tokens, computed the way
// llama.cpp's CPU flash-attention kernel does: q rounded to f16, scores from
// f16 dot products, an online softmax, and the value accumulator kept in f16.
void LlamaContext::attention(int64_t il, int64_t n, const float* q, float* out) {
    const auto& p = model_->hparams();
    const int64_t E = p.n_embd, Ekv = p.n_embd_kv(), D = p.head_dim;
    const int64_t group = p.n_head / p.n_head_kv;
    const float scale = 1.0f / std::sqrt(float(D));
    std::vector<float> qh(size_t(4 * D));
    std::vector<float> acc(static_cast<size_t>(D));
    std::vector<float> ms(size_t(n_past_ + n)), vs(size_t(n_past_ + n));
    std::vector<float> scores(size_t(4 * (n_past_ + n)));
    const float* K = &k_cache_[size_t(il * n_ctx_ * Ekv)];
    const float* Vc = &v_cache_[size_t(il * n_ctx_ * Ekv)];

    // Up to four new tokens at a time share the pass over the keys.
    for (int64_t t0 = 0; t0 < n; t0 += 4) {
        const int nt = int(std::min<int64_t>(4, n - t0));
        const int64_t n_keys = n_past_ + t0 + nt;  // the last token attends to cache positions 0..n_keys-1
        for (int64_t h = 0; h < p.n_head; ++h) {
            const int64_t kvh = h / group;
            const float* qk[4];
            for (int k = 0; k < nt; ++k) {
                float* qr = &qh[size_t(k * D)];
                std::copy(&q[(t0 + k) * E + h * D], &q[(t0 + k) * E + h * D] + D, qr);
                round_to_f16(qr, D, variant_);  // llama.cpp converts q to f16 for the K dot products
                qk[k] = qr;
            }
            dot_f32_keys(K + kvh * D, Ekv, n_keys, qk, nt, D, scores.data(), variant_);
            for (int k = 0; k < nt; ++k) {
                const int64_t t = t0 + k, pos = n_past_ + t;  // attends to cache positions 0..pos
                const float* sk = &scores[size_t(k * n_keys)];
                // Scores and the online-softmax weights, row by row as llama.cpp's
                // kernel visits them: a new maximum rescales what was accumulated
                // (ms) and enters with weight 1, any other row with exp(s - M) (vs).
                float M = -std::numeric_limits<float>::infinity();
                float S = 0.0f;
                for (int64_t j = 0; j <= pos; ++j) {
                    const float s = sk[j] * scale;
                    float m_scale = 1.0f, v_scale = 1.0f;
                    if (s > M) {
                        const float m_old = M;
                        M = s;
                        m_scale = std::exp(m_old - M);
                    } else {
                        v_scale = std::exp(s - M);
                    }
                    ms[size_t(j)] = m_scale;
                    vs[size_t(j)] = v_scale;
                    S = S * m_scale + v_scale;
                }
                std::fill(acc.begin(), acc.end(), 0.0f);
                accumulate_values_f16(acc.data(), Vc + kvh * D, Ekv, ms.data(), vs.data(), pos + 1, D, variant_);
                const float inv = S == 0.0f ? 0.0f : 1.0f / S;
                for (int64_t i = 0; i < D; ++i) out[t * E + h * D + i] = acc[size_t(i)] * inv;
            }
        }
    }
}

}  // namespace quantlab
