#include "model/llama_model.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/checked_alloc.h"
#include "core/error.h"

namespace quantlab {

namespace {

std::string shape_string(const std::vector<int64_t>& ne) {
    std::string s = "[";
    for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
    return s + "]";
}

}  // namespace

LlamaModel::LlamaModel(GgufHeader header) : header_(std::move(header)) {
    hp_ = LlamaHparams::from_gguf(header_);
    // data_size may exceed wasm32's size_t: checked, never truncated.
    assign_checked(data_, {int64_t(header_.data_size)}, "the model's tensor data");
}

WeightMatrix LlamaModel::matrix(const std::string& name, int64_t n_in, int64_t n_out) const {
    const GgufTensorInfo& t = header_.tensor(name);
    if (t.ne.size() != 2 || t.ne[0] != n_in || t.ne[1] != n_out) {
        throw Error(ErrorCode::Format, "tensor '" + name + "' has shape " + shape_string(t.ne) + ", expected " +
                                           shape_string({n_in, n_out}));
    }
    WeightMatrix m;
    m.name = name;
    m.traits = &type_traits(t.type);
    if (!m.traits->ref.vec_dot) {
        throw Error(ErrorCode::Unsupported, "tensor '" + name + "' is " + m.traits->name + ", which has no dot product");
    }
    m.n_in = n_in;
    m.n_out = n_out;
    m.row_bytes = row_size(*m.traits, n_in);
    m.data = data_.data() + t.offset;
    return m;
}

std::vector<float> LlamaModel::vector(const std::string& name, int64_t n) const {
    const GgufTensorInfo& t = header_.tensor(name);
    if (t.ne.size() != 1 || t.ne[0] != n) {
        throw Error(ErrorCode::Format, "tensor '" + name + "' has shape " + shape_string(t.ne) + ", expected [" +
                                           std::to_string(n) + "]");
    }
    std::vector<float> out(static_cast<size_t>(n));
    type_traits(t.type).ref.dequantize_row(data_.data() + t.offset, out.data(), n);
    return out;
}

void LlamaModel::finalize() {
    const auto& p = hp_;
    const GgufTensorInfo& emb = header_.tensor("token_embd.weight");
    if (emb.ne.size() != 2 || emb.ne[0] != p.n_embd) {
        throw Error(ErrorCode::Format, "tensor 'token_embd.weight' has shape " + shape_string(emb.ne) +
                                           ", expected [" + std::to_string(p.n_embd) + ", n_vocab]");
    }
    if (p.n_vocab != 0 && emb.ne[1] != p.n_vocab) {
        throw Error(ErrorCode::Format, "token_embd.weight has " + std::to_string(emb.ne[1]) +
                                           " rows but the vocabulary has " + std::to_string(p.n_vocab) + " tokens");
    }
    // llama.cpp sizes token_embd from the token list: a vocabulary that does
    // not match it would hand the engine ids it has no row for.
    if (const GgufValue* tokens = header_.find("tokenizer.ggml.tokens");
        tokens && tokens->is_array() && int64_t(tokens->array_size()) != emb.ne[1]) {
        throw Error(ErrorCode::Format, "token_embd.weight has " + std::to_string(emb.ne[1]) +
                                           " rows but tokenizer.ggml.tokens lists " +
                                           std::to_string(tokens->array_size()) + " tokens");
    }
    hp_.n_vocab = emb.ne[1];
    token_embd_ = matrix("token_embd.weight", p.n_embd, hp_.n_vocab);
    output_norm_ = vector("output_norm.weight", p.n_embd);
    tied_ = header_.find_tensor("output.weight") == nullptr;
    output_ = tied_ ? token_embd_ : matrix("output.weight", p.n_embd, hp_.n_vocab);

    layers_.clear();
    for (int64_t i = 0; i < p.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        LlamaLayer l;
        l.attn_norm = vector(b + "attn_norm.weight", p.n_embd);
        l.wq = matrix(b + "attn_q.weight", p.n_embd, p.n_embd);
        l.wk = matrix(b + "attn_k.weight", p.n_embd, p.n_embd_kv());
        l.wv = matrix(b + "attn_v.weight", p.n_embd, p.n_embd_kv());
        l.wo = matrix(b + "attn_output.weight", p.n_embd, p.n_embd);
        l.ffn_norm = vector(b + "ffn_norm.weight", p.n_embd);
        l.w_gate = matrix(b + "ffn_gate.weight", p.n_embd, p.n_ff);
        l.w_up = matrix(b + "ffn_up.weight", p.n_embd, p.n_ff);
        l.w_down = matrix(b + "ffn_down.weight", p.n_ff, p.n_embd);
        layers_.push_back(std::move(l));
    }
}

void LlamaModel::set_weight(const std::string& name, GgmlType type, const uint8_t* data) {
    std::vector<WeightMatrix*> views;  // a tied output is a second view of token_embd
    if (name == token_embd_.name) {
        views.push_back(&token_embd_);
        if (tied_) views.push_back(&output_);
    } else if (!tied_ && name == output_.name) {
        views.push_back(&output_);
    }
    for (auto& l : layers_) {
        for (WeightMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) {
            if (m->name == name) views.push_back(m);
        }
    }
    if (views.empty()) throw Error(ErrorCode::InvalidArgument, "the model has no weight matrix '" + name + "'");
    const GgufTensorInfo& t = header_.tensor(name);
    const TypeTraits& tr = type_traits(data ? type : t.type);
    if (!tr.ref.vec_dot) throw Error(ErrorCode::Unsupported, std::string(tr.name) + " has no dot product");
    if (views[0]->n_in % tr.block_size != 0) {
        throw Error(ErrorCode::BadLength, "rows of '" + name + "' (" + std::to_string(views[0]->n_in) +
                                              " values) are not whole " + tr.name + " blocks");
    }
    for (WeightMatrix* m : views) {
        m->traits = &tr;
        m->row_bytes = row_size(tr, m->n_in);
        m->data = data ? data : data_.data() + t.offset;
    }
}

std::shared_ptr<LlamaModel> LlamaModel::load_file(const std::string& path) {
    GgufHeader h = read_gguf_header_from_file(path);
    const uint64_t offset = h.data_offset;
    auto model = std::make_shared<LlamaModel>(std::move(h));
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
    std::fseek(f, 0, SEEK_END);
    const uint64_t file_size = uint64_t(std::ftell(f));
    // Writers may omit the padding after the last tensor; the header parser
    // already checked that every tensor's bytes lie inside the file.
    const size_t want = size_t(std::min<uint64_t>(model->data_size(), file_size - offset));
    const bool ok = want == 0 || (std::fseek(f, long(offset), SEEK_SET) == 0 && std::fread(model->data(), 1, want, f) == want);
    std::fclose(f);
    if (!ok) throw Error(ErrorCode::Io, "cannot read tensor data from " + path);
    model->finalize();
    return model;
}

std::shared_ptr<LlamaModel> LlamaModel::load_memory(const uint8_t* file, size_t size) {
    if (!file || size == 0) throw Error(ErrorCode::InvalidArgument, "model file is empty");
    auto r = parse_gguf_header(file, size, size);
    if (!r.complete) throw Error(ErrorCode::Format, "invalid GGUF: header is truncated");
    const uint64_t offset = r.header.data_offset;
    auto model = std::make_shared<LlamaModel>(std::move(r.header));
    const uint64_t avail = std::min<uint64_t>(model->data_size(), size - offset);
    // No tensor data: data() is null, and memcpy(nullptr, p, 0) is undefined
    // behaviour (fuzz_model_loader long run, UBSan).
    if (avail > 0) std::memcpy(model->data(), file + offset, size_t(avail));
    model->finalize();
    return model;
}

}  // namespace quantlab
