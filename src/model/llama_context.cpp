// The forward pass, top to bottom. Shapes are [tokens][features] row-major;
// n = tokens in this batch, E = n_embd, Ekv = n_embd_kv, F = n_ff, V = n_vocab.
#include "model/llama_context.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/checked_alloc.h"
#include "core/error.h"
#include "formats/prepared_activations.h"
#include "model/attention_kernels.h"
#include "model/exp_kernels.h"
#include "model/ops.h"
#include "parallel/cpu_cores.h"

namespace quantlab {

LlamaContext::LlamaContext(std::shared_ptr<const LlamaModel> model, const ContextOptions& opt)
    : model_(std::move(model)), variant_(opt.variant) {
    const auto& p = model_->hparams();
    n_ctx_ = opt.n_ctx > 0 ? opt.n_ctx : p.n_ctx_train;
    n_batch_ = std::max<int64_t>(1, std::min(opt.n_batch, n_ctx_));
    // n_ctx comes from the caller or the file: the cache size is checked, so
    // a hostile context length is an OutOfMemory error naming the size.
    const std::string kv = "the KV cache (" + std::to_string(n_ctx_) + " positions)";
    const uint64_t kv_floats = checked_product({p.n_layer, n_ctx_, p.n_embd_kv(), 2});  // k and v
    checked_count(kv_floats, sizeof(float), kv);
    try {
        assign_checked(k_cache_, {p.n_layer, n_ctx_, p.n_embd_kv()}, kv);
        assign_checked(v_cache_, {p.n_layer, n_ctx_, p.n_embd_kv()}, kv);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::OutOfMemory) throw_out_of_memory(kv_floats * sizeof(float), kv);
        throw;
    }
    const int64_t nb = n_batch_;
    const char* scratch = "the forward pass's scratch buffers";
    assign_checked(x_, {nb, p.n_embd}, scratch);       // [n][E] residual stream
    assign_checked(xn_, {nb, p.n_embd}, scratch);      // [n][E] normalized
    assign_checked(q_, {nb, p.n_embd}, scratch);       // [n][E]
    assign_checked(k_, {nb, p.n_embd_kv()}, scratch);  // [n][Ekv]
    assign_checked(v_, {nb, p.n_embd_kv()}, scratch);  // [n][Ekv]
    assign_checked(attn_, {nb, p.n_embd}, scratch);    // [n][E]
    assign_checked(o_, {nb, p.n_embd}, scratch);       // [n][E]
    assign_checked(gate_, {nb, p.n_ff}, scratch);      // [n][F]
    assign_checked(up_, {nb, p.n_ff}, scratch);        // [n][F]
    assign_checked(ffn_, {nb, p.n_embd}, scratch);     // [n][E]
    assign_checked(rope_cos_, {nb, p.n_rot / 2}, scratch);  // [n][n_rot/2] rotary angles per position
    assign_checked(rope_sin_, {nb, p.n_rot / 2}, scratch);
    pool_ = opt.pool ? opt.pool : std::make_shared<ThreadPool>(resolve_thread_count(opt.threads));
    attn_scratch_.resize(size_t(pool_->size()));
}

namespace {
// Per-token steps cost well under a microsecond a token: a batch of fewer
// tokens is not worth waking the workers for, nor cutting its products finer.
constexpr int64_t kMinBatchTokens = 16;
// Token chunks start at multiples of 4: attention shares each pass over the
// keys among 4 consecutive tokens, and the gemms' token tiles are 2 to 4 wide.
constexpr int64_t kTokenAlign = 4;
// Attention work items: one head for up to this many tokens of a chunk.
constexpr int64_t kAttentionTokens = 32;
}  // namespace

// Batches of many tokens are cut by tokens, one chunk per thread, and every
// step of the layer (per-token steps, products, attention) gives thread c
// chunk c first (ThreadPool::run_grouped). A thread then reads the rows it
// wrote one step earlier from its own core's cache. Cut by weight rows, as
// before, every thread wrote part of every token's row, and the next step's
// thread found half of its lines on the other core. In headless Chromium at
// 2 threads this took pp256 up 2-11 % on the synth512 models (Q4_K_M 8-11 %)
// and left the built-in model within noise (docs/benchmarks.md, "Issue 14,
// fifteenth session"); natively within noise. Any cut gives the same numbers.
void LlamaContext::split_tokens(int64_t n) {
    if (token_chunks_n_ == n) return;
    const int64_t P = pool_->size();
    token_chunks_.resize(size_t(P) + 1);
    for (int64_t c = 0; c < P; ++c) token_chunks_[size_t(c)] = task_range(n, P, c, kTokenAlign).begin;
    token_chunks_[size_t(P)] = n;
    token_chunks_n_ = n;
    unit_groups_.resize(size_t(P) + 1);
    for (int64_t c = 0; c <= P; ++c) unit_groups_[size_t(c)] = c;
    // Attention's items (one head, up to kAttentionTokens tokens of a chunk),
    // grouped by chunk: the same for every layer of a batch of n.
    const int64_t H = model_->hparams().n_head;
    attn_items_.clear();
    attn_groups_.clear();
    for (int64_t c = 0; c < P; ++c) {
        attn_groups_.push_back(int64_t(attn_items_.size()));
        for (int64_t h = 0; h < H; ++h) {
            for (int64_t t = token_chunks_[size_t(c)]; t < token_chunks_[size_t(c) + 1]; t += kAttentionTokens) {
                attn_items_.push_back({h, t, std::min(t + kAttentionTokens, token_chunks_[size_t(c) + 1])});
            }
        }
    }
    attn_groups_.push_back(int64_t(attn_items_.size()));
}

template <class Fn>
void LlamaContext::for_tokens(int64_t n, Fn fn) {
    if (n < kMinBatchTokens || pool_->size() <= 1) {
        fn(int64_t(0), n);
        return;
    }
    split_tokens(n);
    pool_->run_grouped(unit_groups_, [&](int64_t c, int) { fn(token_chunks_[size_t(c)], token_chunks_[size_t(c) + 1]); });
}

void LlamaContext::mul(std::initializer_list<MulTarget> targets, const float* x, int64_t n, bool same_input) {
    if (observer_) {
        for (const MulTarget& t : targets) observer_(*t.w, x, n);
    }
    // A product is cut into slices of at least kMinWork multiply-adds. With
    // enough tokens, one token chunk per thread (split_tokens), each cut into
    // up to kRowSlicesPerChunk row slices: a thread done with its chunk takes
    // the other chunks' slices that are left, so a thread held up for a while
    // (the browser's own work, the machine's other load) delays one slice, not
    // half the product. Fewer tokens: row slices only, over all tokens.
    // Slice edges at multiples of 12 rows keep the x86 gemms' row tiles (1, 2,
    // 3, 4 or 6 rows, per level and format) whole. Each thread's gemm lays its
    // activation rows out once per tag (act_q_tag_, formats/prepared_activations.h).
#if defined(__EMSCRIPTEN__)
    // In headless Chromium at 2 threads, 4 row slices per chunk gained over 1
    // for every synth512 model and the built-in one (1 lost 9 % on the
    // built-in model, whose f32 products each thread then took whole).
    constexpr int64_t kRowSlicesPerChunk = 4;
    constexpr int64_t kSlicesPerThread = 4;
#else
    // Native threads gained nothing from finer slices.
    constexpr int64_t kRowSlicesPerChunk = 1;
    constexpr int64_t kSlicesPerThread = 1;
#endif
    // Multiply-adds per slice. 2^17 kept the built-in model's single-token
    // wo and down products (256 x 256 and 768 x 256, f32) in one slice, a
    // third of its work on one thread: tg64 2t / 1t went 1.47 -> 1.80 in
    // Chromium and about 1.14 -> 1.43 natively at 2^15 (docs/benchmarks.md,
    // "Issue 14, fourteenth session"); synth512 unchanged.
    constexpr int64_t kMinWork = int64_t(1) << 15;
    constexpr int64_t kAlign = 12;
    const MulTarget* ts = targets.begin();
    const size_t count = targets.size();
    const int64_t P = pool_->size();
    // Token chunks only when each has a batch's worth of tokens: every thread
    // reads all the weights, once per chunk.
    const bool by_tokens = P > 1 && n >= P * kMinBatchTokens;
    if (by_tokens) split_tokens(n);
    // (A single token keeps one slice per thread: each of its matrices is
    // microseconds of work, where a task's overhead weighs more.)
    const int64_t max_slices = P == 1 ? 1 : P * (n >= kMinBatchTokens ? kSlicesPerThread : 1);
    for (size_t i = 0; i < count;) {
        // The targets from i on whose activations quantize alike.
        const WeightMatrix& w0 = *ts[i].w;
        size_t j = i + 1;
        while (j < count && ts[j].w->traits->vec_dot_type == w0.traits->vec_dot_type) ++j;
        const bool reuse = (same_input || i > 0) && act_q_type_ == w0.traits->vec_dot_type &&
                           act_q_n_in_ == w0.n_in && act_q_tokens_ == n;
        if (!reuse) {
            const size_t arow = activation_row_bytes(w0);
            if (act_q_.size() < size_t(n) * arow) act_q_.resize(size_t(n) * arow);
            act_q_tag_ = new_activation_tag();  // new rows: no gemm may reuse its layout of the old ones
            for_tokens(n, [&](int64_t t0, int64_t t1) { quantize_activations(w0, x, t0, t1, act_q_.data(), variant_); });
            act_q_type_ = w0.traits->vec_dot_type;
            act_q_n_in_ = w0.n_in;
            act_q_tokens_ = n;
        }
        mul_slices_.clear();
        mul_groups_.clear();
        const auto add_slices = [&](int64_t t0, int64_t t1, int64_t most) {
            for (size_t k = i; k < j; ++k) {
                const WeightMatrix& w = *ts[k].w;
                const int64_t work = w.n_out * w.n_in * (t1 - t0);
                const int64_t parts = std::max<int64_t>(1, std::min(most, work / kMinWork));
                for (int64_t part = 0; part < parts; ++part) {
                    const TaskRange r = task_range(w.n_out, parts, part, kAlign);
                    if (r.end > r.begin) mul_slices_.push_back({&w, ts[k].y, r.begin, r.end, t0, t1});
                }
            }
        };
        if (by_tokens) {
            for (int64_t c = 0; c < P; ++c) {
                mul_groups_.push_back(int64_t(mul_slices_.size()));
                const int64_t t0 = token_chunks_[size_t(c)], t1 = token_chunks_[size_t(c) + 1];
                if (t1 > t0) add_slices(t0, t1, kRowSlicesPerChunk);
            }
        } else {
            mul_groups_.push_back(0);
            add_slices(0, n, max_slices);
        }
        mul_groups_.push_back(int64_t(mul_slices_.size()));
        const uint8_t* aq = act_q_.data();
        pool_->run_grouped(mul_groups_, [&](int64_t task, int) {
            const MulSlice& s = mul_slices_[size_t(task)];
            const size_t arow = activation_row_bytes(*s.w);
            matmul_quantized(*s.w, aq + size_t(s.t0) * arow, s.t1 - s.t0, s.y + s.t0 * s.w->n_out, s.r0, s.r1, variant_,
                             act_q_tag_);
        });
        i = j;
    }
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
    const int64_t E = p.n_embd, Ekv = p.n_embd_kv(), F = p.n_ff;

    // x [n][E] = token embeddings, or the stream decode_from_layer resumes from
    if (resume_x_) {
        std::copy(resume_x_, resume_x_ + n * E, x_.begin());
    } else {
        for (int64_t t = 0; t < n; ++t) embedding_row(model_->token_embd(), tokens[t], &x_[t * E]);
    }
    // rope_cos_, rope_sin_ [n][n_rot/2]: the rotary angles depend on the
    // position only, so they are computed once per batch (one sin and cos per
    // angle) instead of once per layer for q and again for k.
    const int64_t R = p.n_rot / 2;
    for (int64_t t = 0; t < n; ++t) {
        rope_angles(n_past_ + t, p.n_rot, p.rope_freq_base, p.rope_freq_scale, rope_cos_.data() + t * R,
                    rope_sin_.data() + t * R);
    }

    for (int64_t il = resume_layer_; il < p.n_layer; ++il) {
        if (layer_observer_) layer_observer_(il, x_.data(), n);
        const LlamaLayer& L = model_->layers()[size_t(il)];

        // ---- self-attention
        for_tokens(n, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) rms_norm(&x_[t * E], L.attn_norm.data(), &xn_[t * E], E, p.rms_eps);
        });
        mul({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}}, xn_.data(), n);  // q [n][E], k, v [n][Ekv]
        for_tokens(n, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t pos = n_past_ + t;
                const float* cs = rope_cos_.data() + t * R;
                const float* sn = rope_sin_.data() + t * R;
                rope_rotate(&q_[t * E], p.n_head, p.head_dim, p.n_rot, cs, sn, p.rope_type);
                rope_rotate(&k_[t * Ekv], p.n_head_kv, p.head_dim, p.n_rot, cs, sn, p.rope_type);
                // Append k, v to the cache, rounded to f16, at this position.
                float* kc = &k_cache_[size_t((il * n_ctx_ + pos) * Ekv)];
                float* vc = &v_cache_[size_t((il * n_ctx_ + pos) * Ekv)];
                std::copy(&k_[t * Ekv], &k_[t * Ekv] + Ekv, kc);
                std::copy(&v_[t * Ekv], &v_[t * Ekv] + Ekv, vc);
                round_to_f16(kc, Ekv, variant_);
                round_to_f16(vc, Ekv, variant_);
            }
        });
        attention(il, n, q_.data(), attn_.data());  // attn [n][E]
        mul(L.wo, attn_.data(), n, o_.data());      // o [n][E]

        // ---- feed-forward (SwiGLU)
        for_tokens(n, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                for (int64_t i = t * E; i < (t + 1) * E; ++i) x_[size_t(i)] += o_[size_t(i)];
                rms_norm(&x_[t * E], L.ffn_norm.data(), &xn_[t * E], E, p.rms_eps);
            }
        });
        mul({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, xn_.data(), n);  // gate, up [n][F]
        for_tokens(n, [&](int64_t t0, int64_t t1) {
            silu_mul_f32(&gate_[size_t(t0 * F)], &up_[size_t(t0 * F)], (t1 - t0) * F, variant_);  // gate = silu(gate) * up
        });
        mul(L.w_down, gate_.data(), n, ffn_.data());  // ffn [n][E]
        for_tokens(n, [&](int64_t t0, int64_t t1) {
            for (int64_t i = t0 * E; i < t1 * E; ++i) x_[size_t(i)] += ffn_[size_t(i)];
        });
    }

    // ---- output: only the rows whose logits are wanted
    if (layer_observer_) layer_observer_(p.n_layer, x_.data(), n);
    n_past_ += n;
    if (!logits_out) return;
    const int64_t first = all_logits ? 0 : n - 1;
    const int64_t rows = n - first;
    for_tokens(rows, [&](int64_t t0, int64_t t1) {
        for (int64_t t = first + t0; t < first + t1; ++t) {
            rms_norm(&x_[t * E], model_->output_norm().data(), &xn_[(t - first) * E], E, p.rms_eps);
        }
    });
    mul(model_->output(), xn_.data(), rows, logits_out);  // logits [rows][V]
}

// Causal attention over the cache for the n new tokens, computed the way
// llama.cpp's CPU flash-attention kernel does for a batch of this size (see
// batched_attention_f32).
// Heads are independent, so they are the parallel tasks; a batch of many
// tokens is also cut by token chunks (split_tokens) into items of one head
// and up to kAttentionTokens tokens, each chunk's first to its own thread.
void LlamaContext::attention(int64_t il, int64_t n, const float* q, float* out) {
    const int64_t H = model_->hparams().n_head;
    const int64_t P = pool_->size();
    if (P == 1 || n < kMinBatchTokens) {
        pool_->run(H, [&](int64_t h, int thread) { attention_head(il, h, n, 0, n, q, out, thread); });
        return;
    }
    split_tokens(n);  // also lays out the attention items of a batch of n
    pool_->run_grouped(attn_groups_, [&](int64_t item, int thread) {
        const AttentionItem& a = attn_items_[size_t(item)];
        attention_head(il, a.h, n, a.t0, a.t1, q, out, thread);
    });
}

namespace {

// Which of llama.cpp's two CPU flash-attention paths a batch of n tokens with
// heads d wide takes (ggml-cpu/ops.cpp, ggml_compute_forward_flash_attn_ext_f16
// at llama.cpp 3f545bec). The tiled path, for batches of at least
// GGML_FA_TILE_Q = 64 queries whose head size is a multiple of the f32
// register width (4 for SIMD128 and NEON, 8 for AVX2, 16 for AVX-512), keeps
// q, the scores and the value accumulator in f32. The other ("one chunk",
// every single token) rounds q to f16 and keeps the value accumulator in f16.
// Head sizes that are multiples of 16 tile on every llama.cpp build, so the
// engine tiles them too; others (stories260K's 8-wide heads) keep the
// one-chunk semantics at any batch size, as llama.cpp's AVX-512 build does.
// The choice depends only on n and d, never on the target: logits stay
// identical everywhere.
bool batched_attention_f32(int64_t n, int64_t d) { return n >= 64 && d % 16 == 0; }

// One-chunk softmax weights of one query over its scores sk[0..pos], row by
// row as llama.cpp's kernel visits them: a new maximum rescales what was
// accumulated (ms = exp(M_old - s)) and enters with weight 1, any other row
// with vs = exp(s - M). New maxima are rare, so their exps are taken here; the
// others' arguments are collected (0 for a new maximum: exp(0) is exactly 1)
// and exponentiated in one vector pass. Returns the softmax denominator.
float online_softmax_weights(const float* sk, int64_t pos, float scale, float* ms, float* vs, KernelVariant var) {
    float M = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j <= pos; ++j) {
        const float s = sk[j] * scale;
        if (s > M) {
            ms[j] = exp_ref(M - s);
            vs[j] = 0.0f;
            M = s;
        } else {
            ms[j] = 1.0f;
            vs[j] = s - M;
        }
    }
    exp_f32(vs, vs, pos + 1, var);
    float S = 0.0f;
    for (int64_t j = 0; j <= pos; ++j) S = S * ms[j] + vs[j];
    return S;
}

// Tiled-path softmax weights, w = exp(s - max s), with the maximum of the
// whole row taken first instead of llama.cpp's running maximum per 64-key tile
// (the same weights up to rounding, no rescaling). Returns their sum, in order.
float softmax_weights(const float* sk, int64_t pos, float scale, float* w, KernelVariant var) {
    float M = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j <= pos; ++j) {
        w[j] = sk[j] * scale;
        M = w[j] > M ? w[j] : M;
    }
    for (int64_t j = 0; j <= pos; ++j) w[j] -= M;
    exp_f32(w, w, pos + 1, var);
    float S = 0.0f;
    for (int64_t j = 0; j <= pos; ++j) S += w[j];
    return S;
}

}  // namespace

void LlamaContext::attention_head(int64_t il, int64_t h, int64_t n, int64_t t_begin, int64_t t_end, const float* q,
                                  float* out, int thread) {
    const auto& p = model_->hparams();
    const int64_t E = p.n_embd, Ekv = p.n_embd_kv(), D = p.head_dim;
    const int64_t kvh = h / (p.n_head / p.n_head_kv);
    const float scale = 1.0f / std::sqrt(float(D));
    const bool f32 = batched_attention_f32(n, D);
    AttentionScratch& sc = attn_scratch_[size_t(thread)];
    const size_t n_all = size_t(n_past_ + n);
    if (sc.qh.size() < size_t(4 * D)) {
        sc.qh.resize(size_t(4 * D));
        sc.acc.resize(size_t(4 * D));
    }
    if (sc.ms.size() < 4 * n_all) {
        sc.ms.resize(4 * n_all);
        sc.vs.resize(4 * n_all);
        sc.scores.resize(4 * n_all);
    }
    const float* K = &k_cache_[size_t(il * n_ctx_ * Ekv)];
    const float* Vc = &v_cache_[size_t(il * n_ctx_ * Ekv)];

    // Up to four new tokens at a time share the pass over the keys and values.
    for (int64_t t0 = t_begin; t0 < t_end; t0 += 4) {
        const int nt = int(std::min<int64_t>(4, t_end - t0));
        const int64_t n_keys = n_past_ + t0 + nt;  // the last token attends to cache positions 0..n_keys-1
        const float* qk[4];
        for (int k = 0; k < nt; ++k) {
            const float* qt = &q[(t0 + k) * E + h * D];
            if (f32) {
                qk[k] = qt;
            } else {
                float* qr = &sc.qh[size_t(k * D)];
                std::copy(qt, qt + D, qr);
                round_to_f16(qr, D, variant_);  // llama.cpp converts q to f16 for the K dot products
                qk[k] = qr;
            }
        }
        dot_f32_keys(K + kvh * D, Ekv, n_keys, qk, nt, D, sc.scores.data(), variant_);
        float* accs[4];
        const float* mss[4];
        const float* vss[4];
        int64_t rows[4];
        float sums[4];
        for (int k = 0; k < nt; ++k) {
            const int64_t pos = n_past_ + t0 + k;  // attends to cache positions 0..pos
            const float* sk = &sc.scores[size_t(k * n_keys)];
            float* ms = &sc.ms[size_t(k) * n_all];
            float* vs = &sc.vs[size_t(k) * n_all];
            sums[k] = f32 ? softmax_weights(sk, pos, scale, vs, variant_)
                          : online_softmax_weights(sk, pos, scale, ms, vs, variant_);
            accs[k] = &sc.acc[size_t(k * D)];
            std::fill(accs[k], accs[k] + D, 0.0f);
            mss[k] = ms;
            vss[k] = vs;
            rows[k] = pos + 1;
        }
        // The value rows, once for all nt tokens.
        if (f32) {
            accumulate_values_f32_queries(accs, Vc + kvh * D, Ekv, vss, rows, nt, D, variant_);
        } else {
            accumulate_values_f16_queries(accs, Vc + kvh * D, Ekv, mss, vss, rows, nt, D, variant_);
        }
        for (int k = 0; k < nt; ++k) {
            const float inv = sums[k] == 0.0f ? 0.0f : 1.0f / sums[k];
            for (int64_t i = 0; i < D; ++i) out[(t0 + k) * E + h * D + i] = accs[k][size_t(i)] * inv;
        }
    }
}

}  // namespace quantlab
