// The baseline a language model has to beat: a unigram model (token
// frequencies of a training text, add-one smoothed) scored on exactly the
// positions llama-perplexity scores.
#pragma once

#include <cstdint>
#include <vector>

namespace quantlab {

struct UnigramResult {
    double ppl = 0.0;
    int64_t n_scored = 0;
};

// counts_from: token ids of the training text; eval: token ids of the held-out
// text (with BOS). Positions as compute_perplexity: chunks of n_ctx, the
// second half of each chunk predicting the next token.
UnigramResult unigram_perplexity(const std::vector<int32_t>& counts_from, const std::vector<int32_t>& eval,
                                 int64_t n_vocab, int64_t n_ctx);

}  // namespace quantlab
