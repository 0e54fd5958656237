// Forward and backward passes of the llama architecture quantlab's engine
// runs (model/llama_context.cpp): token embedding; per block RMSNorm,
// attention with RoPE ("norm" variant), grouped-query heads and a causal mask,
// a residual add, RMSNorm, SwiGLU feed-forward, a residual add; then the
// output RMSNorm and an untied output projection; mean cross-entropy.
//
// Work is spread over the thread pool by rows, heads and column blocks, and
// every sum runs in a fixed order, so gradients are bit-identical for a given
// input whatever the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "train/backward_ops.h"
#include "parallel/thread_pool.h"
#include "train/train_model.h"

namespace quantlab {

class TrainGraph {
public:
    // Buffers for up to max_batch sequences of max_seq positions (<= n_ctx).
    TrainGraph(const ModelLayout& layout, int64_t max_batch, int64_t max_seq, ThreadPool& pool);

    // tokens: batch rows of seq + 1 ids (row b: inputs tokens[b][0..seq-1],
    // targets tokens[b][1..seq]). Returns the mean cross-entropy in nats.
    // When grads is non-null it is overwritten with the gradient of that mean
    // (layout of the parameters; padding left zero).
    double run(const float* params, const int32_t* tokens, int64_t batch, int64_t seq, float* grads);

    // Logits [n][n_vocab] for one sequence at positions 0..n-1.
    void logits(const float* params, const int32_t* tokens, int64_t n, std::vector<float>& out);

    // Forward attention with the engine's f16 arithmetic (f16 KV cache and
    // accumulator, as llama.cpp). Only for comparing logits with the engine:
    // backward is invalid while it is on; training leaves it off.
    void set_engine_attention(bool on) { engine_attention_ = on; }

    int64_t max_batch() const { return max_batch_; }
    int64_t max_seq() const { return max_seq_; }

private:
    struct LayerActs {
        std::vector<float> x_in, xn1, rstd1, q, k, v, P, attn, x_mid, xn2, rstd2, g, u, h;
    };

    void forward(const float* params, int64_t B, int64_t T);
    void backward(const float* params, int64_t B, int64_t T, float* grads);
    // Row-parallel RMSNorm and its backward with a fixed-order dw reduction.
    void norm_forward(const float* x, const float* w, float* y, float* rstd, int64_t rows);
    void norm_backward(const float* x, const float* w, const float* rstd, const float* dy, float* dx, float* dw,
                       int64_t rows);

    const ModelLayout& layout_;
    ModelConfig c_;
    int64_t max_batch_, max_seq_;
    ThreadPool& pool_;
    train_ops::RopeTable rope_;
    bool engine_attention_ = false;

    std::vector<int32_t> inputs_, targets_;
    std::vector<LayerActs> acts_;
    std::vector<float> x_final_, xf_, rstd_f_, logits_;
    std::vector<double> row_loss_;
    // Backward scratch.
    std::vector<float> dx_, dxn_, dattn_, dq_, dk_, dv_, dh_, dg_, du_, dw_partial_;
    // Per-thread attention scratch: q, k, v, out / dout, dq, dk, dv, dp for one head.
    std::vector<std::vector<float>> head_scratch_;
};

}  // namespace quantlab
