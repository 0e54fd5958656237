// SentencePiece-style BPE over UTF-8 characters, as llama.cpp's
// llm_tokenizer_spm_session (src/llama-vocab.cpp): repeatedly merge the
// adjacent pair whose concatenation is the highest-scoring vocabulary entry,
// then spell every piece without an entry as <0xXX> byte tokens.
#include <algorithm>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/tokenizer.h"

namespace quantlab {

namespace {

struct SpmSymbol {
    int prev, next;
    size_t offset, n;  // bytes of the text; n == 0 once merged into the left neighbour
};

struct SpmBigram {
    int left, right;
    float score;
    size_t size;  // bytes of the pair when it was queued, to spot stale entries
};

// Highest score first; among equal scores the leftmost pair, which is what
// makes "aaa" become "aa" + "a" rather than "a" + "aa".
struct SpmBigramOrder {
    bool operator()(const SpmBigram& l, const SpmBigram& r) const {
        return l.score < r.score || (l.score == r.score && l.left > r.left);
    }
};

}  // namespace

// From the first byte alone, as llama.cpp's unicode_len_utf8: a stray
// continuation byte counts as one character, and callers clip at the end.
size_t Tokenizer::utf8_sequence_length(char c) {
    static const size_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLen[uint8_t(c) >> 4];
}

void Tokenizer::tokenize_spm(const std::string& text, std::vector<int32_t>& out) const {
    std::vector<SpmSymbol> symbols;
    symbols.reserve(text.size());
    for (size_t offset = 0; offset < text.size();) {
        const size_t n = std::min(utf8_sequence_length(text[offset]), text.size() - offset);
        const int index = int(symbols.size());
        symbols.push_back({index - 1, offset + n == text.size() ? -1 : index + 1, offset, n});
        offset += n;
    }
    if (symbols.empty()) return;

    std::priority_queue<SpmBigram, std::vector<SpmBigram>, SpmBigramOrder> queue;
    // Which pair produced a piece, for pieces that are not tokens themselves.
    // Keyed by text and overwritten by later pairs, exactly like llama.cpp's rev_merge.
    std::unordered_map<std::string, std::pair<int, int>> rev_merge;
    std::string piece;
    auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        piece.assign(text, symbols[size_t(left)].offset, symbols[size_t(left)].n + symbols[size_t(right)].n);
        const int32_t id = lookup(piece);
        if (id < 0) return;
        queue.push({left, right, score_[size_t(id)], piece.size()});
        rev_merge[piece] = {left, right};
    };

    for (int i = 1; i < int(symbols.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
        const SpmBigram b = queue.top();
        queue.pop();
        SpmSymbol& left = symbols[size_t(b.left)];
        SpmSymbol& right = symbols[size_t(b.right)];
        if (left.n == 0 || right.n == 0 || left.n + right.n != b.size) continue;
        left.n += right.n;
        right.n = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[size_t(right.next)].prev = b.left;
        try_add(left.prev, b.left);
        try_add(b.left, left.next);
    }

    // Recursion depth is bounded by the bytes in one piece.
    struct Resegment {
        const Tokenizer& tok;
        const std::string& text;
        const std::vector<SpmSymbol>& symbols;
        const std::unordered_map<std::string, std::pair<int, int>>& rev_merge;
        std::vector<int32_t>& out;

        void operator()(const SpmSymbol& s) const {
            const std::string p = text.substr(s.offset, s.n);
            const int32_t id = tok.lookup(p);
            if (id >= 0) {
                out.push_back(id);
                return;
            }
            const auto it = rev_merge.find(p);
            if (it == rev_merge.end()) {
                for (const char c : p) out.push_back(tok.byte_token(uint8_t(c)));
                return;
            }
            (*this)(symbols[size_t(it->second.first)]);
            (*this)(symbols[size_t(it->second.second)]);
        }
    };
    const Resegment resegment{*this, text, symbols, rev_merge, out};
    for (int i = 0; i != -1; i = symbols[size_t(i)].next) resegment(symbols[size_t(i)]);
}

}  // namespace quantlab
