// A llama-architecture model held in memory in its stored formats: weight
// matrices stay quantized (the engine multiplies through vec_dot kernels),
// only the small norm vectors are expanded to float at load time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "formats/type_traits.h"
#include "gguf/gguf_file.h"
#include "model/llama_hparams.h"

namespace quantlab {

// A 2-D weight as ggml lays it out: n_out rows of n_in contiguous values.
struct WeightMatrix {
    std::string name;
    const TypeTraits* traits = nullptr;
    int64_t n_in = 0;    // ne[0]
    int64_t n_out = 0;   // ne[1]
    size_t row_bytes = 0;
    const uint8_t* data = nullptr;

    const uint8_t* row(int64_t r) const { return data + size_t(r) * row_bytes; }
};

struct LlamaLayer {
    std::vector<float> attn_norm;  // [n_embd]
    WeightMatrix wq;               // [n_embd] -> [n_embd]
    WeightMatrix wk;               // [n_embd] -> [n_embd_kv]
    WeightMatrix wv;               // [n_embd] -> [n_embd_kv]
    WeightMatrix wo;               // [n_embd] -> [n_embd]
    std::vector<float> ffn_norm;   // [n_embd]
    WeightMatrix w_gate;           // [n_embd] -> [n_ff]
    WeightMatrix w_up;             // [n_embd] -> [n_ff]
    WeightMatrix w_down;           // [n_ff] -> [n_embd]
};

class LlamaModel {
public:
    // Allocates room for the data section; the caller fills data() (all at
    // once, or tensor by tensor from a stream) and then calls finalize().
    explicit LlamaModel(GgufHeader header);

    uint8_t* data() { return data_.data(); }
    size_t data_size() const { return data_.size(); }

    // Validates names, shapes and types, and builds the weight views.
    // Throws Error(Format) naming the offending tensor.
    void finalize();

    static std::shared_ptr<LlamaModel> load_file(const std::string& path);
    static std::shared_ptr<LlamaModel> load_memory(const uint8_t* file, size_t size);

    const GgufHeader& header() const { return header_; }
    const LlamaHparams& hparams() const { return hp_; }
    const WeightMatrix& token_embd() const { return token_embd_; }
    const std::vector<float>& output_norm() const { return output_norm_; }
    const WeightMatrix& output() const { return output_; }  // token_embd when tied
    bool tied_embeddings() const { return tied_; }
    const std::vector<LlamaLayer>& layers() const { return layers_; }

    // Points weight matrix `name` at other bytes of another type, n_out rows
    // of row_size(type, n_in) bytes that the caller keeps alive; data ==
    // nullptr points it back at the file's own tensor. Lets a sensitivity scan
    // (quantize/sensitivity.h) try one tensor in many formats without
    // reloading. Throws Error(InvalidArgument) for an unknown name and
    // Error(BadLength) / Error(Unsupported) for a type the matrix cannot take.
    void set_weight(const std::string& name, GgmlType type, const uint8_t* data);

private:
    WeightMatrix matrix(const std::string& name, int64_t n_in, int64_t n_out) const;
    std::vector<float> vector(const std::string& name, int64_t n) const;

    GgufHeader header_;
    LlamaHparams hp_;
    std::vector<uint8_t> data_;
    WeightMatrix token_embd_;
    std::vector<float> output_norm_;
    WeightMatrix output_;
    bool tied_ = false;
    std::vector<LlamaLayer> layers_;
};

}  // namespace quantlab
