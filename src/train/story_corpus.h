// Training text for quantlab's own small Llama: a seeded generator of simple
// English children's stories (characters, places, objects, a problem and its
// resolution, dialogue, a moral), and the held-out split the trainer reports
// its evaluation loss on. The same seed always yields the same stories, on
// every platform: the generator uses its own integer RNG, never <random>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace quantlab {

// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast and fully specified,
// so the corpus and the trainer's sampling are identical on every platform.
class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed = 0) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for the small n used here.
    uint32_t below(uint32_t n) { return uint32_t(next() % n); }
    // Uniform in [0, 1).
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
    bool chance(double p) { return uniform() < p; }

private:
    uint64_t s_;
};

class StoryGenerator {
public:
    explicit StoryGenerator(uint64_t seed);

    // Appends one story to out: two to five paragraphs separated by '\n',
    // sentences separated by single spaces, no trailing newline.
    void next_story(std::string& out);
    std::string next_story() {
        std::string s;
        next_story(s);
        return s;
    }

private:
    struct Impl;
    SplitMix64 rng_;
};

struct StoryCorpus {
    std::vector<std::string> train;  // documents (stories), in order
    std::vector<std::string> eval;   // held out: never identical to a training document
};

// Words = runs of non-space characters.
size_t count_words(const std::string& text);

// Generated corpus of at least train_words / eval_words words. Evaluation
// stories come from a different seed stream (derived from seed), and any
// training story identical to an evaluation story is skipped, so the split is
// disjoint by construction.
StoryCorpus generate_story_corpus(uint64_t seed, size_t train_words, size_t eval_words);

// A user's text instead of the generator: documents are separated by blank
// lines (or one document per line when the text has no blank line); the last
// documents holding about eval_words words become the held-out split.
StoryCorpus corpus_from_text(const std::string& text, size_t eval_words);

}  // namespace quantlab
