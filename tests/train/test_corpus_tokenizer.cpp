// The story generator (deterministic, held-out split disjoint) and the BPE
// vocabulary, checked against quantlab's llama.cpp-compatible tokenizer.
#include <catch2/catch.hpp>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "gguf/gguf_file.h"
#include "model/tokenizer.h"
#include "train/story_corpus.h"
#include "train/tokenizer_trainer.h"

using namespace quantlab;

namespace {

GgufHeader vocab_header(const SpmVocab& v) {
    GgufWriter w;
    w.set("general.architecture", GgufValue::string("llama"));
    v.write_metadata(w);
    const auto bytes = w.header_bytes();
    auto r = parse_gguf_header(bytes.data(), bytes.size(), bytes.size());
    REQUIRE(r.complete);
    return r.header;
}

const StoryCorpus& corpus() {
    static const StoryCorpus c = generate_story_corpus(11, 200000, 20000);
    return c;
}

const SpmVocab& vocab() {
    static const SpmVocab v = [] {
        TokenizerTrainOptions o;
        o.vocab_size = 768;
        return train_spm_bpe(corpus().train, o);
    }();
    return v;
}

}  // namespace

TEST_CASE("the story generator is deterministic per seed", "[train][corpus]") {
    StoryGenerator a(5), b(5), c(6);
    for (int i = 0; i < 20; ++i) {
        const std::string sa = a.next_story();
        CHECK(sa == b.next_story());
        CHECK(sa != c.next_story());
        CHECK(!sa.empty());
        CHECK(sa.back() != '\n');
    }
    const auto c1 = generate_story_corpus(9, 5000, 1000);
    const auto c2 = generate_story_corpus(9, 5000, 1000);
    CHECK(c1.train == c2.train);
    CHECK(c1.eval == c2.eval);
}

TEST_CASE("generated stories have the requested size and the grammar's features", "[train][corpus]") {
    const auto& c = corpus();
    size_t words = 0, quotes = 0, paragraphs = 0, because_or_so = 0, endings = 0;
    std::set<std::string> openings;
    for (const auto& s : c.train) {
        words += count_words(s);
        quotes += s.find('"') != std::string::npos;
        paragraphs += s.find('\n') != std::string::npos;
        because_or_so += s.find(" because ") != std::string::npos || s.find(", so ") != std::string::npos ||
                         s.find(" so ") != std::string::npos;
        endings += s.find("learned") != std::string::npos || s.find("lesson") != std::string::npos ||
                   s.find("knew that") != std::string::npos;
        openings.insert(s.substr(0, 12));
    }
    CHECK(words >= 200000);
    CHECK(words < 200000 + 1000);
    const double n = double(c.train.size());
    CHECK(quotes > 0.8 * n);
    CHECK(paragraphs > 0.9 * n);
    CHECK(because_or_so > 0.2 * n);
    CHECK(endings > 0.7 * n);
    CHECK(openings.size() > 100);
    // Stories are distinct almost always.
    const std::unordered_set<std::string> unique(c.train.begin(), c.train.end());
    CHECK(double(unique.size()) > 0.99 * n);
}

TEST_CASE("held-out stories never appear in the training split", "[train][corpus]") {
    const auto& c = corpus();
    size_t eval_words = 0;
    for (const auto& s : c.eval) eval_words += count_words(s);
    CHECK(eval_words >= 20000);
    const std::unordered_set<std::string> train(c.train.begin(), c.train.end());
    for (const auto& s : c.eval) CHECK(train.count(s) == 0);
}

TEST_CASE("a text file splits into documents and a held-out tail", "[train][corpus]") {
    const std::string text = "One two three.\n\nFour five\nsix.\n\n\nSeven eight.\n\nNine ten eleven twelve.\n";
    const auto c = corpus_from_text(text, 4);
    REQUIRE(c.train.size() == 3);
    CHECK(c.train[0] == "One two three.");
    CHECK(c.train[1] == "Four five\nsix.");
    CHECK(c.train[2] == "Seven eight.");
    REQUIRE(c.eval.size() == 1);
    CHECK(c.eval[0] == "Nine ten eleven twelve.");
    const auto lines = corpus_from_text("a b\nc d\ne f\n", 0);
    CHECK(lines.train.size() == 3);
    CHECK(lines.eval.empty());
}

TEST_CASE("the trained vocabulary has sentencepiece's layout", "[train][tokenizer]") {
    const SpmVocab& v = vocab();
    REQUIRE(v.size() <= 768);
    CHECK(v.size() > 600);
    CHECK(v.tokens[0] == "<unk>");
    CHECK(v.tokens[1] == "<s>");
    CHECK(v.tokens[2] == "</s>");
    CHECK(v.types[0] == int32_t(SpmTokenType::Unknown));
    CHECK(v.types[1] == int32_t(SpmTokenType::Control));
    CHECK(v.tokens[3] == "<0x00>");
    CHECK(v.tokens[3 + 0x41] == "<0x41>");
    CHECK(v.tokens[258] == "<0xFF>");
    for (int i = 3; i < 259; ++i) CHECK(v.types[size_t(i)] == int32_t(SpmTokenType::Byte));
    const std::set<std::string> unique(v.tokens.begin(), v.tokens.end());
    CHECK(unique.size() == v.size());
    // Merged pieces: scores strictly decreasing, each the concatenation of
    // two pieces that exist before it (reachable by merges).
    for (size_t r = 0; r < v.merges.size(); ++r) {
        const auto& m = v.merges[r];
        INFO("merge " << r);
        CHECK(v.tokens[size_t(m.result)] == v.tokens[size_t(m.left)] + v.tokens[size_t(m.right)]);
        CHECK(v.types[size_t(m.left)] == int32_t(SpmTokenType::Normal));
        CHECK(v.types[size_t(m.right)] == int32_t(SpmTokenType::Normal));
        for (const int32_t part : {m.left, m.right}) {
            const bool single_char = v.tokens[size_t(part)].size() <= 4 &&
                                     (v.tokens[size_t(part)].size() == 1 || uint8_t(v.tokens[size_t(part)][0]) >= 0xC0);
            CHECK((part < m.result || single_char));
        }
    }
    for (size_t i = 260; i < v.size(); ++i) CHECK(v.scores[i] < v.scores[i - 1]);
    size_t with_space = 0;
    for (const auto& m : v.merges) with_space += v.tokens[size_t(m.result)].rfind("\xE2\x96\x81", 0) == 0;
    CHECK(with_space > v.merges.size() / 3);  // whole words with their leading space
}

TEST_CASE("llama.cpp's tokenizer reproduces the trained segmentation on held-out text", "[train][tokenizer]") {
    const SpmVocab& v = vocab();
    const Tokenizer tok = Tokenizer::from_gguf(vocab_header(v));
    CHECK(tok.vocab_size() == v.size());
    CHECK(tok.bos() == 1);
    CHECK(tok.eos() == 2);
    SpmEncoder enc(v);
    size_t tokens = 0;
    for (const auto& s : corpus().eval) {
        const auto expected = enc.encode_by_rules(s);
        const auto fast = enc.encode(s);
        const auto real = tok.tokenize(s, false);
        INFO(s);
        REQUIRE(real == expected);
        REQUIRE(fast == expected);
        CHECK(tok.detokenize(real) == s);
        CHECK(enc.decode(real) == s);
        const auto with_bos = tok.tokenize(s, true);
        REQUIRE(!with_bos.empty());
        CHECK(with_bos[0] == SpmVocab::kBos);
        tokens += real.size();
    }
    CHECK(tokens > 0);
    // Text outside the corpus: unseen words, digits, other scripts, emoji,
    // double spaces and newlines go through merges and the byte fallback.
    for (const std::string s : {"Zebras quickly vex 42 jumping dwarves!", "caf\xC3\xA9 na\xC3\xAFve \xE2\x9C\x93",
                                "two  spaces\n\nand \"quotes\" (parens) - dash", "\xF0\x9F\x98\x80 smile", " lead",
                                "x"}) {
        INFO(s);
        const auto real = tok.tokenize(s, false);
        CHECK(real == enc.encode_by_rules(s));
        CHECK(real == enc.encode(s));
        CHECK(tok.detokenize(real) == s);
        CHECK(enc.decode(real) == s);
    }
}

TEST_CASE("words split at spaces and at letter/punctuation changes", "[train][tokenizer]") {
    const std::string n = spm_normalize("Hi, Tom's \"dog\"!\nYes");
    std::vector<std::string> words;
    for (const auto& [off, len] : spm_words(n)) words.push_back(n.substr(off, len));
    const std::string sp = "\xE2\x96\x81";
    CHECK(words == std::vector<std::string>{sp + "Hi", ",", sp + "Tom's", sp + "\"", "dog", "\"!", "\n", "Yes"});
}

TEST_CASE("tokenizer training rejects a vocabulary too small to hold the byte tokens", "[train][tokenizer]") {
    TokenizerTrainOptions o;
    o.vocab_size = 100;
    CHECK_THROWS_AS(train_spm_bpe({"a b c"}, o), Error);
}
