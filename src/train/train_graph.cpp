// Shapes: [tokens][features] row-major, tokens = B sequences of T positions
// (token b*T + t). E n_embd, Ekv n_embd_kv, F n_ff, V n_vocab, H n_head,
// D head_dim. Weight matrices are [n_out][n_in] as ggml stores them, so the
// forward product is x W^T, the input gradient dy W, the weight gradient dy^T x.
#include "train/train_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "train/gemm.h"

namespace quantlab {

namespace {

constexpr int64_t kRowChunk = 64;  // rows per task for row-wise ops; also fixes the dw reduction order

int64_t chunks(int64_t n, int64_t size) { return (n + size - 1) / size; }

}  // namespace

TrainGraph::TrainGraph(const ModelLayout& layout, int64_t max_batch, int64_t max_seq, ThreadPool& pool)
    : layout_(layout),
      c_(layout.config()),
      max_batch_(max_batch),
      max_seq_(max_seq),
      pool_(pool),
      rope_(layout.config().n_ctx, layout.config().head_dim(), layout.config().rope_freq_base) {
    if (max_batch <= 0 || max_seq <= 0 || max_seq > c_.n_ctx) {
        throw Error(ErrorCode::InvalidArgument, "sequence length " + std::to_string(max_seq) + " must be in 1.." +
                                                    std::to_string(c_.n_ctx));
    }
    const size_t N = size_t(max_batch * max_seq);
    const size_t E = size_t(c_.n_embd), Ekv = size_t(c_.n_embd_kv()), F = size_t(c_.n_ff), V = size_t(c_.n_vocab);
    inputs_.resize(N);
    targets_.resize(N);
    acts_.resize(size_t(c_.n_layer));
    for (auto& a : acts_) {
        a.x_in.resize(N * E);
        a.xn1.resize(N * E);
        a.rstd1.resize(N);
        a.q.resize(N * E);
        a.k.resize(N * Ekv);
        a.v.resize(N * Ekv);
        a.P.resize(size_t(max_batch * c_.n_head) * size_t(max_seq * max_seq));
        a.attn.resize(N * E);
        a.x_mid.resize(N * E);
        a.xn2.resize(N * E);
        a.rstd2.resize(N);
        a.g.resize(N * F);
        a.u.resize(N * F);
        a.h.resize(N * F);
    }
    x_final_.resize(N * E);
    xf_.resize(N * E);
    rstd_f_.resize(N);
    logits_.resize(N * V);
    row_loss_.resize(N);
    dx_.resize(N * E);
    dxn_.resize(N * E);
    dattn_.resize(N * E);
    dq_.resize(N * E);
    dk_.resize(N * Ekv);
    dv_.resize(N * Ekv);
    dh_.resize(N * F);
    dg_.resize(N * F);
    du_.resize(N * F);
    dw_partial_.resize(size_t(chunks(int64_t(N), kRowChunk)) * E);
    head_scratch_.resize(size_t(pool.size()));
    const size_t D = size_t(c_.head_dim()), T = size_t(max_seq);
    for (auto& s : head_scratch_) s.resize(8 * T * D + size_t(train_ops::attention_scratch_floats(int64_t(T))));
}

void TrainGraph::norm_forward(const float* x, const float* w, float* y, float* rstd, int64_t rows) {
    const int64_t E = c_.n_embd;
    pool_.run(chunks(rows, kRowChunk), [&](int64_t task, int) {
        const int64_t r0 = task * kRowChunk, n = std::min(kRowChunk, rows - r0);
        train_ops::rmsnorm_forward(x + r0 * E, w, y + r0 * E, rstd + r0, n, E, c_.rms_eps);
    });
}

void TrainGraph::norm_backward(const float* x, const float* w, const float* rstd, const float* dy, float* dx, float* dw,
                               int64_t rows) {
    const int64_t E = c_.n_embd;
    const int64_t nc = chunks(rows, kRowChunk);
    pool_.run(nc, [&](int64_t task, int) {
        const int64_t r0 = task * kRowChunk, n = std::min(kRowChunk, rows - r0);
        train_ops::rmsnorm_backward(x + r0 * E, w, rstd + r0, dy + r0 * E, dx + r0 * E, dw_partial_.data() + task * E,
                                    n, E, true);
    });
    // Chunk partials summed in chunk order: the same grouping for any thread count.
    if (!dw) return;
    for (int64_t i = 0; i < E; ++i) dw[i] = 0.0f;
    for (int64_t t = 0; t < nc; ++t) {
        const float* p = dw_partial_.data() + t * E;
        for (int64_t i = 0; i < E; ++i) dw[i] += p[i];
    }
}

void TrainGraph::forward(const float* params, int64_t B, int64_t T) {
    const int64_t N = B * T, E = c_.n_embd, Ekv = c_.n_embd_kv(), F = c_.n_ff, V = c_.n_vocab;
    const int64_t H = c_.n_head, Hkv = c_.n_head_kv, D = c_.head_dim(), group = H / Hkv;
    const float scale = 1.0f / std::sqrt(float(D));
    const float* tok_embd = params + layout_.token_embd();

    pool_.run(chunks(N, kRowChunk), [&](int64_t task, int) {
        const int64_t r0 = task * kRowChunk, n = std::min(kRowChunk, N - r0);
        train_ops::embedding_forward(tok_embd, inputs_.data() + r0, n, E, acts_[0].x_in.data() + r0 * E);
    });

    for (int64_t il = 0; il < c_.n_layer; ++il) {
        LayerActs& a = acts_[size_t(il)];
        const ModelLayout::Layer& L = layout_.layer(il);
        norm_forward(a.x_in.data(), params + L.attn_norm, a.xn1.data(), a.rstd1.data(), N);
        sgemm(false, true, N, E, E, a.xn1.data(), E, params + L.wq, E, 0.0f, a.q.data(), E, pool_);
        sgemm(false, true, N, Ekv, E, a.xn1.data(), E, params + L.wk, E, 0.0f, a.k.data(), Ekv, pool_);
        sgemm(false, true, N, Ekv, E, a.xn1.data(), E, params + L.wv, E, 0.0f, a.v.data(), Ekv, pool_);
        pool_.run(chunks(N, kRowChunk), [&](int64_t task, int) {
            const int64_t r0 = task * kRowChunk, r1 = std::min(N, r0 + kRowChunk);
            for (int64_t r = r0; r < r1; ++r) {
                train_ops::rope_forward(&a.q[size_t(r * E)], H, D, rope_, r % T);
                train_ops::rope_forward(&a.k[size_t(r * Ekv)], Hkv, D, rope_, r % T);
            }
        });
        // One task per (sequence, query head): gather the head's rows, attend, scatter.
        pool_.run(B * H, [&](int64_t task, int thread) {
            const int64_t b = task / H, h = task % H, kvh = h / group;
            float* s = head_scratch_[size_t(thread)].data();
            float *q = s, *k = q + T * D, *v = k + T * D, *o = v + T * D;
            for (int64_t t = 0; t < T; ++t) {
                const int64_t r = b * T + t;
                std::memcpy(q + t * D, &a.q[size_t(r * E + h * D)], size_t(D) * sizeof(float));
                std::memcpy(k + t * D, &a.k[size_t(r * Ekv + kvh * D)], size_t(D) * sizeof(float));
                std::memcpy(v + t * D, &a.v[size_t(r * Ekv + kvh * D)], size_t(D) * sizeof(float));
            }
            float* P = &a.P[size_t((b * H + h) * T * T)];
            if (engine_attention_) train_ops::attention_forward_engine_f16(q, k, v, T, D, scale, o);
            else train_ops::attention_forward(q, k, v, T, D, scale, P, o);
            for (int64_t t = 0; t < T; ++t) {
                std::memcpy(&a.attn[size_t((b * T + t) * E + h * D)], o + t * D, size_t(D) * sizeof(float));
            }
        });
        // x_mid = x_in + attn Wo^T
        std::memcpy(a.x_mid.data(), a.x_in.data(), size_t(N * E) * sizeof(float));
        sgemm(false, true, N, E, E, a.attn.data(), E, params + L.wo, E, 1.0f, a.x_mid.data(), E, pool_);
        norm_forward(a.x_mid.data(), params + L.ffn_norm, a.xn2.data(), a.rstd2.data(), N);
        sgemm(false, true, N, F, E, a.xn2.data(), E, params + L.w_gate, E, 0.0f, a.g.data(), F, pool_);
        sgemm(false, true, N, F, E, a.xn2.data(), E, params + L.w_up, E, 0.0f, a.u.data(), F, pool_);
        pool_.run(chunks(N, kRowChunk), [&](int64_t task, int) {
            const int64_t r0 = task * kRowChunk, n = std::min(kRowChunk, N - r0);
            train_ops::swiglu_forward(&a.g[size_t(r0 * F)], &a.u[size_t(r0 * F)], &a.h[size_t(r0 * F)], n * F);
        });
        // x_out = x_mid + h Wd^T, written as the next layer's input.
        float* x_out = il + 1 < c_.n_layer ? acts_[size_t(il + 1)].x_in.data() : x_final_.data();
        std::memcpy(x_out, a.x_mid.data(), size_t(N * E) * sizeof(float));
        sgemm(false, true, N, E, F, a.h.data(), F, params + L.w_down, F, 1.0f, x_out, E, pool_);
    }
    norm_forward(x_final_.data(), params + layout_.output_norm(), xf_.data(), rstd_f_.data(), N);
    sgemm(false, true, N, V, E, xf_.data(), E, params + layout_.output(), E, 0.0f, logits_.data(), V, pool_);
}

void TrainGraph::backward(const float* params, int64_t B, int64_t T, float* grads) {
    const int64_t N = B * T, E = c_.n_embd, Ekv = c_.n_embd_kv(), F = c_.n_ff, V = c_.n_vocab;
    const int64_t H = c_.n_head, Hkv = c_.n_head_kv, D = c_.head_dim(), group = H / Hkv;
    const float scale = 1.0f / std::sqrt(float(D));

    // logits_ now holds dlogits. Output projection and output norm.
    sgemm(true, false, V, E, N, logits_.data(), V, xf_.data(), E, 0.0f, grads + layout_.output(), E, pool_);
    sgemm(false, false, N, E, V, logits_.data(), V, params + layout_.output(), E, 0.0f, dxn_.data(), E, pool_);
    std::fill(dx_.begin(), dx_.begin() + N * E, 0.0f);
    norm_backward(x_final_.data(), params + layout_.output_norm(), rstd_f_.data(), dxn_.data(), dx_.data(),
                  grads + layout_.output_norm(), N);

    for (int64_t il = c_.n_layer - 1; il >= 0; --il) {
        LayerActs& a = acts_[size_t(il)];
        const ModelLayout::Layer& L = layout_.layer(il);

        // ---- feed-forward: dx_ is the gradient at the block output.
        sgemm(false, false, N, F, E, dx_.data(), E, params + L.w_down, F, 0.0f, dh_.data(), F, pool_);
        sgemm(true, false, E, F, N, dx_.data(), E, a.h.data(), F, 0.0f, grads + L.w_down, F, pool_);
        pool_.run(chunks(N, kRowChunk), [&](int64_t task, int) {
            const int64_t r0 = task * kRowChunk, n = std::min(kRowChunk, N - r0);
            const size_t o = size_t(r0 * F);
            train_ops::swiglu_backward(&a.g[o], &a.u[o], &dh_[o], &dg_[o], &du_[o], n * F);
        });
        sgemm(true, false, F, E, N, dg_.data(), F, a.xn2.data(), E, 0.0f, grads + L.w_gate, E, pool_);
        sgemm(true, false, F, E, N, du_.data(), F, a.xn2.data(), E, 0.0f, grads + L.w_up, E, pool_);
        sgemm(false, false, N, E, F, dg_.data(), F, params + L.w_gate, E, 0.0f, dxn_.data(), E, pool_);
        sgemm(false, false, N, E, F, du_.data(), F, params + L.w_up, E, 1.0f, dxn_.data(), E, pool_);
        norm_backward(a.x_mid.data(), params + L.ffn_norm, a.rstd2.data(), dxn_.data(), dx_.data(),
                      grads + L.ffn_norm, N);

        // ---- attention: dx_ is now the gradient at x_mid.
        sgemm(false, false, N, E, E, dx_.data(), E, params + L.wo, E, 0.0f, dattn_.data(), E, pool_);
        sgemm(true, false, E, E, N, dx_.data(), E, a.attn.data(), E, 0.0f, grads + L.wo, E, pool_);
        // One task per (sequence, key/value head): its query heads run in order,
        // so the shared dk and dv are summed in a fixed order.
        pool_.run(B * Hkv, [&](int64_t task, int thread) {
            const int64_t b = task / Hkv, kvh = task % Hkv;
            float* s = head_scratch_[size_t(thread)].data();
            float *q = s, *k = q + T * D, *v = k + T * D, *dout = v + T * D;
            float *dq = dout + T * D, *dk = dq + T * D, *dv = dk + T * D, *dp = dv + T * D;
            for (int64_t t = 0; t < T; ++t) {
                const int64_t r = b * T + t;
                std::memcpy(k + t * D, &a.k[size_t(r * Ekv + kvh * D)], size_t(D) * sizeof(float));
                std::memcpy(v + t * D, &a.v[size_t(r * Ekv + kvh * D)], size_t(D) * sizeof(float));
            }
            std::fill(dk, dk + T * D, 0.0f);
            std::fill(dv, dv + T * D, 0.0f);
            for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
                for (int64_t t = 0; t < T; ++t) {
                    const int64_t r = b * T + t;
                    std::memcpy(q + t * D, &a.q[size_t(r * E + h * D)], size_t(D) * sizeof(float));
                    std::memcpy(dout + t * D, &dattn_[size_t(r * E + h * D)], size_t(D) * sizeof(float));
                }
                const float* P = &a.P[size_t((b * H + h) * T * T)];
                train_ops::attention_backward(q, k, v, P, dout, T, D, scale, dq, dk, dv, dp);
                for (int64_t t = 0; t < T; ++t) {
                    std::memcpy(&dq_[size_t((b * T + t) * E + h * D)], dq + t * D, size_t(D) * sizeof(float));
                }
            }
            for (int64_t t = 0; t < T; ++t) {
                const int64_t r = b * T + t;
                std::memcpy(&dk_[size_t(r * Ekv + kvh * D)], dk + t * D, size_t(D) * sizeof(float));
                std::memcpy(&dv_[size_t(r * Ekv + kvh * D)], dv + t * D, size_t(D) * sizeof(float));
            }
        });
        pool_.run(chunks(N, kRowChunk), [&](int64_t task, int) {
            const int64_t r0 = task * kRowChunk, r1 = std::min(N, r0 + kRowChunk);
            for (int64_t r = r0; r < r1; ++r) {
                train_ops::rope_backward(&dq_[size_t(r * E)], H, D, rope_, r % T);
                train_ops::rope_backward(&dk_[size_t(r * Ekv)], Hkv, D, rope_, r % T);
            }
        });
        sgemm(true, false, E, E, N, dq_.data(), E, a.xn1.data(), E, 0.0f, grads + L.wq, E, pool_);
        sgemm(true, false, Ekv, E, N, dk_.data(), Ekv, a.xn1.data(), E, 0.0f, grads + L.wk, E, pool_);
        sgemm(true, false, Ekv, E, N, dv_.data(), Ekv, a.xn1.data(), E, 0.0f, grads + L.wv, E, pool_);
        sgemm(false, false, N, E, E, dq_.data(), E, params + L.wq, E, 0.0f, dxn_.data(), E, pool_);
        sgemm(false, false, N, E, Ekv, dk_.data(), Ekv, params + L.wk, E, 1.0f, dxn_.data(), E, pool_);
        sgemm(false, false, N, E, Ekv, dv_.data(), Ekv, params + L.wv, E, 1.0f, dxn_.data(), E, pool_);
        norm_backward(a.x_in.data(), params + L.attn_norm, a.rstd1.data(), dxn_.data(), dx_.data(),
                      grads + L.attn_norm, N);
    }

    // ---- embedding: column blocks in parallel, tokens in order within each.
    float* dtab = grads + layout_.token_embd();
    std::fill(dtab, dtab + V * E, 0.0f);
    const int64_t col_block = 32;
    pool_.run(chunks(E, col_block), [&](int64_t task, int) {
        const int64_t c0 = task * col_block, c1 = std::min(E, c0 + col_block);
        train_ops::embedding_backward(inputs_.data(), dx_.data(), N, E, c0, c1, dtab);
    });
}

double TrainGraph::run(const float* params, const int32_t* tokens, int64_t batch, int64_t seq, float* grads) {
    if (batch <= 0 || batch > max_batch_ || seq <= 0 || seq > max_seq_) {
        throw Error(ErrorCode::InvalidArgument, "batch " + std::to_string(batch) + " x " + std::to_string(seq) +
                                                    " does not fit the graph's " + std::to_string(max_batch_) + " x " +
                                                    std::to_string(max_seq_));
    }
    const int64_t N = batch * seq, V = c_.n_vocab;
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t t = 0; t < seq; ++t) {
            const int32_t in = tokens[b * (seq + 1) + t], tg = tokens[b * (seq + 1) + t + 1];
            if (in < 0 || in >= V || tg < 0 || tg >= V) {
                throw Error(ErrorCode::InvalidArgument, "token id outside the vocabulary of " + std::to_string(V));
            }
            inputs_[size_t(b * seq + t)] = in;
            targets_[size_t(b * seq + t)] = tg;
        }
    }
    forward(params, batch, seq);
    const float grad_scale = 1.0f / float(N);
    pool_.run(chunks(N, kRowChunk), [&](int64_t task, int) {
        const int64_t r0 = task * kRowChunk, r1 = std::min(N, r0 + kRowChunk);
        for (int64_t r = r0; r < r1; ++r) {
            float* row = &logits_[size_t(r * V)];
            // dlogits overwrite the logits in place (the loss reads them first).
            row_loss_[size_t(r)] = train_ops::cross_entropy(row, V, targets_[size_t(r)], grad_scale, row);
        }
    });
    double loss = 0.0;
    for (int64_t r = 0; r < N; ++r) loss += row_loss_[size_t(r)];
    loss /= double(N);
    if (grads) {
        // Padding between tensors stays zero; everything else is overwritten.
        std::fill(grads, grads + layout_.size(), 0.0f);
        backward(params, batch, seq, grads);
    }
    return loss;
}

void TrainGraph::logits(const float* params, const int32_t* tokens, int64_t n, std::vector<float>& out) {
    if (n <= 0 || n > max_seq_) throw Error(ErrorCode::InvalidArgument, "sequence length out of range");
    for (int64_t t = 0; t < n; ++t) {
        if (tokens[t] < 0 || tokens[t] >= c_.n_vocab) throw Error(ErrorCode::InvalidArgument, "token id outside the vocabulary");
        inputs_[size_t(t)] = tokens[t];
    }
    forward(params, 1, n);
    out.assign(logits_.begin(), logits_.begin() + n * c_.n_vocab);
}

}  // namespace quantlab
