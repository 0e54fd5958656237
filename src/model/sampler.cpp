#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace quantlab {

int32_t argmax(const float* logits, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i) {
        if (logits[i] > logits[best]) best = i;
    }
    return int32_t(best);
}

Sampler::Sampler(const SamplerOptions& opt) : opt_(opt), rng_(opt.seed) {
    if (!(opt.top_p > 0.0f)) throw Error(ErrorCode::InvalidArgument, "top_p must be in (0, 1]");
    if (!std::isfinite(opt.temperature)) throw Error(ErrorCode::InvalidArgument, "temperature must be finite");
}

int32_t Sampler::sample(const float* logits, int64_t n_vocab) {
    if (opt_.temperature <= 0.0f) return argmax(logits, n_vocab);
    cand_.resize(size_t(n_vocab));
    // A NaN logit (a model with NaN weights) would break the sort's ordering
    // (undefined behaviour); it ranks last instead, as -inf.
    for (int64_t i = 0; i < n_vocab; ++i) {
        const float l = std::isnan(logits[i]) ? -std::numeric_limits<float>::infinity() : logits[i];
        cand_[size_t(i)] = {l, int32_t(i)};
    }
    auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
    size_t keep = cand_.size();
    if (opt_.top_k > 0 && size_t(opt_.top_k) < keep) {
        keep = size_t(opt_.top_k);
        std::partial_sort(cand_.begin(), cand_.begin() + long(keep), cand_.end(), by_logit);
    } else {
        std::sort(cand_.begin(), cand_.end(), by_logit);
    }
    // Nothing finite to choose from: the first of the best, like greedy.
    if (!std::isfinite(cand_[0].first)) return cand_[0].second;
    // Probabilities at temperature 1 decide the nucleus (as llama.cpp applies top-p before temperature).
    std::vector<double> p(keep);
    double sum = 0.0;
    for (size_t i = 0; i < keep; ++i) sum += p[i] = std::exp(double(cand_[i].first - cand_[0].first));
    if (opt_.top_p < 1.0f) {
        double cum = 0.0;
        for (size_t i = 0; i < keep; ++i) {
            cum += p[i] / sum;
            if (cum >= opt_.top_p) {
                keep = i + 1;
                break;
            }
        }
    }
    std::vector<double> w(keep);
    for (size_t i = 0; i < keep; ++i) w[i] = std::exp(double(cand_[i].first - cand_[0].first) / opt_.temperature);
    std::discrete_distribution<size_t> dist(w.begin(), w.end());
    return cand_[dist(rng_)].second;
}

}  // namespace quantlab
