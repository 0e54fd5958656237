// Helpers shared by the quantizer suites: synthetic llama GGUF files built
// with GgufWriter, in-memory readers/writers, and tensor access.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/half.h"
#include "gguf/gguf_file.h"
#include "formats/type_traits.h"
#include "quantize/model_quantizer.h"
#include "quantize/quant_plan.h"
#include "support/test_support.h"

namespace quantlab::quant_test {

using test::random_floats;
using test::shared_dir;

struct SynthLlama {
    std::string arch = "llama";
    int n_embd = 256;
    int n_ff = 768;
    int n_layer = 8;
    int n_head = 8;
    int n_head_kv = 8;
    int n_vocab = 512;
    bool with_output = true;               // false: tied embeddings
    GgmlType weight_type = GgmlType::F32;  // of every 2-D weight (norms stay f32)
    int n_expert = 0;
};

// Options for quantize_model: the file type, on `threads` threads (results do
// not depend on it; one keeps the suites from oversubscribing ctest -j2).
inline ModelQuantizeOptions ftype_options(LlamaFtype f, int threads = 1) {
    ModelQuantizeOptions o;
    o.params.ftype = f;
    o.threads = threads;
    return o;
}

// "blk.<l>.<what>.weight"
inline std::string blk(int l, const char* what) { return "blk." + std::to_string(l) + "." + what + ".weight"; }

// Tensor name -> the type name a plan gives it.
inline std::map<std::string, std::string> types_of(const QuantPlan& p) {
    std::map<std::string, std::string> m;
    for (const auto& t : p.tensors) m[t.name] = type_traits(t.new_type).name;
    return m;
}

// The header of a synthetic llama in llama.cpp's converter order.
inline GgufWriter llama_writer(const SynthLlama& s) {
    GgufWriter w;
    w.set("general.architecture", GgufValue::string(s.arch));
    w.set("general.name", GgufValue::string("synthetic"));
    const std::string p = s.arch + ".";
    w.set(p + "block_count", GgufValue::u32(uint32_t(s.n_layer)));
    w.set(p + "embedding_length", GgufValue::u32(uint32_t(s.n_embd)));
    w.set(p + "feed_forward_length", GgufValue::u32(uint32_t(s.n_ff)));
    w.set(p + "attention.head_count", GgufValue::u32(uint32_t(s.n_head)));
    w.set(p + "attention.head_count_kv", GgufValue::u32(uint32_t(s.n_head_kv)));
    if (s.n_expert) w.set(p + "expert_count", GgufValue::u32(uint32_t(s.n_expert)));
    const int64_t e = s.n_embd;
    const int64_t kv = int64_t(s.n_embd) / s.n_head * s.n_head_kv;
    auto add = [&](const std::string& name, std::vector<int64_t> ne) {
        w.add_tensor(name, ne.size() > 1 ? s.weight_type : GgmlType::F32, ne);
    };
    add("token_embd.weight", {e, s.n_vocab});
    for (int l = 0; l < s.n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        add(b + "attn_norm.weight", {e});
        add(b + "attn_q.weight", {e, e});
        add(b + "attn_k.weight", {e, kv});
        add(b + "attn_v.weight", {e, kv});
        add(b + "attn_output.weight", {e, e});
        add(b + "ffn_norm.weight", {e});
        if (s.n_expert > 0) {  // Mixtral's layout: a router and 3-D expert tensors
            add(b + "ffn_gate_inp.weight", {e, s.n_expert});
            add(b + "ffn_gate_exps.weight", {e, s.n_ff, s.n_expert});
            add(b + "ffn_down_exps.weight", {s.n_ff, e, s.n_expert});
            add(b + "ffn_up_exps.weight", {e, s.n_ff, s.n_expert});
        } else {
            add(b + "ffn_gate.weight", {e, s.n_ff});
            add(b + "ffn_down.weight", {s.n_ff, e});
            add(b + "ffn_up.weight", {e, s.n_ff});
        }
    }
    add("output_norm.weight", {e});
    if (s.with_output) add("output.weight", {e, s.n_vocab});
    return w;
}

// Header only: enough for planning (the data offsets point past its end).
inline GgufHeader make_llama_header(const SynthLlama& s) {
    const GgufWriter w = llama_writer(s);
    const auto h = w.header_bytes();
    auto r = parse_gguf_header(h.data(), h.size(), w.file_size());
    REQUIRE(r.complete);
    return r.header;
}

// A complete GGUF file; 2-D weights hold small pseudo-random values.
inline std::vector<uint8_t> make_llama_file(const SynthLlama& s, uint32_t seed = 1) {
    const GgufWriter w = llama_writer(s);
    std::vector<uint8_t> file = w.header_bytes();
    for (size_t i = 0; i < w.tensors().size(); ++i) {
        const GgufTensorInfo& t = w.tensors()[i];
        const int64_t n = t.n_elements();
        auto x = random_floats(size_t(n), seed + uint32_t(i) * 7919u, 0.05f);
        if (t.ne.size() == 1) {
            for (auto& v : x) v += 1.0f;  // norm weights sit around 1
        }
        const size_t at = file.size();
        if (t.type == GgmlType::F32) {
            file.resize(at + x.size() * 4);
            std::memcpy(file.data() + at, x.data(), x.size() * 4);
        } else if (t.type == GgmlType::F16) {
            file.resize(at + x.size() * 2);
            for (size_t j = 0; j < x.size(); ++j) {
                const ggml_half h = fp32_to_fp16(x[j]);
                std::memcpy(file.data() + at + 2 * j, &h, 2);
            }
        } else {
            const auto& tr = type_traits(t.type);
            std::vector<uint8_t> q(size_t(t.size_bytes));
            resolve_kernels(tr, KernelVariant::Ref).quantize(x.data(), q.data(), n / t.ne[0], t.ne[0], nullptr);
            file.insert(file.end(), q.begin(), q.end());
        }
        file.resize(file.size() + w.padding_after(i), 0);
    }
    REQUIRE(file.size() == w.file_size());
    return file;
}

inline GgufHeader parse_bytes(const std::vector<uint8_t>& f) {
    auto r = parse_gguf_header(f.data(), f.size(), f.size());
    REQUIRE(r.complete);
    return r.header;
}

inline ReadFn memory_reader(const std::vector<uint8_t>& f) {
    return [&f](uint64_t off, size_t len, uint8_t* dst) {
        if (off > f.size() || len > f.size() - off) throw Error(ErrorCode::Format, "read past the end");
        std::memcpy(dst, f.data() + off, len);
    };
}

inline WriteFn memory_writer(std::vector<uint8_t>& out) {
    return [&out](const uint8_t* p, size_t len) { out.insert(out.end(), p, p + len); };
}

// Quantizes an in-memory model, returning the output file.
inline std::vector<uint8_t> quantize_bytes(const std::vector<uint8_t>& in, const ModelQuantizeOptions& opt,
                                           ModelQuantizeResult* result = nullptr) {
    std::vector<uint8_t> out;
    auto r = quantize_model(in.size(), memory_reader(in), memory_writer(out), opt);
    if (result) *result = std::move(r);
    return out;
}

inline std::vector<uint8_t> tensor_bytes(const std::vector<uint8_t>& file, const GgufTensorInfo& t) {
    return std::vector<uint8_t>(file.begin() + long(t.file_offset), file.begin() + long(t.file_offset + t.size_bytes));
}

// A fresh path under $TMPDIR (or /tmp) ending in .gguf.
inline std::string temp_path(const std::string& tag) {
    static std::atomic<unsigned> counter{0};
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/quantlab-" + tag + "-" + std::to_string(std::random_device{}()) + "-" +
           std::to_string(counter++) + ".gguf";
}

inline bool exists(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& data) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    REQUIRE(out.good());
}

}  // namespace quantlab::quant_test
