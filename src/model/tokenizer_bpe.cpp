// Byte-level GPT-2 BPE, as llama.cpp's llm_tokenizer_bpe_session
// (src/llama-vocab.cpp) with the pre-tokenizers of src/unicode.cpp
// (unicode_regex_split, unicode_regex_split_custom_gpt2). No std::regex: it is
// slow and has no \p{L}; the regexes are hand-written scanners over code points
// classified by the table at the end of this file.
#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "model/tokenizer.h"

namespace quantlab {

namespace {

// Unicode general category, reduced to what the pre-tokenizers ask about.
enum CharCategory : uint8_t { O, L, N, P };  // other, letter (L*), number (N*), punctuation (P*)

struct CategoryRange {
    uint32_t start;  // first code point; the range ends where the next one starts
    uint8_t category;
};

extern const CategoryRange kCategoryRanges[];
extern const size_t kCategoryRangeCount;

uint8_t category_of(uint32_t cp) {
    if (cp >= 0x110000) return O;
    const CategoryRange* end = kCategoryRanges + kCategoryRangeCount;
    const CategoryRange* it =
        std::upper_bound(kCategoryRanges, end, cp, [](uint32_t v, const CategoryRange& r) { return v < r.start; });
    return (it - 1)->category;
}

// Unicode's White_Space property, which is the set llama.cpp's \s uses
// (unicode_set_whitespace); U+001C..U+001F are not in it, unlike Python's isspace.
bool is_whitespace(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

// What the regexes see of one code point. kEnd stands for "outside the current
// segment", which matters to \s+(?!\S) at the end of a segment.
enum Kind : uint8_t { kEnd, kSpace, kLetter, kNumber, kPunct, kOther };

Kind kind_of(uint32_t cp) {
    if (is_whitespace(cp)) return kSpace;
    switch (category_of(cp)) {
        case L: return kLetter;
        case N: return kNumber;
        case P: return kPunct;
        default: return kOther;
    }
}

// llama.cpp's decoder (unicode_cpts_from_utf8): overlong forms are accepted,
// an invalid byte becomes U+FFFD and decoding resumes at the next byte.
// Sequences above U+10FFFF make llama.cpp throw later; here they are invalid
// bytes too.
std::vector<uint32_t> decode_utf8(const std::string& s) {
    std::vector<uint32_t> cps;
    cps.reserve(s.size());
    const size_t n = s.size();
    auto cont = [&](size_t i) { return i < n && (uint8_t(s[i]) & 0xC0) == 0x80; };
    for (size_t i = 0; i < n;) {
        const uint8_t b = uint8_t(s[i]);
        uint32_t cp = 0xFFFD;
        size_t len = 1;
        if (b < 0x80) {
            cp = b;
        } else if ((b & 0xE0) == 0xC0 && cont(i + 1)) {
            cp = uint32_t(b & 0x1F) << 6 | (uint8_t(s[i + 1]) & 0x3F);
            len = 2;
        } else if ((b & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
            cp = uint32_t(b & 0x0F) << 12 | uint32_t(uint8_t(s[i + 1]) & 0x3F) << 6 | (uint8_t(s[i + 2]) & 0x3F);
            len = 3;
        } else if ((b & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
            cp = uint32_t(b & 0x07) << 18 | uint32_t(uint8_t(s[i + 1]) & 0x3F) << 12 |
                 uint32_t(uint8_t(s[i + 2]) & 0x3F) << 6 | (uint8_t(s[i + 3]) & 0x3F);
            len = 4;
            if (cp > 0x10FFFF) {
                cp = 0xFFFD;
                len = 1;
            }
        }
        cps.push_back(cp);
        i += len;
    }
    return cps;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

using Span = std::pair<size_t, size_t>;  // [first, second) in code points

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// over one segment; the contractions are case-sensitive, as in GPT-2.
void split_gpt2(const std::vector<uint32_t>& cps, const std::vector<uint8_t>& kinds, Span seg,
                std::vector<Span>& out) {
    const size_t end = seg.second;
    auto kind = [&](size_t i) -> uint8_t { return i < end ? kinds[i] : uint8_t(kEnd); };
    auto is_other = [](uint8_t k) { return k == kPunct || k == kOther; };
    size_t pos = seg.first;
    auto emit = [&](size_t to) {
        if (to > pos) out.push_back({pos, to});
        pos = to;
    };
    while (pos < end) {
        const uint32_t c = cps[pos];
        if (c == '\'' && pos + 1 < end) {
            const uint32_t c1 = cps[pos + 1];
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                emit(pos + 2);
                continue;
            }
            if (pos + 2 < end) {
                const uint32_t c2 = cps[pos + 2];
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                    emit(pos + 3);
                    continue;
                }
            }
        }
        // An optional single space joins the run of letters, digits or other symbols after it.
        const size_t first = c == ' ' ? pos + 1 : pos;
        const uint8_t k = kind(first);
        if (k == kLetter || k == kNumber || is_other(k)) {
            size_t i = first;
            if (k == kLetter || k == kNumber) {
                while (kind(i) == k) ++i;
            } else {
                while (is_other(kind(i))) ++i;
            }
            emit(i);
            continue;
        }
        size_t spaces = 0;
        while (kind(pos + spaces) == kSpace) ++spaces;
        if (spaces > 1 && pos + spaces < end) {
            emit(pos + spaces - 1);  // \s+(?!\S): leave the last space to the word after it
        } else if (spaces > 0) {
            emit(pos + spaces);
        } else {
            emit(pos + 1);
        }
    }
}

// A regex of the form X+ as unicode_regex_split_stl applies it: every maximal
// run of X becomes a piece, and so does every gap between runs.
template <class Pred>
void split_runs(Span seg, Pred member, std::vector<Span>& out) {
    size_t gap = seg.first;
    for (size_t i = seg.first; i < seg.second;) {
        if (!member(i)) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < seg.second && member(j)) ++j;
        if (i > gap) out.push_back({gap, i});
        out.push_back({i, j});
        gap = i = j;
    }
    if (gap < seg.second) out.push_back({gap, seg.second});
}

// [0-9][0-9][0-9], matched left to right without overlap.
void split_digit_triples(const std::vector<uint32_t>& cps, Span seg, std::vector<Span>& out) {
    auto digit = [&](size_t i) { return cps[i] >= '0' && cps[i] <= '9'; };
    size_t gap = seg.first;
    for (size_t i = seg.first; i + 3 <= seg.second;) {
        if (digit(i) && digit(i + 1) && digit(i + 2)) {
            if (i > gap) out.push_back({gap, i});
            out.push_back({i, i + 3});
            gap = i += 3;
        } else {
            ++i;
        }
    }
    if (gap < seg.second) out.push_back({gap, seg.second});
}

std::vector<Span> pre_split(const std::vector<uint32_t>& cps, BpePreTokenizer pre) {
    std::vector<uint8_t> kinds(cps.size());
    for (size_t i = 0; i < cps.size(); ++i) kinds[i] = kind_of(cps[i]);
    std::vector<Span> segs;
    if (cps.empty()) return segs;
    segs.push_back({0, cps.size()});
    std::vector<Span> next;
    auto stage = [&](auto&& split_one) {
        next.clear();
        for (const Span& s : segs) split_one(s);
        segs.swap(next);
    };
    if (pre == BpePreTokenizer::Default) {
        // llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEFAULT chain: [\p{P}\$\+<=>\^~\|]+ first
        // (the backtick is the one ASCII symbol it leaves out), then the GPT-2
        // regex, then \p{N}+, then [0-9][0-9][0-9].
        auto punct = [&](size_t i) {
            const uint32_t c = cps[i];
            return kinds[i] == kPunct || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
                   c == '~' || c == '|';
        };
        stage([&](Span s) { split_runs(s, punct, next); });
        stage([&](Span s) { split_gpt2(cps, kinds, s, next); });
        stage([&](Span s) { split_runs(s, [&](size_t i) { return kinds[i] == kNumber; }, next); });
        stage([&](Span s) { split_digit_triples(cps, s, next); });
    } else {
        stage([&](Span s) { split_gpt2(cps, kinds, s, next); });
    }
    return segs;
}

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the
// other 68 bytes take code points 256.. in byte order.
bool byte_is_printable(int b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

const std::array<std::string, 256>& byte_to_unicode() {
    static const std::array<std::string, 256> table = [] {
        std::array<std::string, 256> t;
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) append_utf8(t[size_t(b)], byte_is_printable(b) ? uint32_t(b) : next++);
        return t;
    }();
    return table;
}

// Inverse of byte_to_unicode for code points below 256 + 68; -1 elsewhere.
int unicode_to_byte(uint32_t cp) {
    static const std::array<int16_t, 324> table = [] {
        std::array<int16_t, 324> t;
        t.fill(-1);
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) t[byte_is_printable(b) ? size_t(b) : size_t(next++)] = int16_t(b);
        return t;
    }();
    return cp < table.size() ? table[cp] : -1;
}

struct Symbol {
    int prev, next;
    size_t offset, n;
};

struct Bigram {
    int left, right;
    int32_t rank;
    std::string text;  // the pair's text when queued; a mismatch later means it is stale
};

// Lowest rank first; among equal ranks the leftmost pair.
struct BigramOrder {
    bool operator()(const Bigram& l, const Bigram& r) const {
        return l.rank > r.rank || (l.rank == r.rank && l.left > r.left);
    }
};

}  // namespace

std::vector<std::string> bpe_pre_tokenize(const std::string& text, BpePreTokenizer pre) {
    const auto cps = decode_utf8(text);
    std::vector<std::string> words;
    for (const Span& s : pre_split(cps, pre)) {
        words.emplace_back();
        for (size_t i = s.first; i < s.second; ++i) append_utf8(words.back(), cps[i]);
    }
    return words;
}

void Tokenizer::load_bpe_merges(const GgufHeader& h) {
    const std::string key = "tokenizer.ggml.merges";
    const GgufValue* v = h.find(key);
    if (!v) throw Error(ErrorCode::Format, "tokenizer metadata '" + key + "' is missing (gpt2 tokenizers need it)");
    if (!v->is_array() || v->array_type() != GgufType::STRING) {
        throw Error(ErrorCode::Format, "tokenizer metadata '" + key + "' is not an array of strings");
    }
    const auto& merges = v->strings();
    bpe_ranks_.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
        // llama.cpp splits "left right" at the first space after the first
        // character and keeps the first rank of a repeated pair. A merge without
        // such a space can never match, so it is skipped.
        if (merges[i].find(' ', 1) == std::string::npos) continue;
        bpe_ranks_.emplace(merges[i], int32_t(i));
    }
}

int32_t Tokenizer::bpe_rank(const std::string& left, const std::string& right) const {
    std::string key;
    key.reserve(left.size() + 1 + right.size());
    key += left;
    key += ' ';
    key += right;
    const auto it = bpe_ranks_.find(key);
    return it == bpe_ranks_.end() ? -1 : it->second;
}

void Tokenizer::tokenize_bpe(const std::string& text, std::vector<int32_t>& out) const {
    const auto cps = decode_utf8(text);
    const auto& b2u = byte_to_unicode();
    std::string utf8, word;
    std::vector<Symbol> symbols;
    for (const Span& s : pre_split(cps, pre_)) {
        utf8.clear();
        for (size_t i = s.first; i < s.second; ++i) append_utf8(utf8, cps[i]);
        word.clear();
        for (const char c : utf8) word += b2u[uint8_t(c)];

        symbols.clear();
        for (size_t offset = 0; offset < word.size();) {
            const size_t n = std::min(utf8_sequence_length(word[offset]), word.size() - offset);
            const int index = int(symbols.size());
            symbols.push_back({index - 1, offset + n == word.size() ? -1 : index + 1, offset, n});
            offset += n;
        }

        std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
        auto add_bigram = [&](int left, int right) {
            if (left < 0 || right < 0) return;
            const Symbol& l = symbols[size_t(left)];
            const Symbol& r = symbols[size_t(right)];
            const std::string lt = word.substr(l.offset, l.n);
            const std::string rt = word.substr(r.offset, r.n);
            const int32_t rank = bpe_rank(lt, rt);
            if (rank < 0) return;
            queue.push({left, right, rank, lt + rt});
        };
        for (int i = 1; i < int(symbols.size()); ++i) add_bigram(i - 1, i);

        while (!queue.empty()) {
            const Bigram b = queue.top();
            queue.pop();
            Symbol& left = symbols[size_t(b.left)];
            Symbol& right = symbols[size_t(b.right)];
            if (left.n == 0 || right.n == 0) continue;
            if (word.compare(left.offset, left.n + right.n, b.text) != 0) continue;
            left.n += right.n;
            right.n = 0;
            left.next = right.next;
            if (right.next >= 0) symbols[size_t(right.next)].prev = b.left;
            add_bigram(left.prev, b.left);
            add_bigram(b.left, left.next);
        }

        for (const Symbol& sym : symbols) {
            if (sym.n == 0) continue;
            const std::string piece = word.substr(sym.offset, sym.n);
            const int32_t id = lookup(piece);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
            // llama.cpp falls back to single-byte tokens of the mapped text and
            // silently drops bytes the vocabulary lacks.
            for (const char c : piece) {
                const int32_t byte_id = lookup(std::string(1, c));
                if (byte_id >= 0) out.push_back(byte_id);
            }
        }
    }
}

std::string Tokenizer::bpe_decode_text(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const uint32_t cp : decode_utf8(text)) {
        const int b = unicode_to_byte(cp);
        if (b >= 0) {
            out += char(b);
            continue;
        }
        // Not a GPT-2 byte character: llama.cpp's llama_decode_text marks it like this.
        std::string utf8;
        append_utf8(utf8, cp);
        out += "[UNK_BYTE_0x";
        for (const char c : utf8) {
            char hex[3];
            std::snprintf(hex, sizeof hex, "%02x", unsigned(uint8_t(c)));
            out += hex;
        }
        out += text + "]";
    }
    return out;
}

namespace {

// General categories of all of Unicode 14.0 (Python 3.11's unicodedata),
// reduced to L* -> L, N* -> N, P* -> P and everything else (symbols, marks,
// separators, controls, unassigned) -> O. Code points assigned after 14.0 read
// as O here; llama.cpp's own table may be newer. Generated with:
//   prev = None
//   for c in range(0x110000):
//       k = {'L': 'L', 'N': 'N', 'P': 'P'}.get(unicodedata.category(chr(c))[0], 'O')
//       if k != prev: print('{0x%05X, %s},' % (c, k)); prev = k
const CategoryRange kCategoryRanges[] = {
    {0x00000, O}, {0x00021, P}, {0x00024, O}, {0x00025, P}, {0x0002B, O}, {0x0002C, P}, {0x00030, N},
    {0x0003A, P}, {0x0003C, O}, {0x0003F, P}, {0x00041, L}, {0x0005B, P}, {0x0005E, O}, {0x0005F, P},
    {0x00060, O}, {0x00061, L}, {0x0007B, P}, {0x0007C, O}, {0x0007D, P}, {0x0007E, O}, {0x000A1, P},
    {0x000A2, O}, {0x000A7, P}, {0x000A8, O}, {0x000AA, L}, {0x000AB, P}, {0x000AC, O}, {0x000B2, N},
    {0x000B4, O}, {0x000B5, L}, {0x000B6, P}, {0x000B8, O}, {0x000B9, N}, {0x000BA, L}, {0x000BB, P},
    {0x000BC, N}, {0x000BF, P}, {0x000C0, L}, {0x000D7, O}, {0x000D8, L}, {0x000F7, O}, {0x000F8, L},
    {0x002C2, O}, {0x002C6, L}, {0x002D2, O}, {0x002E0, L}, {0x002E5, O}, {0x002EC, L}, {0x002ED, O},
    {0x002EE, L}, {0x002EF, O}, {0x00370, L}, {0x00375, O}, {0x00376, L}, {0x00378, O}, {0x0037A, L},
    {0x0037E, P}, {0x0037F, L}, {0x00380, O}, {0x00386, L}, {0x00387, P}, {0x00388, L}, {0x0038B, O},
    {0x0038C, L}, {0x0038D, O}, {0x0038E, L}, {0x003A2, O}, {0x003A3, L}, {0x003F6, O}, {0x003F7, L},
    {0x00482, O}, {0x0048A, L}, {0x00530, O}, {0x00531, L}, {0x00557, O}, {0x00559, L}, {0x0055A, P},
    {0x00560, L}, {0x00589, P}, {0x0058B, O}, {0x005BE, P}, {0x005BF, O}, {0x005C0, P}, {0x005C1, O},
    {0x005C3, P}, {0x005C4, O}, {0x005C6, P}, {0x005C7, O}, {0x005D0, L}, {0x005EB, O}, {0x005EF, L},
    {0x005F3, P}, {0x005F5, O}, {0x00609, P}, {0x0060B, O}, {0x0060C, P}, {0x0060E, O}, {0x0061B, P},
    {0x0061C, O}, {0x0061D, P}, {0x00620, L}, {0x0064B, O}, {0x00660, N}, {0x0066A, P}, {0x0066E, L},
    {0x00670, O}, {0x00671, L}, {0x006D4, P}, {0x006D5, L}, {0x006D6, O}, {0x006E5, L}, {0x006E7, O},
    {0x006EE, L}, {0x006F0, N}, {0x006FA, L}, {0x006FD, O}, {0x006FF, L}, {0x00700, P}, {0x0070E, O},
    {0x00710, L}, {0x00711, O}, {0x00712, L}, {0x00730, O}, {0x0074D, L}, {0x007A6, O}, {0x007B1, L},
    {0x007B2, O}, {0x007C0, N}, {0x007CA, L}, {0x007EB, O}, {0x007F4, L}, {0x007F6, O}, {0x007F7, P},
    {0x007FA, L}, {0x007FB, O}, {0x00800, L}, {0x00816, O}, {0x0081A, L}, {0x0081B, O}, {0x00824, L},
    {0x00825, O}, {0x00828, L}, {0x00829, O}, {0x00830, P}, {0x0083F, O}, {0x00840, L}, {0x00859, O},
    {0x0085E, P}, {0x0085F, O}, {0x00860, L}, {0x0086B, O}, {0x00870, L}, {0x00888, O}, {0x00889, L},
    {0x0088F, O}, {0x008A0, L}, {0x008CA, O}, {0x00904, L}, {0x0093A, O}, {0x0093D, L}, {0x0093E, O},
    {0x00950, L}, {0x00951, O}, {0x00958, L}, {0x00962, O}, {0x00964, P}, {0x00966, N}, {0x00970, P},
    {0x00971, L}, {0x00981, O}, {0x00985, L}, {0x0098D, O}, {0x0098F, L}, {0x00991, O}, {0x00993, L},
    {0x009A9, O}, {0x009AA, L}, {0x009B1, O}, {0x009B2, L}, {0x009B3, O}, {0x009B6, L}, {0x009BA, O},
    {0x009BD, L}, {0x009BE, O}, {0x009CE, L}, {0x009CF, O}, {0x009DC, L}, {0x009DE, O}, {0x009DF, L},
    {0x009E2, O}, {0x009E6, N}, {0x009F0, L}, {0x009F2, O}, {0x009F4, N}, {0x009FA, O}, {0x009FC, L},
    {0x009FD, P}, {0x009FE, O}, {0x00A05, L}, {0x00A0B, O}, {0x00A0F, L}, {0x00A11, O}, {0x00A13, L},
    {0x00A29, O}, {0x00A2A, L}, {0x00A31, O}, {0x00A32, L}, {0x00A34, O}, {0x00A35, L}, {0x00A37, O},
    {0x00A38, L}, {0x00A3A, O}, {0x00A59, L}, {0x00A5D, O}, {0x00A5E, L}, {0x00A5F, O}, {0x00A66, N},
    {0x00A70, O}, {0x00A72, L}, {0x00A75, O}, {0x00A76, P}, {0x00A77, O}, {0x00A85, L}, {0x00A8E, O},
    {0x00A8F, L}, {0x00A92, O}, {0x00A93, L}, {0x00AA9, O}, {0x00AAA, L}, {0x00AB1, O}, {0x00AB2, L},
    {0x00AB4, O}, {0x00AB5, L}, {0x00ABA, O}, {0x00ABD, L}, {0x00ABE, O}, {0x00AD0, L}, {0x00AD1, O},
    {0x00AE0, L}, {0x00AE2, O}, {0x00AE6, N}, {0x00AF0, P}, {0x00AF1, O}, {0x00AF9, L}, {0x00AFA, O},
    {0x00B05, L}, {0x00B0D, O}, {0x00B0F, L}, {0x00B11, O}, {0x00B13, L}, {0x00B29, O}, {0x00B2A, L},
    {0x00B31, O}, {0x00B32, L}, {0x00B34, O}, {0x00B35, L}, {0x00B3A, O}, {0x00B3D, L}, {0x00B3E, O},
    {0x00B5C, L}, {0x00B5E, O}, {0x00B5F, L}, {0x00B62, O}, {0x00B66, N}, {0x00B70, O}, {0x00B71, L},
    {0x00B72, N}, {0x00B78, O}, {0x00B83, L}, {0x00B84, O}, {0x00B85, L}, {0x00B8B, O}, {0x00B8E, L},
    {0x00B91, O}, {0x00B92, L}, {0x00B96, O}, {0x00B99, L}, {0x00B9B, O}, {0x00B9C, L}, {0x00B9D, O},
    {0x00B9E, L}, {0x00BA0, O}, {0x00BA3, L}, {0x00BA5, O}, {0x00BA8, L}, {0x00BAB, O}, {0x00BAE, L},
    {0x00BBA, O}, {0x00BD0, L}, {0x00BD1, O}, {0x00BE6, N}, {0x00BF3, O}, {0x00C05, L}, {0x00C0D, O},
    {0x00C0E, L}, {0x00C11, O}, {0x00C12, L}, {0x00C29, O}, {0x00C2A, L}, {0x00C3A, O}, {0x00C3D, L},
    {0x00C3E, O}, {0x00C58, L}, {0x00C5B, O}, {0x00C5D, L}, {0x00C5E, O}, {0x00C60, L}, {0x00C62, O},
    {0x00C66, N}, {0x00C70, O}, {0x00C77, P}, {0x00C78, N}, {0x00C7F, O}, {0x00C80, L}, {0x00C81, O},
    {0x00C84, P}, {0x00C85, L}, {0x00C8D, O}, {0x00C8E, L}, {0x00C91, O}, {0x00C92, L}, {0x00CA9, O},
    {0x00CAA, L}, {0x00CB4, O}, {0x00CB5, L}, {0x00CBA, O}, {0x00CBD, L}, {0x00CBE, O}, {0x00CDD, L},
    {0x00CDF, O}, {0x00CE0, L}, {0x00CE2, O}, {0x00CE6, N}, {0x00CF0, O}, {0x00CF1, L}, {0x00CF3, O},
    {0x00D04, L}, {0x00D0D, O}, {0x00D0E, L}, {0x00D11, O}, {0x00D12, L}, {0x00D3B, O}, {0x00D3D, L},
    {0x00D3E, O}, {0x00D4E, L}, {0x00D4F, O}, {0x00D54, L}, {0x00D57, O}, {0x00D58, N}, {0x00D5F, L},
    {0x00D62, O}, {0x00D66, N}, {0x00D79, O}, {0x00D7A, L}, {0x00D80, O}, {0x00D85, L}, {0x00D97, O},
    {0x00D9A, L}, {0x00DB2, O}, {0x00DB3, L}, {0x00DBC, O}, {0x00DBD, L}, {0x00DBE, O}, {0x00DC0, L},
    {0x00DC7, O}, {0x00DE6, N}, {0x00DF0, O}, {0x00DF4, P}, {0x00DF5, O}, {0x00E01, L}, {0x00E31, O},
    {0x00E32, L}, {0x00E34, O}, {0x00E40, L}, {0x00E47, O}, {0x00E4F, P}, {0x00E50, N}, {0x00E5A, P},
    {0x00E5C, O}, {0x00E81, L}, {0x00E83, O}, {0x00E84, L}, {0x00E85, O}, {0x00E86, L}, {0x00E8B, O},
    {0x00E8C, L}, {0x00EA4, O}, {0x00EA5, L}, {0x00EA6, O}, {0x00EA7, L}, {0x00EB1, O}, {0x00EB2, L},
    {0x00EB4, O}, {0x00EBD, L}, {0x00EBE, O}, {0x00EC0, L}, {0x00EC5, O}, {0x00EC6, L}, {0x00EC7, O},
    {0x00ED0, N}, {0x00EDA, O}, {0x00EDC, L}, {0x00EE0, O}, {0x00F00, L}, {0x00F01, O}, {0x00F04, P},
    {0x00F13, O}, {0x00F14, P}, {0x00F15, O}, {0x00F20, N}, {0x00F34, O}, {0x00F3A, P}, {0x00F3E, O},
    {0x00F40, L}, {0x00F48, O}, {0x00F49, L}, {0x00F6D, O}, {0x00F85, P}, {0x00F86, O}, {0x00F88, L},
    {0x00F8D, O}, {0x00FD0, P}, {0x00FD5, O}, {0x00FD9, P}, {0x00FDB, O}, {0x01000, L}, {0x0102B, O},
    {0x0103F, L}, {0x01040, N}, {0x0104A, P}, {0x01050, L}, {0x01056, O}, {0x0105A, L}, {0x0105E, O},
    {0x01061, L}, {0x01062, O}, {0x01065, L}, {0x01067, O}, {0x0106E, L}, {0x01071, O}, {0x01075, L},
    {0x01082, O}, {0x0108E, L}, {0x0108F, O}, {0x01090, N}, {0x0109A, O}, {0x010A0, L}, {0x010C6, O},
    {0x010C7, L}, {0x010C8, O}, {0x010CD, L}, {0x010CE, O}, {0x010D0, L}, {0x010FB, P}, {0x010FC, L},
    {0x01249, O}, {0x0124A, L}, {0x0124E, O}, {0x01250, L}, {0x01257, O}, {0x01258, L}, {0x01259, O},
    {0x0125A, L}, {0x0125E, O}, {0x01260, L}, {0x01289, O}, {0x0128A, L}, {0x0128E, O}, {0x01290, L},
    {0x012B1, O}, {0x012B2, L}, {0x012B6, O}, {0x012B8, L}, {0x012BF, O}, {0x012C0, L}, {0x012C1, O},
    {0x012C2, L}, {0x012C6, O}, {0x012C8, L}, {0x012D7, O}, {0x012D8, L}, {0x01311, O}, {0x01312, L},
    {0x01316, O}, {0x01318, L}, {0x0135B, O}, {0x01360, P}, {0x01369, N}, {0x0137D, O}, {0x01380, L},
    {0x01390, O}, {0x013A0, L}, {0x013F6, O}, {0x013F8, L}, {0x013FE, O}, {0x01400, P}, {0x01401, L},
    {0x0166D, O}, {0x0166E, P}, {0x0166F, L}, {0x01680, O}, {0x01681, L}, {0x0169B, P}, {0x0169D, O},
    {0x016A0, L}, {0x016EB, P}, {0x016EE, N}, {0x016F1, L}, {0x016F9, O}, {0x01700, L}, {0x01712, O},
    {0x0171F, L}, {0x01732, O}, {0x01735, P}, {0x01737, O}, {0x01740, L}, {0x01752, O}, {0x01760, L},
    {0x0176D, O}, {0x0176E, L}, {0x01771, O}, {0x01780, L}, {0x017B4, O}, {0x017D4, P}, {0x017D7, L},
    {0x017D8, P}, {0x017DB, O}, {0x017DC, L}, {0x017DD, O}, {0x017E0, N}, {0x017EA, O}, {0x017F0, N},
    {0x017FA, O}, {0x01800, P}, {0x0180B, O}, {0x01810, N}, {0x0181A, O}, {0x01820, L}, {0x01879, O},
    {0x01880, L}, {0x01885, O}, {0x01887, L}, {0x018A9, O}, {0x018AA, L}, {0x018AB, O}, {0x018B0, L},
    {0x018F6, O}, {0x01900, L}, {0x0191F, O}, {0x01944, P}, {0x01946, N}, {0x01950, L}, {0x0196E, O},
    {0x01970, L}, {0x01975, O}, {0x01980, L}, {0x019AC, O}, {0x019B0, L}, {0x019CA, O}, {0x019D0, N},
    {0x019DB, O}, {0x01A00, L}, {0x01A17, O}, {0x01A1E, P}, {0x01A20, L}, {0x01A55, O}, {0x01A80, N},
    {0x01A8A, O}, {0x01A90, N}, {0x01A9A, O}, {0x01AA0, P}, {0x01AA7, L}, {0x01AA8, P}, {0x01AAE, O},
    {0x01B05, L}, {0x01B34, O}, {0x01B45, L}, {0x01B4D, O}, {0x01B50, N}, {0x01B5A, P}, {0x01B61, O},
    {0x01B7D, P}, {0x01B7F, O}, {0x01B83, L}, {0x01BA1, O}, {0x01BAE, L}, {0x01BB0, N}, {0x01BBA, L},
    {0x01BE6, O}, {0x01BFC, P}, {0x01C00, L}, {0x01C24, O}, {0x01C3B, P}, {0x01C40, N}, {0x01C4A, O},
    {0x01C4D, L}, {0x01C50, N}, {0x01C5A, L}, {0x01C7E, P}, {0x01C80, L}, {0x01C89, O}, {0x01C90, L},
    {0x01CBB, O}, {0x01CBD, L}, {0x01CC0, P}, {0x01CC8, O}, {0x01CD3, P}, {0x01CD4, O}, {0x01CE9, L},
    {0x01CED, O}, {0x01CEE, L}, {0x01CF4, O}, {0x01CF5, L}, {0x01CF7, O}, {0x01CFA, L}, {0x01CFB, O},
    {0x01D00, L}, {0x01DC0, O}, {0x01E00, L}, {0x01F16, O}, {0x01F18, L}, {0x01F1E, O}, {0x01F20, L},
    {0x01F46, O}, {0x01F48, L}, {0x01F4E, O}, {0x01F50, L}, {0x01F58, O}, {0x01F59, L}, {0x01F5A, O},
    {0x01F5B, L}, {0x01F5C, O}, {0x01F5D, L}, {0x01F5E, O}, {0x01F5F, L}, {0x01F7E, O}, {0x01F80, L},
    {0x01FB5, O}, {0x01FB6, L}, {0x01FBD, O}, {0x01FBE, L}, {0x01FBF, O}, {0x01FC2, L}, {0x01FC5, O},
    {0x01FC6, L}, {0x01FCD, O}, {0x01FD0, L}, {0x01FD4, O}, {0x01FD6, L}, {0x01FDC, O}, {0x01FE0, L},
    {0x01FED, O}, {0x01FF2, L}, {0x01FF5, O}, {0x01FF6, L}, {0x01FFD, O}, {0x02010, P}, {0x02028, O},
    {0x02030, P}, {0x02044, O}, {0x02045, P}, {0x02052, O}, {0x02053, P}, {0x0205F, O}, {0x02070, N},
    {0x02071, L}, {0x02072, O}, {0x02074, N}, {0x0207A, O}, {0x0207D, P}, {0x0207F, L}, {0x02080, N},
    {0x0208A, O}, {0x0208D, P}, {0x0208F, O}, {0x02090, L}, {0x0209D, O}, {0x02102, L}, {0x02103, O},
    {0x02107, L}, {0x02108, O}, {0x0210A, L}, {0x02114, O}, {0x02115, L}, {0x02116, O}, {0x02119, L},
    {0x0211E, O}, {0x02124, L}, {0x02125, O}, {0x02126, L}, {0x02127, O}, {0x02128, L}, {0x02129, O},
    {0x0212A, L}, {0x0212E, O}, {0x0212F, L}, {0x0213A, O}, {0x0213C, L}, {0x02140, O}, {0x02145, L},
    {0x0214A, O}, {0x0214E, L}, {0x0214F, O}, {0x02150, N}, {0x02183, L}, {0x02185, N}, {0x0218A, O},
    {0x02308, P}, {0x0230C, O}, {0x02329, P}, {0x0232B, O}, {0x02460, N}, {0x0249C, O}, {0x024EA, N},
    {0x02500, O}, {0x02768, P}, {0x02776, N}, {0x02794, O}, {0x027C5, P}, {0x027C7, O}, {0x027E6, P},
    {0x027F0, O}, {0x02983, P}, {0x02999, O}, {0x029D8, P}, {0x029DC, O}, {0x029FC, P}, {0x029FE, O},
    {0x02C00, L}, {0x02CE5, O}, {0x02CEB, L}, {0x02CEF, O}, {0x02CF2, L}, {0x02CF4, O}, {0x02CF9, P},
    {0x02CFD, N}, {0x02CFE, P}, {0x02D00, L}, {0x02D26, O}, {0x02D27, L}, {0x02D28, O}, {0x02D2D, L},
    {0x02D2E, O}, {0x02D30, L}, {0x02D68, O}, {0x02D6F, L}, {0x02D70, P}, {0x02D71, O}, {0x02D80, L},
    {0x02D97, O}, {0x02DA0, L}, {0x02DA7, O}, {0x02DA8, L}, {0x02DAF, O}, {0x02DB0, L}, {0x02DB7, O},
    {0x02DB8, L}, {0x02DBF, O}, {0x02DC0, L}, {0x02DC7, O}, {0x02DC8, L}, {0x02DCF, O}, {0x02DD0, L},
    {0x02DD7, O}, {0x02DD8, L}, {0x02DDF, O}, {0x02E00, P}, {0x02E2F, L}, {0x02E30, P}, {0x02E50, O},
    {0x02E52, P}, {0x02E5E, O}, {0x03001, P}, {0x03004, O}, {0x03005, L}, {0x03007, N}, {0x03008, P},
    {0x03012, O}, {0x03014, P}, {0x03020, O}, {0x03021, N}, {0x0302A, O}, {0x03030, P}, {0x03031, L},
    {0x03036, O}, {0x03038, N}, {0x0303B, L}, {0x0303D, P}, {0x0303E, O}, {0x03041, L}, {0x03097, O},
    {0x0309D, L}, {0x030A0, P}, {0x030A1, L}, {0x030FB, P}, {0x030FC, L}, {0x03100, O}, {0x03105, L},
    {0x03130, O}, {0x03131, L}, {0x0318F, O}, {0x03192, N}, {0x03196, O}, {0x031A0, L}, {0x031C0, O},
    {0x031F0, L}, {0x03200, O}, {0x03220, N}, {0x0322A, O}, {0x03248, N}, {0x03250, O}, {0x03251, N},
    {0x03260, O}, {0x03280, N}, {0x0328A, O}, {0x032B1, N}, {0x032C0, O}, {0x03400, L}, {0x04DC0, O},
    {0x04E00, L}, {0x0A48D, O}, {0x0A4D0, L}, {0x0A4FE, P}, {0x0A500, L}, {0x0A60D, P}, {0x0A610, L},
    {0x0A620, N}, {0x0A62A, L}, {0x0A62C, O}, {0x0A640, L}, {0x0A66F, O}, {0x0A673, P}, {0x0A674, O},
    {0x0A67E, P}, {0x0A67F, L}, {0x0A69E, O}, {0x0A6A0, L}, {0x0A6E6, N}, {0x0A6F0, O}, {0x0A6F2, P},
    {0x0A6F8, O}, {0x0A717, L}, {0x0A720, O}, {0x0A722, L}, {0x0A789, O}, {0x0A78B, L}, {0x0A7CB, O},
    {0x0A7D0, L}, {0x0A7D2, O}, {0x0A7D3, L}, {0x0A7D4, O}, {0x0A7D5, L}, {0x0A7DA, O}, {0x0A7F2, L},
    {0x0A802, O}, {0x0A803, L}, {0x0A806, O}, {0x0A807, L}, {0x0A80B, O}, {0x0A80C, L}, {0x0A823, O},
    {0x0A830, N}, {0x0A836, O}, {0x0A840, L}, {0x0A874, P}, {0x0A878, O}, {0x0A882, L}, {0x0A8B4, O},
    {0x0A8CE, P}, {0x0A8D0, N}, {0x0A8DA, O}, {0x0A8F2, L}, {0x0A8F8, P}, {0x0A8FB, L}, {0x0A8FC, P},
    {0x0A8FD, L}, {0x0A8FF, O}, {0x0A900, N}, {0x0A90A, L}, {0x0A926, O}, {0x0A92E, P}, {0x0A930, L},
    {0x0A947, O}, {0x0A95F, P}, {0x0A960, L}, {0x0A97D, O}, {0x0A984, L}, {0x0A9B3, O}, {0x0A9C1, P},
    {0x0A9CE, O}, {0x0A9CF, L}, {0x0A9D0, N}, {0x0A9DA, O}, {0x0A9DE, P}, {0x0A9E0, L}, {0x0A9E5, O},
    {0x0A9E6, L}, {0x0A9F0, N}, {0x0A9FA, L}, {0x0A9FF, O}, {0x0AA00, L}, {0x0AA29, O}, {0x0AA40, L},
    {0x0AA43, O}, {0x0AA44, L}, {0x0AA4C, O}, {0x0AA50, N}, {0x0AA5A, O}, {0x0AA5C, P}, {0x0AA60, L},
    {0x0AA77, O}, {0x0AA7A, L}, {0x0AA7B, O}, {0x0AA7E, L}, {0x0AAB0, O}, {0x0AAB1, L}, {0x0AAB2, O},
    {0x0AAB5, L}, {0x0AAB7, O}, {0x0AAB9, L}, {0x0AABE, O}, {0x0AAC0, L}, {0x0AAC1, O}, {0x0AAC2, L},
    {0x0AAC3, O}, {0x0AADB, L}, {0x0AADE, P}, {0x0AAE0, L}, {0x0AAEB, O}, {0x0AAF0, P}, {0x0AAF2, L},
    {0x0AAF5, O}, {0x0AB01, L}, {0x0AB07, O}, {0x0AB09, L}, {0x0AB0F, O}, {0x0AB11, L}, {0x0AB17, O},
    {0x0AB20, L}, {0x0AB27, O}, {0x0AB28, L}, {0x0AB2F, O}, {0x0AB30, L}, {0x0AB5B, O}, {0x0AB5C, L},
    {0x0AB6A, O}, {0x0AB70, L}, {0x0ABE3, O}, {0x0ABEB, P}, {0x0ABEC, O}, {0x0ABF0, N}, {0x0ABFA, O},
    {0x0AC00, L}, {0x0D7A4, O}, {0x0D7B0, L}, {0x0D7C7, O}, {0x0D7CB, L}, {0x0D7FC, O}, {0x0F900, L},
    {0x0FA6E, O}, {0x0FA70, L}, {0x0FADA, O}, {0x0FB00, L}, {0x0FB07, O}, {0x0FB13, L}, {0x0FB18, O},
    {0x0FB1D, L}, {0x0FB1E, O}, {0x0FB1F, L}, {0x0FB29, O}, {0x0FB2A, L}, {0x0FB37, O}, {0x0FB38, L},
    {0x0FB3D, O}, {0x0FB3E, L}, {0x0FB3F, O}, {0x0FB40, L}, {0x0FB42, O}, {0x0FB43, L}, {0x0FB45, O},
    {0x0FB46, L}, {0x0FBB2, O}, {0x0FBD3, L}, {0x0FD3E, P}, {0x0FD40, O}, {0x0FD50, L}, {0x0FD90, O},
    {0x0FD92, L}, {0x0FDC8, O}, {0x0FDF0, L}, {0x0FDFC, O}, {0x0FE10, P}, {0x0FE1A, O}, {0x0FE30, P},
    {0x0FE53, O}, {0x0FE54, P}, {0x0FE62, O}, {0x0FE63, P}, {0x0FE64, O}, {0x0FE68, P}, {0x0FE69, O},
    {0x0FE6A, P}, {0x0FE6C, O}, {0x0FE70, L}, {0x0FE75, O}, {0x0FE76, L}, {0x0FEFD, O}, {0x0FF01, P},
    {0x0FF04, O}, {0x0FF05, P}, {0x0FF0B, O}, {0x0FF0C, P}, {0x0FF10, N}, {0x0FF1A, P}, {0x0FF1C, O},
    {0x0FF1F, P}, {0x0FF21, L}, {0x0FF3B, P}, {0x0FF3E, O}, {0x0FF3F, P}, {0x0FF40, O}, {0x0FF41, L},
    {0x0FF5B, P}, {0x0FF5C, O}, {0x0FF5D, P}, {0x0FF5E, O}, {0x0FF5F, P}, {0x0FF66, L}, {0x0FFBF, O},
    {0x0FFC2, L}, {0x0FFC8, O}, {0x0FFCA, L}, {0x0FFD0, O}, {0x0FFD2, L}, {0x0FFD8, O}, {0x0FFDA, L},
    {0x0FFDD, O}, {0x10000, L}, {0x1000C, O}, {0x1000D, L}, {0x10027, O}, {0x10028, L}, {0x1003B, O},
    {0x1003C, L}, {0x1003E, O}, {0x1003F, L}, {0x1004E, O}, {0x10050, L}, {0x1005E, O}, {0x10080, L},
    {0x100FB, O}, {0x10100, P}, {0x10103, O}, {0x10107, N}, {0x10134, O}, {0x10140, N}, {0x10179, O},
    {0x1018A, N}, {0x1018C, O}, {0x10280, L}, {0x1029D, O}, {0x102A0, L}, {0x102D1, O}, {0x102E1, N},
    {0x102FC, O}, {0x10300, L}, {0x10320, N}, {0x10324, O}, {0x1032D, L}, {0x10341, N}, {0x10342, L},
    {0x1034A, N}, {0x1034B, O}, {0x10350, L}, {0x10376, O}, {0x10380, L}, {0x1039E, O}, {0x1039F, P},
    {0x103A0, L}, {0x103C4, O}, {0x103C8, L}, {0x103D0, P}, {0x103D1, N}, {0x103D6, O}, {0x10400, L},
    {0x1049E, O}, {0x104A0, N}, {0x104AA, O}, {0x104B0, L}, {0x104D4, O}, {0x104D8, L}, {0x104FC, O},
    {0x10500, L}, {0x10528, O}, {0x10530, L}, {0x10564, O}, {0x1056F, P}, {0x10570, L}, {0x1057B, O},
    {0x1057C, L}, {0x1058B, O}, {0x1058C, L}, {0x10593, O}, {0x10594, L}, {0x10596, O}, {0x10597, L},
    {0x105A2, O}, {0x105A3, L}, {0x105B2, O}, {0x105B3, L}, {0x105BA, O}, {0x105BB, L}, {0x105BD, O},
    {0x10600, L}, {0x10737, O}, {0x10740, L}, {0x10756, O}, {0x10760, L}, {0x10768, O}, {0x10780, L},
    {0x10786, O}, {0x10787, L}, {0x107B1, O}, {0x107B2, L}, {0x107BB, O}, {0x10800, L}, {0x10806, O},
    {0x10808, L}, {0x10809, O}, {0x1080A, L}, {0x10836, O}, {0x10837, L}, {0x10839, O}, {0x1083C, L},
    {0x1083D, O}, {0x1083F, L}, {0x10856, O}, {0x10857, P}, {0x10858, N}, {0x10860, L}, {0x10877, O},
    {0x10879, N}, {0x10880, L}, {0x1089F, O}, {0x108A7, N}, {0x108B0, O}, {0x108E0, L}, {0x108F3, O},
    {0x108F4, L}, {0x108F6, O}, {0x108FB, N}, {0x10900, L}, {0x10916, N}, {0x1091C, O}, {0x1091F, P},
    {0x10920, L}, {0x1093A, O}, {0x1093F, P}, {0x10940, O}, {0x10980, L}, {0x109B8, O}, {0x109BC, N},
    {0x109BE, L}, {0x109C0, N}, {0x109D0, O}, {0x109D2, N}, {0x10A00, L}, {0x10A01, O}, {0x10A10, L},
    {0x10A14, O}, {0x10A15, L}, {0x10A18, O}, {0x10A19, L}, {0x10A36, O}, {0x10A40, N}, {0x10A49, O},
    {0x10A50, P}, {0x10A59, O}, {0x10A60, L}, {0x10A7D, N}, {0x10A7F, P}, {0x10A80, L}, {0x10A9D, N},
    {0x10AA0, O}, {0x10AC0, L}, {0x10AC8, O}, {0x10AC9, L}, {0x10AE5, O}, {0x10AEB, N}, {0x10AF0, P},
    {0x10AF7, O}, {0x10B00, L}, {0x10B36, O}, {0x10B39, P}, {0x10B40, L}, {0x10B56, O}, {0x10B58, N},
    {0x10B60, L}, {0x10B73, O}, {0x10B78, N}, {0x10B80, L}, {0x10B92, O}, {0x10B99, P}, {0x10B9D, O},
    {0x10BA9, N}, {0x10BB0, O}, {0x10C00, L}, {0x10C49, O}, {0x10C80, L}, {0x10CB3, O}, {0x10CC0, L},
    {0x10CF3, O}, {0x10CFA, N}, {0x10D00, L}, {0x10D24, O}, {0x10D30, N}, {0x10D3A, O}, {0x10E60, N},
    {0x10E7F, O}, {0x10E80, L}, {0x10EAA, O}, {0x10EAD, P}, {0x10EAE, O}, {0x10EB0, L}, {0x10EB2, O},
    {0x10F00, L}, {0x10F1D, N}, {0x10F27, L}, {0x10F28, O}, {0x10F30, L}, {0x10F46, O}, {0x10F51, N},
    {0x10F55, P}, {0x10F5A, O}, {0x10F70, L}, {0x10F82, O}, {0x10F86, P}, {0x10F8A, O}, {0x10FB0, L},
    {0x10FC5, N}, {0x10FCC, O}, {0x10FE0, L}, {0x10FF7, O}, {0x11003, L}, {0x11038, O}, {0x11047, P},
    {0x1104E, O}, {0x11052, N}, {0x11070, O}, {0x11071, L}, {0x11073, O}, {0x11075, L}, {0x11076, O},
    {0x11083, L}, {0x110B0, O}, {0x110BB, P}, {0x110BD, O}, {0x110BE, P}, {0x110C2, O}, {0x110D0, L},
    {0x110E9, O}, {0x110F0, N}, {0x110FA, O}, {0x11103, L}, {0x11127, O}, {0x11136, N}, {0x11140, P},
    {0x11144, L}, {0x11145, O}, {0x11147, L}, {0x11148, O}, {0x11150, L}, {0x11173, O}, {0x11174, P},
    {0x11176, L}, {0x11177, O}, {0x11183, L}, {0x111B3, O}, {0x111C1, L}, {0x111C5, P}, {0x111C9, O},
    {0x111CD, P}, {0x111CE, O}, {0x111D0, N}, {0x111DA, L}, {0x111DB, P}, {0x111DC, L}, {0x111DD, P},
    {0x111E0, O}, {0x111E1, N}, {0x111F5, O}, {0x11200, L}, {0x11212, O}, {0x11213, L}, {0x1122C, O},
    {0x11238, P}, {0x1123E, O}, {0x11280, L}, {0x11287, O}, {0x11288, L}, {0x11289, O}, {0x1128A, L},
    {0x1128E, O}, {0x1128F, L}, {0x1129E, O}, {0x1129F, L}, {0x112A9, P}, {0x112AA, O}, {0x112B0, L},
    {0x112DF, O}, {0x112F0, N}, {0x112FA, O}, {0x11305, L}, {0x1130D, O}, {0x1130F, L}, {0x11311, O},
    {0x11313, L}, {0x11329, O}, {0x1132A, L}, {0x11331, O}, {0x11332, L}, {0x11334, O}, {0x11335, L},
    {0x1133A, O}, {0x1133D, L}, {0x1133E, O}, {0x11350, L}, {0x11351, O}, {0x1135D, L}, {0x11362, O},
    {0x11400, L}, {0x11435, O}, {0x11447, L}, {0x1144B, P}, {0x11450, N}, {0x1145A, P}, {0x1145C, O},
    {0x1145D, P}, {0x1145E, O}, {0x1145F, L}, {0x11462, O}, {0x11480, L}, {0x114B0, O}, {0x114C4, L},
    {0x114C6, P}, {0x114C7, L}, {0x114C8, O}, {0x114D0, N}, {0x114DA, O}, {0x11580, L}, {0x115AF, O},
    {0x115C1, P}, {0x115D8, L}, {0x115DC, O}, {0x11600, L}, {0x11630, O}, {0x11641, P}, {0x11644, L},
    {0x11645, O}, {0x11650, N}, {0x1165A, O}, {0x11660, P}, {0x1166D, O}, {0x11680, L}, {0x116AB, O},
    {0x116B8, L}, {0x116B9, P}, {0x116BA, O}, {0x116C0, N}, {0x116CA, O}, {0x11700, L}, {0x1171B, O},
    {0x11730, N}, {0x1173C, P}, {0x1173F, O}, {0x11740, L}, {0x11747, O}, {0x11800, L}, {0x1182C, O},
    {0x1183B, P}, {0x1183C, O}, {0x118A0, L}, {0x118E0, N}, {0x118F3, O}, {0x118FF, L}, {0x11907, O},
    {0x11909, L}, {0x1190A, O}, {0x1190C, L}, {0x11914, O}, {0x11915, L}, {0x11917, O}, {0x11918, L},
    {0x11930, O}, {0x1193F, L}, {0x11940, O}, {0x11941, L}, {0x11942, O}, {0x11944, P}, {0x11947, O},
    {0x11950, N}, {0x1195A, O}, {0x119A0, L}, {0x119A8, O}, {0x119AA, L}, {0x119D1, O}, {0x119E1, L},
    {0x119E2, P}, {0x119E3, L}, {0x119E4, O}, {0x11A00, L}, {0x11A01, O}, {0x11A0B, L}, {0x11A33, O},
    {0x11A3A, L}, {0x11A3B, O}, {0x11A3F, P}, {0x11A47, O}, {0x11A50, L}, {0x11A51, O}, {0x11A5C, L},
    {0x11A8A, O}, {0x11A9A, P}, {0x11A9D, L}, {0x11A9E, P}, {0x11AA3, O}, {0x11AB0, L}, {0x11AF9, O},
    {0x11C00, L}, {0x11C09, O}, {0x11C0A, L}, {0x11C2F, O}, {0x11C40, L}, {0x11C41, P}, {0x11C46, O},
    {0x11C50, N}, {0x11C6D, O}, {0x11C70, P}, {0x11C72, L}, {0x11C90, O}, {0x11D00, L}, {0x11D07, O},
    {0x11D08, L}, {0x11D0A, O}, {0x11D0B, L}, {0x11D31, O}, {0x11D46, L}, {0x11D47, O}, {0x11D50, N},
    {0x11D5A, O}, {0x11D60, L}, {0x11D66, O}, {0x11D67, L}, {0x11D69, O}, {0x11D6A, L}, {0x11D8A, O},
    {0x11D98, L}, {0x11D99, O}, {0x11DA0, N}, {0x11DAA, O}, {0x11EE0, L}, {0x11EF3, O}, {0x11EF7, P},
    {0x11EF9, O}, {0x11FB0, L}, {0x11FB1, O}, {0x11FC0, N}, {0x11FD5, O}, {0x11FFF, P}, {0x12000, L},
    {0x1239A, O}, {0x12400, N}, {0x1246F, O}, {0x12470, P}, {0x12475, O}, {0x12480, L}, {0x12544, O},
    {0x12F90, L}, {0x12FF1, P}, {0x12FF3, O}, {0x13000, L}, {0x1342F, O}, {0x14400, L}, {0x14647, O},
    {0x16800, L}, {0x16A39, O}, {0x16A40, L}, {0x16A5F, O}, {0x16A60, N}, {0x16A6A, O}, {0x16A6E, P},
    {0x16A70, L}, {0x16ABF, O}, {0x16AC0, N}, {0x16ACA, O}, {0x16AD0, L}, {0x16AEE, O}, {0x16AF5, P},
    {0x16AF6, O}, {0x16B00, L}, {0x16B30, O}, {0x16B37, P}, {0x16B3C, O}, {0x16B40, L}, {0x16B44, P},
    {0x16B45, O}, {0x16B50, N}, {0x16B5A, O}, {0x16B5B, N}, {0x16B62, O}, {0x16B63, L}, {0x16B78, O},
    {0x16B7D, L}, {0x16B90, O}, {0x16E40, L}, {0x16E80, N}, {0x16E97, P}, {0x16E9B, O}, {0x16F00, L},
    {0x16F4B, O}, {0x16F50, L}, {0x16F51, O}, {0x16F93, L}, {0x16FA0, O}, {0x16FE0, L}, {0x16FE2, P},
    {0x16FE3, L}, {0x16FE4, O}, {0x17000, L}, {0x187F8, O}, {0x18800, L}, {0x18CD6, O}, {0x18D00, L},
    {0x18D09, O}, {0x1AFF0, L}, {0x1AFF4, O}, {0x1AFF5, L}, {0x1AFFC, O}, {0x1AFFD, L}, {0x1AFFF, O},
    {0x1B000, L}, {0x1B123, O}, {0x1B150, L}, {0x1B153, O}, {0x1B164, L}, {0x1B168, O}, {0x1B170, L},
    {0x1B2FC, O}, {0x1BC00, L}, {0x1BC6B, O}, {0x1BC70, L}, {0x1BC7D, O}, {0x1BC80, L}, {0x1BC89, O},
    {0x1BC90, L}, {0x1BC9A, O}, {0x1BC9F, P}, {0x1BCA0, O}, {0x1D2E0, N}, {0x1D2F4, O}, {0x1D360, N},
    {0x1D379, O}, {0x1D400, L}, {0x1D455, O}, {0x1D456, L}, {0x1D49D, O}, {0x1D49E, L}, {0x1D4A0, O},
    {0x1D4A2, L}, {0x1D4A3, O}, {0x1D4A5, L}, {0x1D4A7, O}, {0x1D4A9, L}, {0x1D4AD, O}, {0x1D4AE, L},
    {0x1D4BA, O}, {0x1D4BB, L}, {0x1D4BC, O}, {0x1D4BD, L}, {0x1D4C4, O}, {0x1D4C5, L}, {0x1D506, O},
    {0x1D507, L}, {0x1D50B, O}, {0x1D50D, L}, {0x1D515, O}, {0x1D516, L}, {0x1D51D, O}, {0x1D51E, L},
    {0x1D53A, O}, {0x1D53B, L}, {0x1D53F, O}, {0x1D540, L}, {0x1D545, O}, {0x1D546, L}, {0x1D547, O},
    {0x1D54A, L}, {0x1D551, O}, {0x1D552, L}, {0x1D6A6, O}, {0x1D6A8, L}, {0x1D6C1, O}, {0x1D6C2, L},
    {0x1D6DB, O}, {0x1D6DC, L}, {0x1D6FB, O}, {0x1D6FC, L}, {0x1D715, O}, {0x1D716, L}, {0x1D735, O},
    {0x1D736, L}, {0x1D74F, O}, {0x1D750, L}, {0x1D76F, O}, {0x1D770, L}, {0x1D789, O}, {0x1D78A, L},
    {0x1D7A9, O}, {0x1D7AA, L}, {0x1D7C3, O}, {0x1D7C4, L}, {0x1D7CC, O}, {0x1D7CE, N}, {0x1D800, O},
    {0x1DA87, P}, {0x1DA8C, O}, {0x1DF00, L}, {0x1DF1F, O}, {0x1E100, L}, {0x1E12D, O}, {0x1E137, L},
    {0x1E13E, O}, {0x1E140, N}, {0x1E14A, O}, {0x1E14E, L}, {0x1E14F, O}, {0x1E290, L}, {0x1E2AE, O},
    {0x1E2C0, L}, {0x1E2EC, O}, {0x1E2F0, N}, {0x1E2FA, O}, {0x1E7E0, L}, {0x1E7E7, O}, {0x1E7E8, L},
    {0x1E7EC, O}, {0x1E7ED, L}, {0x1E7EF, O}, {0x1E7F0, L}, {0x1E7FF, O}, {0x1E800, L}, {0x1E8C5, O},
    {0x1E8C7, N}, {0x1E8D0, O}, {0x1E900, L}, {0x1E944, O}, {0x1E94B, L}, {0x1E94C, O}, {0x1E950, N},
    {0x1E95A, O}, {0x1E95E, P}, {0x1E960, O}, {0x1EC71, N}, {0x1ECAC, O}, {0x1ECAD, N}, {0x1ECB0, O},
    {0x1ECB1, N}, {0x1ECB5, O}, {0x1ED01, N}, {0x1ED2E, O}, {0x1ED2F, N}, {0x1ED3E, O}, {0x1EE00, L},
    {0x1EE04, O}, {0x1EE05, L}, {0x1EE20, O}, {0x1EE21, L}, {0x1EE23, O}, {0x1EE24, L}, {0x1EE25, O},
    {0x1EE27, L}, {0x1EE28, O}, {0x1EE29, L}, {0x1EE33, O}, {0x1EE34, L}, {0x1EE38, O}, {0x1EE39, L},
    {0x1EE3A, O}, {0x1EE3B, L}, {0x1EE3C, O}, {0x1EE42, L}, {0x1EE43, O}, {0x1EE47, L}, {0x1EE48, O},
    {0x1EE49, L}, {0x1EE4A, O}, {0x1EE4B, L}, {0x1EE4C, O}, {0x1EE4D, L}, {0x1EE50, O}, {0x1EE51, L},
    {0x1EE53, O}, {0x1EE54, L}, {0x1EE55, O}, {0x1EE57, L}, {0x1EE58, O}, {0x1EE59, L}, {0x1EE5A, O},
    {0x1EE5B, L}, {0x1EE5C, O}, {0x1EE5D, L}, {0x1EE5E, O}, {0x1EE5F, L}, {0x1EE60, O}, {0x1EE61, L},
    {0x1EE63, O}, {0x1EE64, L}, {0x1EE65, O}, {0x1EE67, L}, {0x1EE6B, O}, {0x1EE6C, L}, {0x1EE73, O},
    {0x1EE74, L}, {0x1EE78, O}, {0x1EE79, L}, {0x1EE7D, O}, {0x1EE7E, L}, {0x1EE7F, O}, {0x1EE80, L},
    {0x1EE8A, O}, {0x1EE8B, L}, {0x1EE9C, O}, {0x1EEA1, L}, {0x1EEA4, O}, {0x1EEA5, L}, {0x1EEAA, O},
    {0x1EEAB, L}, {0x1EEBC, O}, {0x1F100, N}, {0x1F10D, O}, {0x1FBF0, N}, {0x1FBFA, O}, {0x20000, L},
    {0x2A6E0, O}, {0x2A700, L}, {0x2B739, O}, {0x2B740, L}, {0x2B81E, O}, {0x2B820, L}, {0x2CEA2, O},
    {0x2CEB0, L}, {0x2EBE1, O}, {0x2F800, L}, {0x2FA1E, O}, {0x30000, L}, {0x3134B, O},
};

const size_t kCategoryRangeCount = std::size(kCategoryRanges);

}  // namespace

}  // namespace quantlab
