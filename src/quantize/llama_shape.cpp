#include "quantize/llama_shape.h"

#include <string>

#include "core/error.h"
#include "quantize/quant_plan.h"

namespace quantlab {

int64_t LlamaShape::n_params() const {
    const int64_t e = n_embd, kv = n_embd_kv();
    const int64_t per_layer = 2 * e * e + 2 * e * kv + 3 * e * n_ff + 2 * e;  // q,o + k,v + gate,up,down + 2 norms
    return n_vocab * e * (tied_embeddings ? 1 : 2) + e + n_layer * per_layer;
}

void validate(const LlamaShape& s) {
    auto positive = [](int64_t v, const char* what) {
        if (v <= 0) throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be positive");
    };
    positive(s.n_vocab, "vocabulary size");
    positive(s.n_embd, "embedding length");
    positive(s.n_layer, "layer count");
    positive(s.n_head, "head count");
    positive(s.n_head_kv, "KV head count");
    positive(s.n_ff, "feed-forward length");
    positive(s.n_ctx_train, "training context");
    if (s.n_embd % s.n_head != 0) throw Error(ErrorCode::InvalidArgument, "the head count must divide the embedding length");
    if (s.n_head % s.n_head_kv != 0) throw Error(ErrorCode::InvalidArgument, "the KV head count must divide the head count");
    // Sizes beyond anything published would overflow the planner's 32-bit counters.
    if (s.n_layer > 1000 || s.n_embd > (1 << 17) || s.n_ff > (1 << 19) || s.n_vocab > (1 << 22)) {
        throw Error(ErrorCode::InvalidArgument, "the model shape is larger than any llama quantlab can describe");
    }
}

GgufWriter llama_shaped_gguf(const LlamaShape& s, GgmlType weight_type) {
    validate(s);
    if (!is_float_type(weight_type)) {
        throw Error(ErrorCode::InvalidArgument, "a synthetic checkpoint holds F32, F16 or BF16 weights");
    }
    GgufWriter w;
    // The keys llama.cpp's loader and llama-quantize read (llama-arch.cpp names).
    w.set("general.architecture", GgufValue::string("llama"));
    w.set("general.name", GgufValue::string(s.name));
    const LlamaFtype ftype = weight_type == GgmlType::F32   ? LlamaFtype::ALL_F32
                            : weight_type == GgmlType::F16 ? LlamaFtype::MOSTLY_F16
                                                           : LlamaFtype::MOSTLY_BF16;
    w.set("general.file_type", GgufValue::u32(uint32_t(ftype)));
    w.set("llama.vocab_size", GgufValue::u32(uint32_t(s.n_vocab)));
    w.set("llama.context_length", GgufValue::u32(uint32_t(s.n_ctx_train)));
    w.set("llama.embedding_length", GgufValue::u32(uint32_t(s.n_embd)));
    w.set("llama.block_count", GgufValue::u32(uint32_t(s.n_layer)));
    w.set("llama.feed_forward_length", GgufValue::u32(uint32_t(s.n_ff)));
    w.set("llama.rope.dimension_count", GgufValue::u32(uint32_t(s.head_dim())));
    w.set("llama.attention.head_count", GgufValue::u32(uint32_t(s.n_head)));
    w.set("llama.attention.head_count_kv", GgufValue::u32(uint32_t(s.n_head_kv)));
    w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::f32(1e-5f));

    // Shapes as GGUF stores them: ne[0] is the input (row) dimension.
    const int64_t e = s.n_embd, kv = s.n_embd_kv(), f = s.n_ff;
    w.add_tensor("token_embd.weight", weight_type, {e, s.n_vocab});
    for (int64_t l = 0; l < s.n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        w.add_tensor(p + "attn_norm.weight", GgmlType::F32, {e});
        w.add_tensor(p + "attn_q.weight", weight_type, {e, e});
        w.add_tensor(p + "attn_k.weight", weight_type, {e, kv});
        w.add_tensor(p + "attn_v.weight", weight_type, {e, kv});
        w.add_tensor(p + "attn_output.weight", weight_type, {e, e});
        w.add_tensor(p + "ffn_norm.weight", GgmlType::F32, {e});
        w.add_tensor(p + "ffn_gate.weight", weight_type, {e, f});
        w.add_tensor(p + "ffn_up.weight", weight_type, {e, f});
        w.add_tensor(p + "ffn_down.weight", weight_type, {f, e});
    }
    w.add_tensor("output_norm.weight", GgmlType::F32, {e});
    if (!s.tied_embeddings) w.add_tensor("output.weight", weight_type, {e, s.n_vocab});
    return w;
}

}  // namespace quantlab
