// Perplexity exactly as llama-perplexity computes it (tools/perplexity/perplexity.cpp):
// the text is tokenized once with BOS, cut into non-overlapping chunks of n_ctx
// tokens, each chunk's first token is replaced by BOS, the KV cache is cleared
// per chunk, and only the second half of each chunk is scored (logits at
// positions n_ctx/2 .. n_ctx-2 predicting the next token).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/llama_context.h"

namespace quantlab {

struct PerplexityProgress {
    int64_t chunk = 0;        // chunks done
    int64_t n_chunks = 0;
    double running_ppl = 0.0; // over all tokens scored so far
};

struct PerplexityOptions {
    int64_t n_ctx = 512;
    int64_t n_chunks = -1;      // -1: every whole chunk of the text
    bool add_bos = true;        // put BOS at the start of each chunk
    int32_t bos = 1;
    // Called after every chunk; return false to cancel (Error(Cancelled) is thrown).
    std::function<bool(const PerplexityProgress&)> on_progress;
    // When set, receives the log-softmax of every scored position: one
    // [n_vocab] row per scored token, in order (used for KL divergence).
    std::function<void(const float* logprobs, int64_t n_vocab, int32_t next_token)> on_scored;
};

struct PerplexityResult {
    double ppl = 0.0;
    double ppl_error = 0.0;              // standard error, as llama-perplexity prints after "+/-"
    std::vector<double> running_ppl;     // after each chunk
    std::vector<double> token_nll;       // -log p(next token), every scored position
    int64_t n_chunks = 0;
    int64_t n_scored = 0;
};

// log-softmax of one logit row into out (float, max-subtracted, sum in double as llama.cpp).
void log_softmax(const float* logits, int64_t n, float* out);

PerplexityResult compute_perplexity(LlamaContext& ctx, const std::vector<int32_t>& tokens,
                                    const PerplexityOptions& opt);

}  // namespace quantlab
