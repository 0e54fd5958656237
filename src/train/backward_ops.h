// The element-wise and per-head pieces of the llama forward pass and their
// gradients, as plain functions on row-major float arrays so each can be
// checked against finite differences on its own. Forward arithmetic follows
// quantlab's inference ops (model/ops.cpp), which follow ggml's CPU backend,
// so a trained model means the same thing to both.
#pragma once

#include <cstdint>
#include <vector>

namespace quantlab::train_ops {

// ---- RMSNorm: y = x * r * w with r = 1 / sqrt(mean(x^2) + eps), per row of n.
void rmsnorm_forward(const float* x, const float* w, float* y, float* rstd, int64_t rows, int64_t n, float eps);
// dx = (accumulate ? dx : 0) + d/dx; dw_partial = sum over these rows of dy * x * r (overwritten).
void rmsnorm_backward(const float* x, const float* w, const float* rstd, const float* dy, float* dx, float* dw_partial,
                      int64_t rows, int64_t n, bool accumulate);

// ---- Rotary embedding, "norm" variant (adjacent pairs), angles computed like
// ggml: theta_k = pos * base^(-2k/n_rot) by repeated float multiplication.
class RopeTable {
public:
    RopeTable(int64_t n_ctx, int64_t n_rot, float freq_base, float freq_scale = 1.0f);
    const float* cos_at(int64_t pos) const { return cos_.data() + pos * (n_rot_ / 2); }
    const float* sin_at(int64_t pos) const { return sin_.data() + pos * (n_rot_ / 2); }
    int64_t n_rot() const { return n_rot_; }
    int64_t n_ctx() const { return n_ctx_; }

private:
    int64_t n_ctx_, n_rot_;
    std::vector<float> cos_, sin_;
};
// x: one token's heads [n_head][head_dim], rotated in place for position pos.
void rope_forward(float* x, int64_t n_head, int64_t head_dim, const RopeTable& t, int64_t pos);
// The transpose (= inverse) rotation, applied to the gradient in place.
void rope_backward(float* dx, int64_t n_head, int64_t head_dim, const RopeTable& t, int64_t pos);

// ---- Causal softmax attention of one head over one sequence. q, k, v, out
// are [T][D] contiguous; P is [T][T] (row t holds the probabilities of keys
// 0..t; entries above the diagonal are not written). scale = 1/sqrt(D).
void attention_forward(const float* q, const float* k, const float* v, int64_t T, int64_t D, float scale, float* P,
                       float* out);
// dq is overwritten; dk and dv are accumulated (several query heads share one
// key/value head under grouped-query attention). scratch holds
// attention_scratch_floats(T) floats.
void attention_backward(const float* q, const float* k, const float* v, const float* P, const float* dout, int64_t T,
                        int64_t D, float scale, float* dq, float* dk, float* dv, float* scratch);

// The engine's attention arithmetic instead (model/llama_context.cpp, after
// llama.cpp's CPU flash-attention kernel): q, k, v rounded to f16, an online
// softmax, the value accumulator rounded to f16 after every key. Forward only;
// used to compare the trainer with the engine free of rounding differences.
void attention_forward_engine_f16(const float* q, const float* k, const float* v, int64_t T, int64_t D, float scale,
                                  float* out);

inline int64_t attention_scratch_floats(int64_t T) { return 64 * T; }

// ---- SwiGLU: h = silu(g) * u, with silu(x) = x / (1 + exp(-x)) as ggml.
void swiglu_forward(const float* g, const float* u, float* h, int64_t n);
void swiglu_backward(const float* g, const float* u, const float* dh, float* dg, float* du, int64_t n);

// ---- Cross-entropy of one row of logits against a target id. Returns the
// loss (natural log) and writes dlogits = (softmax - onehot) * grad_scale;
// dlogits may be the logits themselves.
float cross_entropy(const float* logits, int64_t n_vocab, int32_t target, float grad_scale, float* dlogits);

// ---- Embedding rows: out[t] = table[ids[t]]; backward adds dout[t] into
// dtable[ids[t]] for columns [c0, c1) in token order (a fixed order).
void embedding_forward(const float* table, const int32_t* ids, int64_t n, int64_t dim, float* out);
void embedding_backward(const int32_t* ids, const float* dout, int64_t n, int64_t dim, int64_t c0, int64_t c1,
                        float* dtable);

}  // namespace quantlab::train_ops
