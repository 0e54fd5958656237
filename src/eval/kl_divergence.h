// Comparing a quantized model with its base, position by position, in the
// manner of llama-perplexity --kl-divergence: KL divergence of the token
// distributions, the change in probability of the correct token (Δp), PPL of
// both with the ratio and difference, how often the top token agrees, and a
// paired test of whether the quantized model is significantly worse.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace quantlab {

struct KldPercentiles {
    double max = 0, p99_9 = 0, p99 = 0, p95 = 0, p90 = 0, median = 0, p10 = 0, p5 = 0, p1 = 0, p0_1 = 0, min = 0;
};

struct KldStats {
    int64_t n = 0;
    double ppl_base = 0, ppl_base_err = 0;
    double ppl_q = 0, ppl_q_err = 0;
    double cor_ln_ppl = 0;                       // correlation of per-token ln p (base vs quantized)
    double mean_ln_ratio = 0, mean_ln_ratio_err = 0;  // mean of nll_q - nll_base
    double ppl_ratio = 0, ppl_ratio_err = 0;     // PPL(Q)/PPL(base)
    double ppl_diff = 0, ppl_diff_err = 0;       // PPL(Q)-PPL(base)
    double kld_mean = 0, kld_err = 0;
    KldPercentiles kld;
    double dp_mean = 0, dp_err = 0, dp_rms = 0;  // Δp = p_q(correct) - p_base(correct), in [-1, 1]
    KldPercentiles dp;
    double same_top = 0, same_top_err = 0;       // fraction in [0, 1]
    // Paired z-test of the per-token log-likelihood differences.
    double z = 0, p_value = 1;
    bool significant_5pct = false;
};

class KldAccumulator {
public:
    // Both rows are log-softmax over the vocabulary; next is the correct token.
    void add(const float* base_logprobs, const float* q_logprobs, int64_t n_vocab, int32_t next);
    KldStats finish() const;
    int64_t count() const { return int64_t(kld_.size()); }

private:
    std::vector<double> kld_, dp_, nll_base_, nll_q_;
    int64_t same_top_ = 0;
};

// Base log-probabilities on disk: one float row per scored position.
// Layout (little-endian): "QLKLDB01", u32 n_vocab, u32 n_ctx, u64 n_positions,
// then per position i32 next_token followed by f32 logprobs[n_vocab].
class KldBaseWriter {
public:
    KldBaseWriter(const std::string& path, int64_t n_vocab, int64_t n_ctx);
    ~KldBaseWriter();
    void add(const float* logprobs, int32_t next);
    void commit();  // writes the count and renames into place; without it the file is removed

private:
    std::string path_, tmp_;
    std::FILE* f_ = nullptr;
    int64_t n_vocab_;
    uint64_t n_ = 0;
};

class KldBaseReader {
public:
    explicit KldBaseReader(const std::string& path);
    ~KldBaseReader();
    int64_t n_vocab() const { return n_vocab_; }
    int64_t n_ctx() const { return n_ctx_; }
    uint64_t n_positions() const { return n_; }
    // Reads the next position; throws Error(Format) past the end.
    void next(std::vector<float>& logprobs, int32_t& next_token);

private:
    std::FILE* f_ = nullptr;
    int64_t n_vocab_ = 0, n_ctx_ = 0;
    uint64_t n_ = 0, read_ = 0;
};

}  // namespace quantlab
