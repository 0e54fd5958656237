// BPE training over a word-frequency table (Sennrich et al. 2016; the layout
// of the result follows sentencepiece's BPE models as llama.cpp converts them).
#include "train/tokenizer_trainer.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/error.h"

namespace quantlab {

namespace {

const char kSpmSpace[] = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK, sentencepiece's space

bool is_space_mark(const std::string& s, size_t i) {
    return i + 2 < s.size() && uint8_t(s[i]) == 0xE2 && uint8_t(s[i + 1]) == 0x96 && uint8_t(s[i + 2]) == 0x81;
}

size_t utf8_len(uint8_t c) {
    if (c < 0x80) return 1;
    if ((c >> 5) == 0x6) return 2;
    if ((c >> 4) == 0xE) return 3;
    if ((c >> 3) == 0x1E) return 4;
    return 1;  // stray continuation or invalid byte: one character, as llama.cpp counts it
}

// Letters, digits, apostrophes and all non-ASCII characters form words;
// everything else (punctuation, symbols) forms punctuation runs.
bool is_word_class(uint8_t c) {
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'';
}

// Splits a word into its UTF-8 characters (clipped at the end of the word).
void split_chars(const char* p, size_t n, std::vector<std::string>& out) {
    out.clear();
    for (size_t i = 0; i < n;) {
        const size_t l = std::min(utf8_len(uint8_t(p[i])), n - i);
        out.emplace_back(p + i, l);
        i += l;
    }
}

uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

std::string byte_token_text(int b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    return buf;
}

}  // namespace

std::string spm_normalize(const std::string& text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4 + 3);
    out += kSpmSpace;
    for (const char c : text) {
        if (c == ' ') out += kSpmSpace;
        else out.push_back(c);
    }
    return out;
}

std::vector<std::pair<size_t, size_t>> spm_words(const std::string& s) {
    std::vector<std::pair<size_t, size_t>> words;
    size_t i = 0;
    while (i < s.size()) {
        const size_t start = i;
        if (s[i] == '\n') {
            ++i;
        } else {
            if (is_space_mark(s, i)) i += 3;
            if (i < s.size() && s[i] != '\n' && !is_space_mark(s, i)) {
                const bool word = is_word_class(uint8_t(s[i]));
                while (i < s.size() && s[i] != '\n' && !is_space_mark(s, i) && is_word_class(uint8_t(s[i])) == word) {
                    i += std::min(utf8_len(uint8_t(s[i])), s.size() - i);
                }
            }
        }
        words.emplace_back(start, i - start);
    }
    return words;
}

SpmVocab train_spm_bpe(const std::vector<std::string>& docs, const TokenizerTrainOptions& opt) {
    const size_t kFixed = 3 + 256;
    if (opt.vocab_size < kFixed + 16) {
        throw Error(ErrorCode::InvalidArgument, "vocabulary size " + std::to_string(opt.vocab_size) +
                                                    " is too small (at least 275: 3 special, 256 byte tokens, pieces)");
    }
    // Word frequencies. std::map keeps the iteration order independent of hashing.
    std::map<std::string, uint64_t> word_freq;
    size_t used = 0;
    for (const auto& d : docs) {
        if (used >= opt.max_training_bytes) break;
        used += d.size();
        const std::string norm = spm_normalize(d);
        for (const auto& [off, len] : spm_words(norm)) ++word_freq[norm.substr(off, len)];
    }

    // Characters by frequency; the most frequent become pieces of their own.
    std::map<std::string, uint64_t> char_freq;
    std::vector<std::string> chars;
    for (const auto& [w, f] : word_freq) {
        split_chars(w.data(), w.size(), chars);
        for (const auto& c : chars) char_freq[c] += f;
    }
    std::vector<std::pair<std::string, uint64_t>> by_freq(char_freq.begin(), char_freq.end());
    std::stable_sort(by_freq.begin(), by_freq.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    const size_t max_chars = (opt.vocab_size - kFixed) / 3;
    if (by_freq.size() > max_chars) by_freq.resize(max_chars);

    // Pieces: the kept characters first (internal ids), merged pieces after.
    std::vector<std::string> pieces;
    std::map<std::string, int32_t> piece_id;
    for (const auto& [c, f] : by_freq) {
        piece_id[c] = int32_t(pieces.size());
        pieces.push_back(c);
    }
    const size_t n_chars = pieces.size();

    struct Word {
        std::vector<int32_t> sym;  // -1: a character without a piece (byte fallback), never merged
        uint64_t freq;
    };
    std::vector<Word> words;
    words.reserve(word_freq.size());
    for (const auto& [w, f] : word_freq) {
        split_chars(w.data(), w.size(), chars);
        Word wd{{}, f};
        for (const auto& c : chars) {
            const auto it = piece_id.find(c);
            wd.sym.push_back(it == piece_id.end() ? -1 : it->second);
        }
        if (wd.sym.size() > 1) words.push_back(std::move(wd));
    }

    struct Rule {
        int32_t left, right, result;  // internal piece ids
    };
    std::vector<Rule> rules;
    const size_t max_merges = opt.vocab_size - kFixed - n_chars;
    std::unordered_map<uint64_t, uint64_t> counts;
    while (rules.size() < max_merges) {
        counts.clear();
        for (const auto& w : words) {
            for (size_t i = 0; i + 1 < w.sym.size(); ++i) {
                if (w.sym[i] < 0 || w.sym[i + 1] < 0) continue;
                counts[pair_key(w.sym[i], w.sym[i + 1])] += w.freq;
            }
        }
        uint64_t best_key = 0, best = 0;
        for (const auto& [k, c] : counts) {
            if (c > best || (c == best && k < best_key)) {  // ties: the lowest piece ids
                best = c;
                best_key = k;
            }
        }
        if (best < opt.min_pair_count) break;
        const int32_t a = int32_t(best_key >> 32), b = int32_t(best_key & 0xFFFFFFFFu);
        const std::string text = pieces[size_t(a)] + pieces[size_t(b)];
        int32_t result;
        const auto it = piece_id.find(text);
        if (it != piece_id.end()) {
            // The same text reached by another split: one vocabulary entry, two rules.
            result = it->second;
        } else {
            result = int32_t(pieces.size());
            piece_id[text] = result;
            pieces.push_back(text);
        }
        rules.push_back({a, b, result});
        for (auto& w : words) {
            size_t o = 0;
            for (size_t i = 0; i < w.sym.size(); ++i) {
                if (i + 1 < w.sym.size() && w.sym[i] == a && w.sym[i + 1] == b) {
                    w.sym[o++] = result;
                    ++i;
                } else {
                    w.sym[o++] = w.sym[i];
                }
            }
            w.sym.resize(o);
        }
    }

    // Assemble: specials, bytes, merged pieces by rank (score -rank), characters.
    SpmVocab v;
    v.tokens = {"<unk>", "<s>", "</s>"};
    v.types = {int32_t(SpmTokenType::Unknown), int32_t(SpmTokenType::Control), int32_t(SpmTokenType::Control)};
    v.scores = {0.0f, 0.0f, 0.0f};
    for (int b = 0; b < 256; ++b) {
        v.tokens.push_back(byte_token_text(b));
        v.types.push_back(int32_t(SpmTokenType::Byte));
        v.scores.push_back(0.0f);
    }
    std::vector<int32_t> vocab_id(pieces.size(), -1);
    float score = 0.0f;
    for (const Rule& r : rules) {
        if (vocab_id[size_t(r.result)] >= 0) continue;
        vocab_id[size_t(r.result)] = int32_t(v.tokens.size());
        v.tokens.push_back(pieces[size_t(r.result)]);
        v.types.push_back(int32_t(SpmTokenType::Normal));
        v.scores.push_back(score);
        score -= 1.0f;
    }
    for (size_t c = 0; c < n_chars; ++c) {
        vocab_id[c] = int32_t(v.tokens.size());
        v.tokens.push_back(pieces[c]);
        v.types.push_back(int32_t(SpmTokenType::Normal));
        v.scores.push_back(score);
        score -= 1.0f;
    }
    for (const Rule& r : rules) {
        v.merges.push_back({vocab_id[size_t(r.left)], vocab_id[size_t(r.right)], vocab_id[size_t(r.result)]});
    }
    return v;
}

void SpmVocab::write_metadata(GgufWriter& w) const {
    w.set("tokenizer.ggml.model", GgufValue::string("llama"));
    w.set("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
    w.set("tokenizer.ggml.scores", GgufValue::f32_array(scores));
    w.set("tokenizer.ggml.token_type", GgufValue::i32_array(types));
    w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(uint32_t(kBos)));
    w.set("tokenizer.ggml.eos_token_id", GgufValue::u32(uint32_t(kEos)));
    w.set("tokenizer.ggml.unknown_token_id", GgufValue::u32(uint32_t(kUnk)));
    w.set("tokenizer.ggml.padding_token_id", GgufValue::u32(uint32_t(kUnk)));
    w.set("tokenizer.ggml.add_bos_token", GgufValue::boolean(true));
    w.set("tokenizer.ggml.add_eos_token", GgufValue::boolean(false));
    w.set("tokenizer.ggml.add_space_prefix", GgufValue::boolean(true));
}

SpmEncoder::SpmEncoder(const SpmVocab& vocab) : v_(vocab) {
    for (size_t i = 0; i < v_.tokens.size(); ++i) {
        // Byte and control tokens are never the text of a merge.
        if (v_.types[i] == int32_t(SpmTokenType::Normal) || v_.types[i] == int32_t(SpmTokenType::UserDefined)) {
            id_of_.emplace(v_.tokens[i], int32_t(i));
        }
    }
    for (size_t r = 0; r < v_.merges.size(); ++r) {
        rank_of_.emplace(pair_key(v_.merges[r].left, v_.merges[r].right), int32_t(r));
    }
}

void SpmEncoder::emit_piece(const std::string& piece, std::vector<int32_t>& out) const {
    const auto it = id_of_.find(piece);
    if (it != id_of_.end()) {
        out.push_back(it->second);
        return;
    }
    for (const char c : piece) out.push_back(SpmVocab::kFirstByte + int32_t(uint8_t(c)));
}

void SpmEncoder::encode_word(const char* p, size_t n, std::vector<int32_t>& out) const {
    std::vector<std::string> sym;
    split_chars(p, n, sym);
    std::string cat;
    for (;;) {
        float best = 0.0f;
        size_t best_i = sym.size();
        for (size_t i = 0; i + 1 < sym.size(); ++i) {
            cat = sym[i];
            cat += sym[i + 1];
            const auto it = id_of_.find(cat);
            if (it == id_of_.end()) continue;
            const float s = v_.scores[size_t(it->second)];
            if (best_i == sym.size() || s > best) {  // strict: leftmost wins ties
                best = s;
                best_i = i;
            }
        }
        if (best_i == sym.size()) break;
        sym[best_i] += sym[best_i + 1];
        sym.erase(sym.begin() + std::ptrdiff_t(best_i) + 1);
    }
    for (const auto& s : sym) emit_piece(s, out);
}

void SpmEncoder::encode_word_by_rules(const char* p, size_t n, std::vector<int32_t>& out) const {
    std::vector<std::string> chars;
    split_chars(p, n, chars);
    // -1 marks a character without a piece; the byte fallback spells it later.
    std::vector<int32_t> sym;
    std::vector<std::string> raw;
    for (const auto& c : chars) {
        const auto it = id_of_.find(c);
        sym.push_back(it == id_of_.end() ? -1 : it->second);
        raw.push_back(c);
    }
    for (;;) {
        int32_t best = -1;
        size_t best_i = 0;
        for (size_t i = 0; i + 1 < sym.size(); ++i) {
            if (sym[i] < 0 || sym[i + 1] < 0) continue;
            const auto it = rank_of_.find(pair_key(sym[i], sym[i + 1]));
            if (it != rank_of_.end() && (best < 0 || it->second < best)) {
                best = it->second;
                best_i = i;
            }
        }
        if (best < 0) break;
        const auto& m = v_.merges[size_t(best)];
        // Apply this rule everywhere in the word, left to right.
        for (size_t i = best_i; i + 1 < sym.size(); ++i) {
            if (sym[i] == m.left && sym[i + 1] == m.right) {
                sym[i] = m.result;
                raw[i] += raw[i + 1];
                sym.erase(sym.begin() + std::ptrdiff_t(i) + 1);
                raw.erase(raw.begin() + std::ptrdiff_t(i) + 1);
            }
        }
    }
    for (size_t i = 0; i < sym.size(); ++i) {
        if (sym[i] >= 0) out.push_back(sym[i]);
        else emit_piece(raw[i], out);
    }
}

void SpmEncoder::encode(const std::string& text, std::vector<int32_t>& out) {
    const std::string norm = spm_normalize(text);
    std::string key;
    for (const auto& [off, len] : spm_words(norm)) {
        key.assign(norm, off, len);
        auto it = cache_.find(key);
        if (it == cache_.end()) {
            std::vector<int32_t> ids;
            encode_word(norm.data() + off, len, ids);
            // Bound the cache: arbitrary text can have unbounded distinct words.
            if (cache_.size() > (1u << 20)) cache_.clear();
            it = cache_.emplace(key, std::move(ids)).first;
        }
        out.insert(out.end(), it->second.begin(), it->second.end());
    }
}

std::vector<int32_t> SpmEncoder::encode_by_rules(const std::string& text) const {
    const std::string norm = spm_normalize(text);
    std::vector<int32_t> out;
    for (const auto& [off, len] : spm_words(norm)) encode_word_by_rules(norm.data() + off, len, out);
    return out;
}

std::string SpmEncoder::decode(const std::vector<int32_t>& ids) const {
    std::string out;
    for (const int32_t id : ids) {
        if (id < 0 || size_t(id) >= v_.tokens.size()) {
            throw Error(ErrorCode::InvalidArgument, "token id " + std::to_string(id) + " is outside the vocabulary");
        }
        const int32_t t = v_.types[size_t(id)];
        if (t == int32_t(SpmTokenType::Byte)) {
            out.push_back(char(id - SpmVocab::kFirstByte));
        } else if (t == int32_t(SpmTokenType::Normal) || t == int32_t(SpmTokenType::UserDefined)) {
            const std::string& p = v_.tokens[size_t(id)];
            for (size_t i = 0; i < p.size();) {
                if (is_space_mark(p, i)) {
                    out.push_back(' ');
                    i += 3;
                } else {
                    out.push_back(p[i++]);
                }
            }
        }
    }
    if (!out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
}

}  // namespace quantlab
