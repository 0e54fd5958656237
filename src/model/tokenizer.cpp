// Vocabulary construction from GGUF metadata, special tokens, and the parts of
// tokenize/detokenize shared by both algorithms. Behaviour follows llama.cpp's
// llama_vocab::impl (src/llama-vocab.cpp: load, tokenizer_st_partition,
// tokenize, token_to_piece, detokenize). Deliberate differences:
//  - metadata llama.cpp would silently repair is rejected here with
//    Error(Format): score/type arrays whose length differs from the token list,
//    special ids outside the vocabulary (except -1 / 0xFFFFFFFF, which
//    converters write to mean "none" and llama.cpp ignores as well);
//  - end-of-generation detection covers eos, eot, eom and the common
//    end-of-turn token texts, not llama.cpp's per-model workarounds;
//  - the per-model lstrip/rstrip attributes (phi-3, jina, ...) are not applied.
#include "model/tokenizer.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "core/error.h"

namespace quantlab {

namespace {

const char* const kKeyModel = "tokenizer.ggml.model";
const char* const kKeyPre = "tokenizer.ggml.pre";
const char* const kKeyTokens = "tokenizer.ggml.tokens";
const char* const kKeyScores = "tokenizer.ggml.scores";
const char* const kKeyTypes = "tokenizer.ggml.token_type";
const char* const kKeyAddBos = "tokenizer.ggml.add_bos_token";
const char* const kKeyAddEos = "tokenizer.ggml.add_eos_token";
const char* const kKeyAddSpacePrefix = "tokenizer.ggml.add_space_prefix";
const char* const kKeyBos = "tokenizer.ggml.bos_token_id";

[[noreturn]] void bad_metadata(const std::string& key, const std::string& what) {
    throw Error(ErrorCode::Format, "tokenizer metadata '" + key + "' " + what);
}

// GgufValue's accessors do not know which key they belong to; say it here.
template <class F>
auto with_key(const std::string& key, F&& read) -> decltype(read()) {
    try {
        return read();
    } catch (const Error& e) {
        bad_metadata(key, std::string("is malformed: ") + e.what());
    }
}

bool read_bool(const GgufHeader& h, const std::string& key, bool fallback) {
    const GgufValue* v = h.find(key);
    return v ? with_key(key, [&] { return v->as_bool(); }) : fallback;
}

// Texts llama.cpp recognises as end-of-turn markers when the file does not
// name them (llama_vocab::impl::load, "auto-detect"); with "<|eom_id|>" they
// are also its end-of-generation texts.
const char* const kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>",
    "<end_of_utterance>",
};

}  // namespace

Tokenizer Tokenizer::from_gguf(const GgufHeader& h) {
    Tokenizer t;
    for (const char* key : {kKeyModel, kKeyTokens}) {
        if (!h.find(key)) bad_metadata(key, "is missing");
    }
    t.model_ = with_key(kKeyModel, [&] { return h.get(kKeyModel).as_string(); });

    // Defaults per vocabulary type, as llama.cpp sets them before reading keys.
    if (t.model_ == "llama") {
        t.spm_ = true;
        t.bos_ = 1;
        t.eos_ = 2;
        t.unk_ = 0;
        t.add_space_prefix_ = true;
        t.add_bos_ = true;
        t.clean_spaces_ = false;
    } else if (t.model_ == "gpt2") {
        t.spm_ = false;
        t.bos_ = 11;
        t.eos_ = 11;
        t.add_space_prefix_ = false;
        t.add_bos_ = false;
        t.clean_spaces_ = true;
        // llama.cpp maps a missing tokenizer.ggml.pre to "default" (with a
        // warning). Every other name selects its own regex chain there (llama3,
        // qwen2, ...); quantlab accepts them all but splits words with the GPT-2
        // regex, so only "gpt2" and "default" vocabularies are exact.
        const GgufValue* pre = h.find(kKeyPre);
        const std::string pre_name = pre ? with_key(kKeyPre, [&] { return pre->as_string(); }) : "default";
        t.pre_ = pre_name == "default" ? BpePreTokenizer::Default : BpePreTokenizer::Gpt2;
    } else {
        bad_metadata(kKeyModel,
                     "names tokenizer '" + t.model_ + "', which is not supported (expected \"llama\" or \"gpt2\")");
    }
    t.add_space_prefix_ = read_bool(h, kKeyAddSpacePrefix, t.add_space_prefix_);

    t.text_ = with_key(kKeyTokens, [&] { return h.get(kKeyTokens).strings(); });
    const size_t n = t.text_.size();
    if (n == 0) bad_metadata(kKeyTokens, "is empty");
    if (n > size_t(INT32_MAX)) bad_metadata(kKeyTokens, "has too many tokens");

    t.score_.assign(n, 0.0f);
    if (const GgufValue* v = h.find(kKeyScores)) {
        t.score_ = with_key(kKeyScores, [&] { return v->as_f32_array(); });
        if (t.score_.size() != n) {
            bad_metadata(kKeyScores, "has " + std::to_string(t.score_.size()) + " entries for " + std::to_string(n) +
                                         " tokens");
        }
    }
    t.attr_.assign(n, kNormal);
    if (const GgufValue* v = h.find(kKeyTypes)) {
        const auto types = with_key(kKeyTypes, [&] { return v->as_i32_array(); });
        if (types.size() != n) {
            bad_metadata(kKeyTypes, "has " + std::to_string(types.size()) + " entries for " + std::to_string(n) +
                                        " tokens");
        }
        for (size_t i = 0; i < n; ++i) {
            // llama_token_type: 1 normal, 2 unknown, 3 control, 4 user-defined,
            // 5 unused, 6 byte; anything else is "undefined".
            static const uint8_t kFromType[7] = {kUndefined, kNormal, kUnknown, kControl, kUserDefined, kUnused, kByte};
            t.attr_[i] = types[i] >= 0 && types[i] <= 6 ? kFromType[types[i]] : uint8_t(kUndefined);
        }
    }

    t.token_to_id_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        // llama.cpp renames empty tokens so every id keeps a distinct text.
        if (t.text_[i].empty()) t.text_[i] = "[EMPTY_" + std::to_string(i) + "]";
        const auto res = t.token_to_id_.emplace(t.text_[i], int32_t(i));
        if (!res.second) {
            bad_metadata(kKeyTokens, "lists '" + t.text_[i] + "' twice (ids " + std::to_string(res.first->second) +
                                         " and " + std::to_string(i) + ")");
        }
    }

    if (!t.spm_) t.load_bpe_merges(h);

    // Special ids. A default that does not fit the vocabulary is dropped, as in llama.cpp.
    struct SpecialKey {
        const char* key;
        int32_t* id;
    };
    const SpecialKey specials[] = {
        {kKeyBos, &t.bos_},
        {"tokenizer.ggml.eos_token_id", &t.eos_},
        {"tokenizer.ggml.eot_token_id", &t.eot_},
        {"tokenizer.ggml.eom_token_id", &t.eom_},
        {"tokenizer.ggml.unknown_token_id", &t.unk_},
        {"tokenizer.ggml.seperator_token_id", &t.sep_},  // sic: llama.cpp's key name
        {"tokenizer.ggml.padding_token_id", &t.pad_},
    };
    for (const auto& s : specials) {
        if (*s.id >= 0 && size_t(*s.id) >= n) *s.id = -1;
        const GgufValue* v = h.find(s.key);
        if (!v) continue;
        const int64_t id = with_key(s.key, [&] { return v->as_i64(); });
        if (id == -1 || id == int64_t(UINT32_MAX)) continue;
        if (id < 0 || uint64_t(id) >= n) {
            bad_metadata(s.key, "is " + std::to_string(id) + ", outside the vocabulary of " + std::to_string(n));
        }
        *s.id = int32_t(id);
    }

    t.add_bos_ = read_bool(h, kKeyAddBos, t.add_bos_);
    t.add_eos_ = read_bool(h, kKeyAddEos, t.add_eos_);
    if (t.add_bos_ && t.bos_ < 0) bad_metadata(kKeyAddBos, "is true, but tokenizer.ggml.bos_token_id is not set");
    if (t.add_eos_ && t.eos_ < 0) bad_metadata(kKeyAddEos, "is true, but tokenizer.ggml.eos_token_id is not set");

    // End of generation: eos, eot, eom and every token with an end-of-turn
    // text. llama.cpp makes the tokens it recognises by text control tokens,
    // which hides them from token_to_piece and from user-defined matching; ids
    // that come from metadata keep their type. When several texts are present
    // llama.cpp's choice of eot depends on hash order; here the lowest id wins.
    std::vector<int32_t> by_text;
    for (const char* text : kEotTexts) {
        if (const int32_t id = t.lookup(text); id >= 0) by_text.push_back(id);
    }
    if (t.eot_ < 0 && !by_text.empty()) t.eot_ = *std::min_element(by_text.begin(), by_text.end());
    if (const int32_t id = t.lookup("<|eom_id|>"); id >= 0) {
        by_text.push_back(id);
        if (t.eom_ < 0) t.eom_ = id;
    }
    for (const int32_t id : by_text) t.attr_[size_t(id)] |= kControl;
    t.eog_ = by_text;
    for (const int32_t id : {t.eos_, t.eot_, t.eom_}) {
        if (id >= 0) t.eog_.push_back(id);
    }
    std::sort(t.eog_.begin(), t.eog_.end());
    t.eog_.erase(std::unique(t.eog_.begin(), t.eog_.end()), t.eog_.end());

    // Tokens matched whole in raw text, longest first so a longer token wins
    // over a prefix of it. tokenize() is llama.cpp's parse_special = false, so
    // control and unknown tokens (even user-defined ones made control above)
    // are not among them. llama.cpp uses std::sort, whose order among equal
    // lengths is unspecified; a stable sort keeps id order.
    for (size_t i = 0; i < n; ++i) {
        if ((t.attr_[i] & kUserDefined) && !(t.attr_[i] & (kControl | kUnknown))) {
            t.special_cache_.push_back(int32_t(i));
        }
    }
    std::stable_sort(t.special_cache_.begin(), t.special_cache_.end(), [&](int32_t a, int32_t b) {
        return t.text_[size_t(a)].size() > t.text_[size_t(b)].size();
    });
    return t;
}

bool Tokenizer::is_eog(int32_t id) const { return std::binary_search(eog_.begin(), eog_.end(), id); }

const std::string& Tokenizer::token_text(int32_t id) const {
    if (id < 0 || size_t(id) >= text_.size()) {
        throw Error(ErrorCode::InvalidArgument,
                    "token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(text_.size()));
    }
    return text_[size_t(id)];
}

int32_t Tokenizer::find_token(const std::string& text) const { return lookup(text); }

int32_t Tokenizer::byte_token(uint8_t byte) const {
    static const char kHex[] = "0123456789ABCDEF";
    const char name[7] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>', 0};
    int32_t id = lookup(name);
    // Some SPM vocabularies spell byte tokens as the raw byte.
    if (id < 0) id = lookup(std::string(1, char(byte)));
    if (id < 0) {
        throw Error(ErrorCode::Format, std::string("the vocabulary has no token for byte ") + name +
                                           ", which the text needs (tokenizer.ggml.tokens)");
    }
    return id;
}

// Cuts user-defined tokens out of the text, one token text at a time over the
// fragments still raw, as llama.cpp's tokenizer_st_partition.
std::vector<Tokenizer::Fragment> Tokenizer::partition(const std::string& text) const {
    std::vector<Fragment> frags;
    if (text.empty()) return frags;
    frags.push_back({-1, 0, text.size()});
    std::vector<Fragment> next;
    for (const int32_t id : special_cache_) {
        const std::string& tok = text_[size_t(id)];
        next.clear();
        for (const Fragment& f : frags) {
            if (f.token >= 0) {
                next.push_back(f);
                continue;
            }
            const size_t end = f.offset + f.length;
            const std::string_view window(text.data(), end);
            size_t pos = f.offset;
            for (;;) {
                const size_t m = window.find(tok, pos);
                if (m == std::string_view::npos) break;
                if (m > pos) next.push_back({-1, pos, m - pos});
                next.push_back({id, m, tok.size()});
                pos = m + tok.size();
            }
            if (pos < end) next.push_back({-1, pos, end - pos});
        }
        frags.swap(next);
    }
    return frags;
}

std::vector<int32_t> Tokenizer::tokenize(const std::string& text, bool add_bos) const {
    std::vector<int32_t> out;
    out.reserve(text.size() / 2 + 2);
    const auto frags = partition(text);
    if (add_bos && add_bos_) out.push_back(bos_);
    if (spm_) {
        // The space prefix goes at the start of the text and again after every
        // user-defined token (llama.cpp's is_prev_special), not before each word.
        bool prev_special = true;
        std::string piece;
        for (const Fragment& f : frags) {
            if (f.token >= 0) {
                out.push_back(f.token);
                prev_special = true;
                continue;
            }
            piece.clear();
            if (add_space_prefix_ && prev_special) piece = " ";
            piece.append(text, f.offset, f.length);
            std::string escaped;
            escaped.reserve(piece.size() + piece.size() / 2);
            for (const char c : piece) {
                if (c == ' ') {
                    escaped += "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK
                } else {
                    escaped += c;
                }
            }
            tokenize_spm(escaped, out);
            prev_special = false;
        }
    } else {
        for (const Fragment& f : frags) {
            if (f.token >= 0) {
                out.push_back(f.token);
            } else {
                tokenize_bpe(text.substr(f.offset, f.length), out);
            }
        }
    }
    if (add_bos && add_eos_) out.push_back(eos_);
    return out;
}

std::string Tokenizer::token_to_piece(int32_t id) const {
    const std::string& text = token_text(id);
    const uint8_t a = attr_[size_t(id)];
    if (a & (kUnknown | kControl)) return "";
    if (a & kUserDefined) return text;
    if (a & kNormal) {
        if (!spm_) return bpe_decode_text(text);
        std::string out;
        out.reserve(text.size());
        for (size_t i = 0; i < text.size(); ++i) {
            if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
                out += ' ';
                i += 2;
            } else {
                out += text[i];
            }
        }
        return out;
    }
    if (a & kByte) {
        // "<0xXX>": llama.cpp reads the two characters after "<0x" as hex.
        const std::string hex = text.size() > 3 ? text.substr(3, 2) : std::string();
        return std::string(1, char(std::strtol(hex.c_str(), nullptr, 16)));
    }
    return "";  // unused and undefined tokens print nothing, like control tokens
}

std::string Tokenizer::detokenize(const std::vector<int32_t>& ids) const {
    std::string text;
    // The space prefix added by tokenize() is taken off the first token only;
    // a leading BOS prints nothing but still counts as that first token.
    bool remove_space = add_space_prefix_;
    for (const int32_t id : ids) {
        std::string piece = token_to_piece(id);
        if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
        remove_space = false;
        text += piece;
    }
    if (!clean_spaces_ || text.empty()) return text;

    // GPT-2's clean_up_tokenization_spaces, in llama.cpp's three passes.
    std::string a;
    a.reserve(text.size());
    a += text[0];
    for (size_t i = 1; i < text.size(); ++i) {
        const char x = text[i];
        if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
        a += x;
    }
    std::string b;
    b.reserve(a.size());
    b += a[0];
    // llama.cpp works in place and blanks the space it skips, so that space no
    // longer counts as the space before a following "' ".
    size_t blanked = std::string::npos;
    for (size_t i = 1; i < a.size(); ++i) {
        const char x = a[i];
        if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && i - 1 != blanked && a[i + 1] == ' ') {  // " ' "
            b.pop_back();
            blanked = ++i;
        }
        b += x;
    }
    std::string c;
    c.reserve(b.size());
    c += b[0];
    for (size_t i = 1; i < b.size(); ++i) {
        const char x = b[i];
        if (b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
            const char x1 = b[i + 1];
            const char x2 = i + 2 < b.size() ? b[i + 2] : '\0';
            // " 's" and " 'm", " 're" and " 've" lose their space; " 't", " 'd" and " 'll" keep it.
            if (x1 == 's' || x1 == 'm' || (x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) c.pop_back();
        }
        c += x;
    }
    return c;
}

}  // namespace quantlab
