// libFuzzer target for the tokenizers (SPM and byte-level BPE): any text
// must tokenize and detokenize without crashing, and where the format
// promises a round trip the text must come back unchanged. Built with
// ASan + UBSan.
//
// The first input byte chooses the vocabulary, the rest is the text:
//   0: the built-in model's SPM vocabulary (models/quantlab-stories-4M.gguf,
//      1024 tokens with all 256 byte tokens). Promise: detokenize(tokenize(t))
//      == t for valid UTF-8 without U+2581 (which SPM writes for a space), as
//      llama.cpp's byte fallback and space prefix give. (In invalid UTF-8 a
//      lead byte takes the bytes after it into one symbol, as in llama.cpp,
//      which may include the U+2581 that stands for a space.)
//   1, 2: a synthetic GPT-2 byte-level BPE vocabulary with merges, user-defined
//      and control tokens, pre-tokenized by the "gpt2" or the "default" regex
//      chain. Promise: the pieces of tokenize(t) concatenate to t whenever t
//      survives UTF-8 decoding unchanged (invalid bytes become U+FFFD first).
//   3: the vocabulary itself comes from the input: a GGUF header (up to the
//      first "\n\n") whose metadata from_gguf must accept or reject cleanly,
//      then the text after it; no round trip is promised for such a vocabulary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_support.h"
#include "gguf/gguf_file.h"
#include "model/tokenizer.h"
#include "support/gpt2_bytes.h"

using namespace quantlab;

namespace {

// 256 byte characters, merges for frequent English pairs (each merge's result
// is a token), a user-defined "<sep>" and a control "<|endoftext|>".
GgufHeader bpe_vocab(const char* pre) {
    std::vector<std::string> tokens, merges;
    std::vector<int32_t> types;
    for (int b = 0; b < 256; ++b) {
        tokens.push_back(test::gpt2_byte_char(b));
        types.push_back(1);
    }
    const std::string G = "\xC4\xA0";  // "Ġ": the space byte
    const std::vector<std::pair<std::string, std::string>> pairs = {
        {G, "t"}, {"h", "e"}, {G + "t", "he"}, {"i", "n"}, {G, "a"}, {"e", "r"}, {"o", "n"}, {"r", "e"},
        {G, "s"}, {"a", "n"}, {"in", "g"}, {G, "w"}, {"o", "u"}, {"e", "d"}, {G + "a", "nd"}, {"n", "d"},
        {G, "o"}, {"i", "s"}, {G, "b"}, {"e", "n"}, {G + "th", "e"}, {G, "th"}, {"a", "t"}, {"o", "r"},
        {"1", "2"}, {"12", "3"}, {"\xC3\xA9", "t"}, {"\xC3", "\xA9"}, {G, G}, {"Ċ", "Ċ"}, {"'", "s"},
    };
    for (const auto& [l, r] : pairs) {
        merges.push_back(l + " " + r);
        tokens.push_back(l + r);
        types.push_back(1);
    }
    tokens.push_back("<sep>");
    types.push_back(4);  // user-defined: matched whole in raw text
    tokens.push_back("<|endoftext|>");
    types.push_back(3);  // control
    // Later duplicates (e.g. "Ġth" from two merges) would be rejected: keep the first.
    std::vector<std::string> uniq_tokens;
    std::vector<int32_t> uniq_types;
    for (size_t i = 0; i < tokens.size(); ++i) {
        bool seen = false;
        for (const auto& u : uniq_tokens) seen = seen || u == tokens[i];
        if (!seen) {
            uniq_tokens.push_back(tokens[i]);
            uniq_types.push_back(types[i]);
        }
    }
    GgufWriter w;
    w.set("tokenizer.ggml.model", GgufValue::string("gpt2"));
    w.set("tokenizer.ggml.pre", GgufValue::string(pre));
    w.set("tokenizer.ggml.tokens", GgufValue::string_array(uniq_tokens));
    w.set("tokenizer.ggml.token_type", GgufValue::i32_array(uniq_types));
    w.set("tokenizer.ggml.merges", GgufValue::string_array(merges));
    const auto bytes = w.header_bytes();
    return parse_gguf_header(bytes.data(), bytes.size(), bytes.size()).header;
}

struct Vocabs {
    Tokenizer spm, bpe_gpt2, bpe_default;
};

const Vocabs& vocabs() {
    static const Vocabs v = [] {
        const GgufHeader h = read_gguf_header_from_file(QUANTLAB_SOURCE_DIR "/models/quantlab-stories-4M.gguf");
        Vocabs r{Tokenizer::from_gguf(h), Tokenizer::from_gguf(bpe_vocab("gpt2")),
                 Tokenizer::from_gguf(bpe_vocab("default"))};
        // The SPM round-trip promise needs every byte token and the space piece.
        for (int b = 0; b < 256; ++b) {
            static const char kHex[] = "0123456789ABCDEF";
            const std::string name = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
            if (r.spm.find_token(name) < 0) std::abort();
        }
        if (r.spm.find_token("\xE2\x96\x81") < 0) std::abort();
        return r;
    }();
    return v;
}

// Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        const uint8_t b = uint8_t(s[i]);
        size_t len;
        uint32_t cp, min;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2, cp = b & 0x1F, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3, cp = b & 0x0F, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k) {
            const uint8_t c = uint8_t(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = cp << 6 | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

void check_ids(const Tokenizer& tok, const std::vector<int32_t>& ids) {
    for (const int32_t id : ids) FUZZ_CHECK(id >= 0 && size_t(id) < tok.vocab_size());
}

// As llama.cpp, a leading BOS counts as the first token, whose space the
// detokenizer drops: the round trip is of the ids after it.
void spm_round_trip(const Tokenizer& tok, const std::string& text) {
    for (const bool bos : {false, true}) {
        auto ids = tok.tokenize(text, bos);
        check_ids(tok, ids);
        (void)tok.detokenize(ids);
        if (bos) {
            FUZZ_CHECK(!ids.empty() && ids[0] == tok.bos());
            ids.erase(ids.begin());
        }
        const std::string back = tok.detokenize(ids);
        if (valid_utf8(text) && text.find("\xE2\x96\x81") == std::string::npos) FUZZ_CHECK(back == text);
    }
}

void bpe_round_trip(const Tokenizer& tok, const std::string& text) {
    const auto ids = tok.tokenize(text, true);
    check_ids(tok, ids);
    (void)tok.detokenize(ids);
    std::string words;
    for (const auto& w : bpe_pre_tokenize(text, tok.pre_tokenizer())) words += w;
    if (words != text) return;  // invalid UTF-8 was replaced: nothing to round-trip
    std::string pieces;
    for (const int32_t id : ids) pieces += tok.token_to_piece(id);
    FUZZ_CHECK(pieces == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const Vocabs& v = vocabs();
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] & 3) {
        case 0: spm_round_trip(v.spm, text); break;
        case 1: bpe_round_trip(v.bpe_gpt2, text); break;
        case 2: bpe_round_trip(v.bpe_default, text); break;
        default: {
            const size_t split = text.find("\n\n");
            const std::string head = text.substr(0, split);
            const std::string rest = split == std::string::npos ? std::string() : text.substr(split + 2);
            try {
                const auto r = parse_gguf_header(reinterpret_cast<const uint8_t*>(head.data()), head.size(), head.size());
                if (!r.complete) return 0;
                const Tokenizer tok = Tokenizer::from_gguf(r.header);
                const auto ids = tok.tokenize(rest, true);
                check_ids(tok, ids);
                (void)tok.detokenize(ids);
                for (const int32_t id : ids) (void)tok.token_to_piece(id);
                (void)tok.is_eog(ids.empty() ? 0 : ids[0]);
            } catch (const Error&) {
            }
            break;
        }
    }
    return 0;
}
