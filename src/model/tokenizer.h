// Tokenizers that reproduce llama.cpp's token ids for the same text: the
// SentencePiece-style "llama" vocabulary (llm_tokenizer_spm) and byte-level
// GPT-2 BPE ("gpt2", llm_tokenizer_bpe), both built from GGUF metadata.
// Facts come from llama.cpp's src/llama-vocab.cpp and src/unicode.cpp; see the
// .cpp files for where quantlab knowingly differs.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_file.h"

namespace quantlab {

// How BPE text is cut into words before merging (llama.cpp: llm_tokenizer_bpe's
// regex_exprs for tokenizer.ggml.pre).
enum class BpePreTokenizer {
    Gpt2,     // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    Default,  // llama.cpp's "default": punctuation runs first, then GPT-2, then digit runs cut in threes
};

// The words a BPE pre-tokenizer produces, as UTF-8 before the GPT-2 byte
// mapping. Invalid UTF-8 comes out as U+FFFD, as in llama.cpp.
std::vector<std::string> bpe_pre_tokenize(const std::string& text, BpePreTokenizer pre);

class Tokenizer {
public:
    // Throws Error(Format) for missing or inconsistent metadata, naming the key.
    static Tokenizer from_gguf(const GgufHeader& h);

    // As llama_tokenize(..., add_special = add_bos, parse_special = false):
    // BOS (and EOS) are added only when add_bos is true AND the vocabulary asks
    // for them (add_bos_default(), tokenizer.ggml.add_eos_token).
    std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const;
    // As llama_token_to_piece(..., lstrip = 0, special = false). Throws
    // Error(InvalidArgument) for an id outside the vocabulary.
    std::string token_to_piece(int32_t id) const;
    // As llama_detokenize(..., remove_special = false, unparse_special = false):
    // the pieces joined, one leading space dropped from the first token when the
    // vocabulary adds a space prefix, and GPT-2 clean-up of spaces for BPE.
    std::string detokenize(const std::vector<int32_t>& ids) const;

    int32_t bos() const { return bos_; }
    int32_t eos() const { return eos_; }
    int32_t unk() const { return unk_; }
    int32_t eot() const { return eot_; }
    bool add_bos_default() const { return add_bos_; }
    bool add_eos_default() const { return add_eos_; }
    size_t vocab_size() const { return text_.size(); }
    const std::string& model() const { return model_; }
    bool is_eog(int32_t id) const;

    const std::string& token_text(int32_t id) const;
    int32_t find_token(const std::string& text) const;  // -1 when absent
    BpePreTokenizer pre_tokenizer() const { return pre_; }

    // llama.cpp's token attributes (llama_token_attr), from tokenizer.ggml.token_type.
    enum Attr : uint8_t {
        kUndefined = 0,
        kUnknown = 1 << 0,
        kUnused = 1 << 1,
        kNormal = 1 << 2,
        kControl = 1 << 3,
        kUserDefined = 1 << 4,
        kByte = 1 << 5,
    };

private:
    struct Fragment {
        int32_t token;  // >= 0: a user-defined token; -1: raw text
        size_t offset, length;
    };

    Tokenizer() = default;
    void load_bpe_merges(const GgufHeader& h);
    std::vector<Fragment> partition(const std::string& text) const;
    void tokenize_spm(const std::string& text, std::vector<int32_t>& out) const;
    void tokenize_bpe(const std::string& text, std::vector<int32_t>& out) const;
    int32_t byte_token(uint8_t byte) const;
    int32_t lookup(const std::string& text) const {
        const auto it = token_to_id_.find(text);
        return it == token_to_id_.end() ? -1 : it->second;
    }
    int32_t bpe_rank(const std::string& left, const std::string& right) const;
    static std::string bpe_decode_text(const std::string& text);
    static size_t utf8_sequence_length(char first_byte);

    bool spm_ = true;
    std::string model_;
    std::vector<std::string> text_;
    std::vector<float> score_;
    std::vector<uint8_t> attr_;
    std::unordered_map<std::string, int32_t> token_to_id_;
    std::vector<int32_t> special_cache_;  // user-defined ids matched in raw text, longest first
    std::vector<int32_t> eog_;            // sorted

    // BPE: "left right" -> merge rank (the merge string itself).
    std::unordered_map<std::string, int32_t> bpe_ranks_;
    BpePreTokenizer pre_ = BpePreTokenizer::Gpt2;

    int32_t bos_ = -1, eos_ = -1, unk_ = -1, eot_ = -1, eom_ = -1, sep_ = -1, pad_ = -1;
    bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false, clean_spaces_ = false;
};

}  // namespace quantlab
