// Running a LlamaModel: the KV cache, scratch buffers and the forward pass.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/half.h"
#include "model/llama_model.h"
#include "model/ops.h"
#include "parallel/thread_pool.h"

namespace quantlab {

struct ContextOptions {
    int64_t n_ctx = 0;      // KV cache length; 0 = the model's training context
    int64_t n_batch = 512;  // most tokens evaluated in one forward pass
    KernelVariant variant = default_kernel_variant();
    // Threads of the context's pool (a batch's steps by token chunks, its
    // products also by rows and its attention by heads; one token's products
    // by rows); 0 = one per physical core. Logits are the same bit for bit
    // for any count.
    int threads = 0;
    // Share this pool instead of starting one (threads is then ignored). The
    // contexts on one pool must be used one after the other, never at once.
    // A second pool would hold its own workers: in the browser, whose Web
    // Workers are all started up front, it would get none.
    std::shared_ptr<ThreadPool> pool = nullptr;
};

class LlamaContext {
public:
    LlamaContext(std::shared_ptr<const LlamaModel> model, const ContextOptions& opt = {});

    // Evaluate tokens at positions n_past() .. n_past()+n-1 and append them to
    // the KV cache (batches larger than n_batch are split). Returns logits
    // [n][n_vocab] when all_logits, else only the last token's [n_vocab].
    // Throws Error(InvalidArgument) if the tokens do not fit the context or an
    // id is outside the vocabulary; the cache is unchanged then.
    const std::vector<float>& decode(const int32_t* tokens, int64_t n, bool all_logits);

    void clear() { n_past_ = 0; }
    int64_t n_past() const { return n_past_; }
    int64_t n_ctx() const { return n_ctx_; }
    int64_t n_vocab() const { return model_->hparams().n_vocab; }
    const LlamaModel& model() const { return *model_; }
    int threads() const { return pool_->size(); }
    // The context's pool, for work around decode() (perplexity scoring) and
    // inside the matmul observer (imatrix sums); never from inside a task.
    ThreadPool& pool() const { return *pool_; }
    // The same, for another context to share (ContextOptions::pool).
    std::shared_ptr<ThreadPool> shared_pool() const { return pool_; }

    // Sees the input rows of every weight multiplication, just before it runs
    // (the activations llama-imatrix collects). x is [n_tokens][w.n_in] and is
    // only valid during the call. An empty function removes the observer.
    using MatmulObserver = std::function<void(const WeightMatrix& w, const float* x, int64_t n_tokens)>;
    void set_matmul_observer(MatmulObserver observer) { observer_ = std::move(observer); }

    // Sensitivity scans (quantize/sensitivity.h). The observer sees the
    // residual stream x [n_tokens][n_embd] entering each layer, and with
    // layer == n_layer the stream entering the output norm.
    using LayerInputObserver = std::function<void(int64_t layer, const float* x, int64_t n_tokens)>;
    void set_layer_input_observer(LayerInputObserver observer) { layer_observer_ = std::move(observer); }

    // One batch from an empty cache (n <= n_batch), started at layer
    // first_layer (0..n_layer) from x [n][n_embd], the stream an earlier
    // decode of the same tokens saw entering it: a weight change at or above
    // first_layer costs only the layers it can affect. Layers below
    // first_layer are skipped and their cache is left stale. Returns all logits.
    const std::vector<float>& decode_from_layer(const int32_t* tokens, int64_t n, int64_t first_layer, const float* x);

private:
    void forward_batch(const int32_t* tokens, int64_t n, bool all_logits, float* logits_out);
    void attention(int64_t layer, int64_t n, const float* q, float* out);
    // Head h's attention output for the batch's tokens [t_begin, t_end) of n.
    void attention_head(int64_t layer, int64_t h, int64_t n, int64_t t_begin, int64_t t_end, const float* q, float* out,
                        int thread);
    // The batch's tokens in one chunk per pool thread (token_chunks_[c] ..
    // token_chunks_[c + 1]), the home of thread c in every per-token step,
    // product and attention of a batch (ThreadPool::run_grouped).
    void split_tokens(int64_t n);

    // y_i = w_i x for matrices that share the input x [n][n_in], in one
    // parallel loop over row slices of all of them. same_input: x is the
    // input of the previous call, unchanged since, so its quantized form can
    // be reused when the types agree.
    struct MulTarget {
        const WeightMatrix* w;
        float* y;
    };
    void mul(std::initializer_list<MulTarget> targets, const float* x, int64_t n, bool same_input = false);
    void mul(const WeightMatrix& w, const float* x, int64_t n, float* y) { mul({{&w, y}}, x, n); }

    // fn(t0, t1) over slices of the n tokens of a batch, in parallel when
    // the batch is large enough to pay for it.
    template <class Fn>
    void for_tokens(int64_t n, Fn fn);

    std::shared_ptr<const LlamaModel> model_;
    KernelVariant variant_;
    int64_t n_ctx_;
    int64_t n_batch_;
    int64_t n_past_ = 0;

    // KV cache: [n_layer][n_ctx][n_embd_kv]. Values are rounded to f16 as in
    // llama.cpp's default f16 cache, but stored as float so the attention
    // loops need no conversions (twice the memory of an f16 cache).
    std::vector<float> k_cache_, v_cache_;

    // Scratch, sized for n_batch tokens.
    std::vector<float> x_, xn_, q_, k_, v_, attn_, o_, gate_, up_, ffn_, logits_;
    std::vector<float> rope_cos_, rope_sin_;
    std::vector<uint8_t> act_q_;  // the last mul's input, quantized
    GgmlType act_q_type_ = GgmlType::F32;
    int64_t act_q_n_in_ = -1, act_q_tokens_ = -1;
    uint64_t act_q_tag_ = 0;  // names act_q_'s rows for the gemms (formats/prepared_activations.h)
    MatmulObserver observer_;
    LayerInputObserver layer_observer_;
    int64_t resume_layer_ = 0;          // decode_from_layer's start, for one call
    const float* resume_x_ = nullptr;

    // Attention scratch, one per pool thread.
    struct AttentionScratch {
        std::vector<float> qh, acc, ms, vs, scores;
    };
    std::vector<AttentionScratch> attn_scratch_;
    struct MulSlice {
        const WeightMatrix* w;
        float* y;
        int64_t r0, r1;
        int64_t t0, t1;  // tokens
    };
    std::vector<MulSlice> mul_slices_;
    std::vector<int64_t> mul_groups_;    // run_grouped's group_begin over mul_slices_
    std::vector<int64_t> token_chunks_;  // split_tokens
    int64_t token_chunks_n_ = -1;
    std::vector<int64_t> unit_groups_;   // 0, 1, ..., threads: one task per token chunk
    struct AttentionItem {
        int64_t h, t0, t1;
    };
    std::vector<AttentionItem> attn_items_;
    std::vector<int64_t> attn_groups_;
    std::shared_ptr<ThreadPool> pool_;
};

}  // namespace quantlab
