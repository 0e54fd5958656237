// Choosing the next token: greedy (temperature 0) or the llama.cpp-style
// chain top-k -> top-p -> temperature -> random draw from a seeded generator.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace quantlab {

struct SamplerOptions {
    float temperature = 0.8f;  // <= 0: greedy
    int32_t top_k = 40;        // <= 0: whole vocabulary
    float top_p = 0.95f;       // >= 1: disabled
    uint64_t seed = 0;
};

class Sampler {
public:
    explicit Sampler(const SamplerOptions& opt);
    int32_t sample(const float* logits, int64_t n_vocab);

private:
    SamplerOptions opt_;
    std::mt19937_64 rng_;
    std::vector<std::pair<float, int32_t>> cand_;
};

// Index of the largest logit; the first one on ties, as llama.cpp's greedy sampler.
int32_t argmax(const float* logits, int64_t n);

}  // namespace quantlab
