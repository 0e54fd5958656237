#include "eval/unigram.h"

#include <cmath>

#include "core/error.h"

namespace quantlab {

UnigramResult unigram_perplexity(const std::vector<int32_t>& counts_from, const std::vector<int32_t>& eval,
                                 int64_t n_vocab, int64_t n_ctx) {
    if (n_vocab <= 0 || n_ctx < 4) throw Error(ErrorCode::InvalidArgument, "bad vocabulary size or context");
    std::vector<double> count(static_cast<size_t>(n_vocab), 1.0);  // add-one smoothing
    double total = double(n_vocab);
    for (int32_t t : counts_from) {
        if (t < 0 || t >= n_vocab) throw Error(ErrorCode::InvalidArgument, "token id outside the vocabulary");
        count[size_t(t)] += 1.0;
        total += 1.0;
    }
    const int64_t n_chunks = int64_t(eval.size()) / n_ctx;
    if (n_chunks < 1) throw Error(ErrorCode::InvalidArgument, "the held-out text is shorter than one chunk");
    UnigramResult r;
    double nll = 0.0;
    for (int64_t c = 0; c < n_chunks; ++c) {
        for (int64_t j = n_ctx / 2; j < n_ctx - 1; ++j) {
            const int32_t next = eval[size_t(c * n_ctx + j + 1)];
            nll -= std::log(count[size_t(next)] / total);
            ++r.n_scored;
        }
    }
    r.ppl = std::exp(nll / double(r.n_scored));
    return r;
}

}  // namespace quantlab
