#include "eval/perplexity.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace quantlab {

void log_softmax(const float* logits, int64_t n, float* out) {
    float max_logit = logits[0];
    for (int64_t i = 1; i < n; ++i) max_logit = std::max(max_logit, logits[i]);
    double sum_exp = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_exp += std::exp(logits[i] - max_logit);
    const float log_sum = float(std::log(sum_exp));
    for (int64_t i = 0; i < n; ++i) out[i] = logits[i] - max_logit - log_sum;
}

PerplexityResult compute_perplexity(LlamaContext& ctx, const std::vector<int32_t>& tokens,
                                    const PerplexityOptions& opt) {
    const int64_t n_ctx = opt.n_ctx;
    if (n_ctx < 4) throw Error(ErrorCode::InvalidArgument, "perplexity context must be at least 4 tokens");
    if (n_ctx > ctx.n_ctx()) {
        throw Error(ErrorCode::InvalidArgument, "perplexity context " + std::to_string(n_ctx) +
                                                    " exceeds the model context " + std::to_string(ctx.n_ctx()));
    }
    const int64_t available = int64_t(tokens.size()) / n_ctx;
    if (available < 1) {
        throw Error(ErrorCode::InvalidArgument, "the text has " + std::to_string(tokens.size()) +
                                                    " tokens; at least " + std::to_string(n_ctx) +
                                                    " are needed for one chunk");
    }
    const int64_t n_chunks = opt.n_chunks < 0 ? available : std::min(opt.n_chunks, available);
    const int64_t n_vocab = ctx.n_vocab();
    const int64_t first = n_ctx / 2;

    PerplexityResult r;
    r.n_chunks = n_chunks;
    double nll = 0.0, nll2 = 0.0;
    // Scored positions are log-softmaxed on the context's threads, a batch of
    // positions at a time, then summed (and reported) in position order, so
    // the result does not depend on the thread count.
    constexpr int64_t kBatch = 64;
    ThreadPool& pool = ctx.pool();
    std::vector<float> lp(size_t(kBatch * n_vocab));
    std::vector<double> v(kBatch);
    std::vector<int32_t> chunk(static_cast<size_t>(n_ctx));
    for (int64_t c = 0; c < n_chunks; ++c) {
        const int64_t start = c * n_ctx;
        std::copy(tokens.begin() + start, tokens.begin() + start + n_ctx, chunk.begin());
        if (opt.add_bos) chunk[0] = opt.bos;
        ctx.clear();
        const std::vector<float>& logits = ctx.decode(chunk.data(), n_ctx, true);
        for (int64_t j0 = first; j0 < n_ctx - 1; j0 += kBatch) {
            const int64_t m = std::min(kBatch, n_ctx - 1 - j0);
            const int64_t tasks = std::min<int64_t>(pool.size(), m);
            pool.run(tasks, [&](int64_t task, int) {
                const TaskRange tr = task_range(m, tasks, task);
                for (int64_t k = tr.begin; k < tr.end; ++k) {
                    float* row = &lp[size_t(k * n_vocab)];
                    log_softmax(&logits[size_t((j0 + k) * n_vocab)], n_vocab, row);
                    v[size_t(k)] = -double(row[size_t(tokens[size_t(start + j0 + k + 1)])]);
                }
            });
            for (int64_t k = 0; k < m; ++k) {
                nll += v[size_t(k)];
                nll2 += v[size_t(k)] * v[size_t(k)];
                r.token_nll.push_back(v[size_t(k)]);
                if (opt.on_scored) opt.on_scored(&lp[size_t(k * n_vocab)], n_vocab, tokens[size_t(start + j0 + k + 1)]);
            }
        }
        r.n_scored = int64_t(r.token_nll.size());
        r.running_ppl.push_back(std::exp(nll / double(r.n_scored)));
        if (opt.on_progress && !opt.on_progress({c + 1, n_chunks, r.running_ppl.back()})) {
            throw Error(ErrorCode::Cancelled, "perplexity cancelled after chunk " + std::to_string(c + 1));
        }
    }
    const double n = double(r.n_scored);
    const double mean = nll / n;
    double var = nll2 / n - mean * mean;
    r.ppl = std::exp(mean);
    r.ppl_error = var > 0 && n > 1 ? std::sqrt(var / (n - 1)) * r.ppl : 0.0;
    return r;
}

}  // namespace quantlab
