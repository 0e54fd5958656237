// A llama-architecture model that exists only as a GGUF header: the tensor
// table of a real model shape (token embedding, per-layer attention and
// feed-forward matrices, norms, output) without any weights. The planner
// needs nothing more, so llama-quantize's per-tensor choice for a 7B or a
// 70B model can be computed anywhere, e.g. to size a file type before
// downloading anything (the web app's memory step).
#pragma once

#include <cstdint>
#include <string>

#include "formats/ggml_type.h"
#include "gguf/gguf_file.h"

namespace quantlab {

struct LlamaShape {
    int64_t n_vocab = 32000;
    int64_t n_embd = 4096;
    int64_t n_layer = 32;
    int64_t n_head = 32;
    int64_t n_head_kv = 32;  // < n_head: grouped-query attention
    int64_t n_ff = 11008;
    int64_t n_ctx_train = 4096;
    bool tied_embeddings = false;  // no output.weight: the token embedding is reused (Llama 3.2 1B/3B)
    std::string name = "llama";

    int64_t head_dim() const { return n_embd / n_head; }
    int64_t n_embd_kv() const { return head_dim() * n_head_kv; }
    int64_t n_params() const;
};

// Throws Error(InvalidArgument) for non-positive sizes, heads that do not
// divide n_embd or n_head, and shapes whose tensors ggml could not store.
void validate(const LlamaShape& s);

// The header of that model with every weight matrix in weight_type (F32,
// F16 or BF16, as a converted checkpoint is) and norms in F32. file_size()
// is the size the whole file would have.
GgufWriter llama_shaped_gguf(const LlamaShape& s, GgmlType weight_type);

}  // namespace quantlab
