// Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/
// (committed; rerun after changing how a target reads its input):
//   build/fuzz/tests/fuzz_make_seeds tests/fuzz/corpus [tests/fuzz/regressions]
// Seeds are small valid inputs of every kind a target distinguishes, so the
// fuzzer starts from the parsers' deep paths rather than from their first check.
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "quantize/imatrix_compute.h"

using namespace quantlab;
using namespace quantlab::fuzz;

namespace {

void write(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(1);
    }
    std::fclose(f);
    std::printf("%6zu bytes  %s\n", bytes.size(), path.c_str());
}

std::vector<uint8_t> with_mode(uint8_t mode, const std::vector<uint8_t>& rest) {
    std::vector<uint8_t> out = {mode};
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

std::vector<uint8_t> text(uint8_t mode, const std::string& s) { return with_mode(mode, std::vector<uint8_t>(s.begin(), s.end())); }

void append_i32(std::vector<uint8_t>& out, int32_t v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + 4);
}

// llama-imatrix's legacy .dat for the named weights (n values each, ncall 2).
std::vector<uint8_t> legacy_imatrix(const std::vector<std::pair<std::string, int>>& weights, bool with_dataset) {
    std::vector<uint8_t> out;
    append_i32(out, int32_t(weights.size()));
    for (const auto& [name, n] : weights) {
        append_i32(out, int32_t(name.size()));
        out.insert(out.end(), name.begin(), name.end());
        append_i32(out, 2);
        append_i32(out, n);
        for (int i = 0; i < n; ++i) {
            const float v = 2.0f * float(1 + i % 7);
            const auto* p = reinterpret_cast<const uint8_t*>(&v);
            out.insert(out.end(), p, p + 4);
        }
    }
    if (with_dataset) {
        append_i32(out, 10);
        const std::string ds = "calibration.txt";
        append_i32(out, int32_t(ds.size()));
        out.insert(out.end(), ds.begin(), ds.end());
    }
    return out;
}

}  // namespace

// Raw-mode (format-stable) model_loader inputs for the loader bugs: recipe
// inputs change meaning when the recipe does, a GGUF file does not.
void write_loader_regressions(const std::string& dir) {
    TinyLlama tiny;
    auto file_with = [&](const std::function<void(GgufWriter&)>& edit, bool vocab = true) {
        GgufWriter w = tiny_llama_metadata(tiny, vocab);
        edit(w);
        for (const auto& t : tiny_llama_tensors(tiny)) w.add_tensor(t.name, t.type, t.ne);
        return with_mode(0x00, gguf_file_bytes(w, 1, false));
    };
    write(dir + "/model_loader/empty-array-read-as-block-count.gguf",
          file_with([](GgufWriter& w) { w.set("llama.block_count", GgufValue::i32_array({})); }));
    write(dir + "/model_loader/nan-rms-epsilon.gguf",
          file_with([](GgufWriter& w) { w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::f32(NAN)); }));
    write(dir + "/model_loader/token-list-longer-than-token-embd.gguf", file_with([&](GgufWriter& w) {
              add_tiny_spm_vocab(w, tiny.n_vocab + 3);
              w.set("llama.vocab_size", GgufValue::u32(uint32_t(tiny.n_vocab)));
          }));
}

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR [REGRESSIONS_DIR] (tests/fuzz/corpus tests/fuzz/regressions)\n");
        return 2;
    }
    const std::string dir = argv[1];
    if (argc == 3) write_loader_regressions(argv[2]);

    // model_loader: raw GGUF models (mode byte 0) and recipes (mode byte odd).
    TinyLlama tiny;
    write(dir + "/model_loader/raw_f32_vocab.bin", with_mode(0x00, tiny_llama_file(tiny, true, 1)));
    TinyLlama q8 = tiny;
    q8.n_embd = 32;
    q8.n_head = 4;
    q8.n_head_kv = 2;
    q8.n_ff = 32;
    q8.n_vocab = 8;
    q8.weight_type = GgmlType::Q8_0;
    q8.tied_output = true;
    write(dir + "/model_loader/raw_q8_0_tied.bin", with_mode(0x12, tiny_llama_file(q8, true, 2)));
    TinyLlama gqa = tiny;
    gqa.n_layer = 2;
    gqa.n_head = 4;
    gqa.n_head_kv = 2;
    write(dir + "/model_loader/raw_f32_gqa_novocab.bin", with_mode(0x44, tiny_llama_file(gqa, false, 3)));
    write(dir + "/model_loader/recipe_zeros.bin", std::vector<uint8_t>(48, 0x01));
    write(dir + "/model_loader/recipe_mixed.bin",
          with_mode(0x03, {0x00, 0x05, 0x01, 0x02, 0x01, 0x10, 0x20, 0x01, 0x01, 0x00, 0x03, 0x07, 0x41, 0x02, 0x09}));

    // imatrix: both layouts for the fixed model's weights, and their edges.
    const std::vector<std::pair<std::string, int>> weights = {
        {"blk.0.attn_q.weight", 64}, {"blk.0.attn_k.weight", 64}, {"blk.0.ffn_down.weight", 64},
        {"blk.0.ffn_up.weight", 64}, {"output.weight", 64}};
    write(dir + "/imatrix/legacy.dat", legacy_imatrix(weights, true));
    write(dir + "/imatrix/legacy_no_dataset.dat", legacy_imatrix({weights[0]}, false));
    ImatrixResult r;
    for (const auto& [name, n] : weights) {
        ImatrixEntry e;
        e.count = 8;
        for (int i = 0; i < n; ++i) e.in_sum2.push_back(float(1 + i % 5));
        r.entries[name] = e;
    }
    r.entries["blk.0.attn_v.weight"] = ImatrixEntry{std::vector<float>(64, 0.0f), 0};  // never saw input
    r.datasets = {"calibration.txt"};
    r.chunk_count = 3;
    r.chunk_size = 512;
    write(dir + "/imatrix/imatrix.gguf", serialize_imatrix_gguf(r));

    // tokenizer: mode byte 0 SPM, 1 BPE gpt2, 2 BPE default, 3 GGUF vocabulary + "\n\n" + text.
    write(dir + "/tokenizer/spm_story.bin", text(0, "Once upon a time, there was a little girl named Lily.\nShe  loved\tplay."));
    write(dir + "/tokenizer/spm_unicode.bin", text(4, "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 <s> </s>"));
    write(dir + "/tokenizer/bpe_gpt2.bin", text(1, "The cat's hat isn't there, 12345 times!  \n\nIt's <sep> done<|endoftext|>"));
    write(dir + "/tokenizer/bpe_default.bin", text(2, "x=1+2; y >= 3 && z ~ 4 | caf\xC3\xA9 \xC3\xA9t\xC3\xA9 1234567"));
    {
        GgufWriter w;
        add_tiny_spm_vocab(w, 40);
        std::vector<uint8_t> v = w.header_bytes();
        const std::string rest = "\n\nthe cat in the hat";
        v.insert(v.end(), rest.begin(), rest.end());
        write(dir + "/tokenizer/gguf_vocab.bin", with_mode(3, v));
    }

    // quantize: bytes read by FuzzedDataProvider (type, shape, flags, values).
    std::vector<uint8_t> q(600);
    Rng rng(5);
    for (auto& b : q) b = uint8_t(rng.next());
    write(dir + "/quantize/random_600.bin", q);
    q.assign(64, 0);
    write(dir + "/quantize/zeros_64.bin", q);
    q.assign(300, 0x41);
    write(dir + "/quantize/const_300.bin", q);
    return 0;
}
