// A BPE vocabulary trained on quantlab's corpus and written in the form
// llama.cpp's SentencePiece-style ("llama") tokenizer reads: <unk> <s> </s>,
// the 256 byte-fallback tokens <0x00>..<0xFF>, the merged pieces in merge
// order with score = -rank, then the single characters (lowest scores), as
// sentencepiece's own BPE models are laid out (compare stories260K's vocab).
//
// Why score = -rank reproduces the BPE segmentation: llama.cpp repeatedly
// merges the adjacent pair whose concatenation is the highest-scoring vocab
// entry, which is the merge rule learned earliest. Pieces never span a word
// boundary (a "▁" not at the start, or a change between letters and
// punctuation), so splitting into words first, as training does, cannot
// change the result. Tests check the three encoders agree on held-out text.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gguf/gguf_file.h"

namespace quantlab {

// llama_token_type values in tokenizer.ggml.token_type.
enum class SpmTokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct SpmVocab {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    // Merge rules in rank order: piece ids (left, right) -> result id.
    struct Merge {
        int32_t left, right, result;
    };
    std::vector<Merge> merges;

    static constexpr int32_t kUnk = 0, kBos = 1, kEos = 2, kFirstByte = 3;
    size_t size() const { return tokens.size(); }

    // tokenizer.ggml.* keys (model "llama", the three arrays, special ids,
    // add_bos_token=true, add_eos_token=false, add_space_prefix=true).
    void write_metadata(GgufWriter& w) const;
};

struct TokenizerTrainOptions {
    size_t vocab_size = 1024;          // total, specials and byte tokens included
    size_t max_training_bytes = 32u << 20;  // learn merges from at most this much text
    uint32_t min_pair_count = 2;       // stop merging when no pair is this frequent
};

// Learns merges from documents (each is one text as the tokenizer sees it: a
// space prefix is added in front, spaces become "▁"). Deterministic: ties go
// to the pair of lowest piece ids.
SpmVocab train_spm_bpe(const std::vector<std::string>& docs, const TokenizerTrainOptions& opt = {});

// llama.cpp's SPM normalization: prepend a space, then every ' ' becomes "▁".
std::string spm_normalize(const std::string& text);

// Words of normalized text: an optional "▁" followed by a run of one class
// (letters, digits, apostrophes and non-ASCII; punctuation), or a lone "\n",
// or a lone "▁". No vocabulary piece crosses a boundary between words.
std::vector<std::pair<size_t, size_t>> spm_words(const std::string& normalized);

// Fast tokenization with a per-word cache, for turning a corpus into training
// tokens. No BOS/EOS is added.
class SpmEncoder {
public:
    explicit SpmEncoder(const SpmVocab& vocab);

    // llama.cpp's algorithm (highest-scoring concatenation first, leftmost on
    // ties, byte fallback), applied word by word.
    void encode(const std::string& text, std::vector<int32_t>& out);
    std::vector<int32_t> encode(const std::string& text) {
        std::vector<int32_t> out;
        encode(text, out);
        return out;
    }
    // Classic BPE: apply the learned merge rules by rank. The segmentation the
    // trainer meant; equal to encode() whenever the scores do their job.
    std::vector<int32_t> encode_by_rules(const std::string& text) const;
    // Pieces joined, "▁" back to spaces, byte tokens to bytes, the leading space dropped.
    std::string decode(const std::vector<int32_t>& ids) const;

private:
    void encode_word(const char* p, size_t n, std::vector<int32_t>& out) const;
    void encode_word_by_rules(const char* p, size_t n, std::vector<int32_t>& out) const;
    void emit_piece(const std::string& piece, std::vector<int32_t>& out) const;

    const SpmVocab& v_;
    std::unordered_map<std::string, int32_t> id_of_;
    std::unordered_map<uint64_t, int32_t> rank_of_;  // (left << 32 | right) -> merge rank
    std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace quantlab
