// Helpers shared by the fuzz targets: GGUF files assembled in memory from a
// GgufWriter, and a tiny llama model to build them around.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <utility>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/quantize.h"
#include "formats/type_traits.h"
#include "gguf/gguf_file.h"

// A broken promise (as opposed to an expected quantlab::Error): libFuzzer
// reports the trap as a crash and saves the input.
#define FUZZ_CHECK(cond)      \
    do {                      \
        if (!(cond)) {        \
            __builtin_trap(); \
        }                     \
    } while (0)

namespace quantlab::fuzz {

// Deterministic values for tensor data (xorshift64), so a fuzz input always
// builds the same file.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next() {
        s_ ^= s_ << 13;
        s_ ^= s_ >> 7;
        s_ ^= s_ << 17;
        return s_;
    }
    float uniform() { return float(next() >> 40) / float(1 << 24) - 0.5f; }  // [-0.5, 0.5)

private:
    uint64_t s_;
};

// Four rows of valid blocks of type t and width ne0 (random values quantized
// with the reference kernel), made once per (type, width): quantizing per fuzz
// input would dominate a run, and the loader does not care what values are.
inline const std::vector<uint8_t>& valid_rows(const TypeTraits& t, int64_t ne0) {
    static std::map<std::pair<int, int64_t>, std::vector<uint8_t>> cache;
    auto& rows = cache[{int(t.type), ne0}];
    if (rows.empty()) {
        const size_t row = row_size(t, ne0);
        rows.resize(4 * row);
        Rng rng(uint64_t(ne0) * 131 + uint64_t(t.type));
        std::vector<float> x(static_cast<size_t>(ne0));
        for (size_t r = 0; r < 4; ++r) {
            for (auto& v : x) v = rng.uniform();
            t.ref.quantize(x.data(), rows.data() + r * row, 1, ne0, nullptr);
        }
    }
    return rows;
}

// A tensor's bytes: valid blocks (valid_rows, repeated), or raw random bytes
// when `raw` (NaN/Inf scales included).
inline void fill_tensor(const GgufTensorInfo& t, uint8_t* dst, size_t n, Rng& rng, bool raw) {
    const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    const TypeTraits& tr = type_traits(t.type);
    const size_t row = row_size(tr, ne0);
    if (raw || n == 0 || ne0 <= 0 || ne0 > 4096 || row == 0 || n % row != 0) {
        for (size_t i = 0; i < n; i += 8) {
            const uint64_t v = rng.next();
            std::memcpy(dst + i, &v, std::min<size_t>(8, n - i));
        }
        return;
    }
    const std::vector<uint8_t>& rows = valid_rows(tr, ne0);
    const size_t first = size_t(rng.next() % 4);
    for (size_t r = 0; r < n / row; ++r) std::memcpy(dst + r * row, rows.data() + (first + r) % 4 * row, row);
}

// The whole file into out (its capacity is reused: a fresh buffer per fuzz
// input costs page faults): header, then each tensor's bytes and padding.
inline void gguf_file_bytes(const GgufWriter& w, uint64_t seed, bool raw_data, std::vector<uint8_t>& out) {
    const std::vector<uint8_t> header = w.header_bytes();
    out.assign(header.begin(), header.end());
    Rng rng(seed);
    for (size_t i = 0; i < w.tensors().size(); ++i) {
        const GgufTensorInfo& t = w.tensors()[i];
        const size_t at = out.size();
        out.resize(at + size_t(t.size_bytes) + size_t(w.padding_after(i)), 0);
        fill_tensor(t, out.data() + at, size_t(t.size_bytes), rng, raw_data);
    }
}

inline std::vector<uint8_t> gguf_file_bytes(const GgufWriter& w, uint64_t seed, bool raw_data) {
    std::vector<uint8_t> out;
    gguf_file_bytes(w, seed, raw_data, out);
    return out;
}

// A llama-architecture model small enough to build per fuzz input.
struct TinyLlama {
    std::string arch = "llama";
    int64_t n_embd = 8, n_head = 2, n_head_kv = 1, n_ff = 16, n_layer = 1, n_vocab = 16, n_ctx_train = 32;
    GgmlType weight_type = GgmlType::F32;
    bool tied_output = false;
};

// An SPM ("llama") vocabulary of n tokens: <unk> <s> </s>, then "▁" and
// single letters, then pairs, so short English text tokenizes without bytes.
inline std::vector<std::string> tiny_spm_tokens(int64_t n) {
    std::vector<std::string> t = {"<unk>", "<s>", "</s>", "\xE2\x96\x81"};
    const char* letters = "etaoinshrdlucmfwypvbgkjqxz";
    for (int i = 0; letters[i] && int64_t(t.size()) < n; ++i) t.push_back(std::string(1, letters[i]));
    for (int i = 0; letters[i] && int64_t(t.size()) < n; ++i) {
        for (int j = 0; letters[j] && int64_t(t.size()) < n; ++j) t.push_back(std::string{letters[i], letters[j]});
    }
    t.resize(size_t(n));
    for (size_t i = 0; i < t.size(); ++i) {
        if (t[i].empty()) t[i] = "<extra_" + std::to_string(i) + ">";
    }
    return t;
}

inline void add_tiny_spm_vocab(GgufWriter& w, int64_t n_vocab) {
    const auto tokens = tiny_spm_tokens(n_vocab);
    std::vector<float> scores(tokens.size());
    std::vector<int32_t> types(tokens.size(), 1);
    for (size_t i = 0; i < tokens.size(); ++i) scores[i] = -float(i);
    if (types.size() > 0) types[0] = 2;  // unknown
    for (size_t i = 1; i < 3 && i < types.size(); ++i) types[i] = 3;  // control
    w.set("tokenizer.ggml.model", GgufValue::string("llama"));
    w.set("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
    w.set("tokenizer.ggml.scores", GgufValue::f32_array(scores));
    w.set("tokenizer.ggml.token_type", GgufValue::i32_array(types));
}

struct TensorSpec {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
};

// The metadata of a TinyLlama (callers perturb it, then add tensors).
inline GgufWriter tiny_llama_metadata(const TinyLlama& m, bool with_vocab) {
    GgufWriter w;
    const std::string a = m.arch + ".";
    w.set("general.architecture", GgufValue::string(m.arch));
    w.set(a + "context_length", GgufValue::u32(uint32_t(m.n_ctx_train)));
    w.set(a + "embedding_length", GgufValue::u32(uint32_t(m.n_embd)));
    w.set(a + "block_count", GgufValue::u32(uint32_t(m.n_layer)));
    w.set(a + "feed_forward_length", GgufValue::u32(uint32_t(m.n_ff)));
    w.set(a + "attention.head_count", GgufValue::u32(uint32_t(m.n_head)));
    w.set(a + "attention.head_count_kv", GgufValue::u32(uint32_t(m.n_head_kv)));
    w.set(a + "attention.layer_norm_rms_epsilon", GgufValue::f32(1e-5f));
    if (with_vocab) add_tiny_spm_vocab(w, m.n_vocab);
    return w;
}

// Its tensors, as llama.cpp names and shapes them.
inline std::vector<TensorSpec> tiny_llama_tensors(const TinyLlama& m) {
    const int64_t kv = m.n_head > 0 ? m.n_embd / m.n_head * m.n_head_kv : m.n_embd;
    const GgmlType wt = m.weight_type, f32 = GgmlType::F32;
    std::vector<TensorSpec> t = {{"token_embd.weight", wt, {m.n_embd, m.n_vocab}}};
    for (int64_t l = 0; l < m.n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        t.push_back({b + "attn_norm.weight", f32, {m.n_embd}});
        t.push_back({b + "attn_q.weight", wt, {m.n_embd, m.n_embd}});
        t.push_back({b + "attn_k.weight", wt, {m.n_embd, kv}});
        t.push_back({b + "attn_v.weight", wt, {m.n_embd, kv}});
        t.push_back({b + "attn_output.weight", wt, {m.n_embd, m.n_embd}});
        t.push_back({b + "ffn_norm.weight", f32, {m.n_embd}});
        t.push_back({b + "ffn_gate.weight", wt, {m.n_embd, m.n_ff}});
        t.push_back({b + "ffn_down.weight", wt, {m.n_ff, m.n_embd}});
        t.push_back({b + "ffn_up.weight", wt, {m.n_embd, m.n_ff}});
    }
    t.push_back({"output_norm.weight", f32, {m.n_embd}});
    if (!m.tied_output) t.push_back({"output.weight", wt, {m.n_embd, m.n_vocab}});
    return t;
}

// A whole consistent TinyLlama file.
inline std::vector<uint8_t> tiny_llama_file(const TinyLlama& m, bool with_vocab, uint64_t seed) {
    GgufWriter w = tiny_llama_metadata(m, with_vocab);
    for (const auto& t : tiny_llama_tensors(m)) w.add_tensor(t.name, t.type, t.ne);
    return gguf_file_bytes(w, seed, false);
}

}  // namespace quantlab::fuzz
