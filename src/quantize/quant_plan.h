// The per-tensor type choice of llama-quantize (llama.cpp src/llama-quant.cpp:
// tensor_allows_quantization, llama_tensor_get_type, llama_tensor_get_type_impl,
// tensor_type_fallback, tensor_requires_imatrix and the preliminary loop of
// llama_model_quantize_impl), computed from a GGUF header alone so it can run
// before any tensor data is read: a dry run, a size estimate, or the first
// step of a streaming quantization.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "formats/ggml_type.h"
#include "gguf/gguf_file.h"
#include "quantize/ftype.h"

namespace quantlab {

struct TensorTypeOverride {
    std::string pattern;  // std::regex (ECMAScript), searched for in the tensor name
    GgmlType type;
};

// "REGEX=TYPE" as llama-quantize's --tensor-type takes it: the pattern is
// lower-cased, the type is a ggml type name (any case). Throws
// Error(InvalidArgument) for a malformed argument, Error(UnknownType) for an
// unknown type name.
TensorTypeOverride parse_tensor_type_override(const std::string& arg);

// "KEY=TYPE:VALUE" as llama-quantize's --override-kv takes it (common.cpp,
// string_parse_kv_override) and as llama-quant.cpp writes it: int:N becomes a
// u32 of |N|, float:F an f32, bool:true|false, str:S (at most 127 bytes).
// Throws Error(InvalidArgument) for a malformed argument.
std::pair<std::string, GgufValue> parse_kv_override(const std::string& arg);

struct QuantizeParams {
    LlamaFtype ftype = LlamaFtype::MOSTLY_Q8_0;
    bool pure = false;                   // --pure: no k-quant mixtures
    bool allow_requantize = false;       // --allow-requantize
    bool quantize_output_tensor = true;  // false: --leave-output-tensor
    std::optional<GgmlType> output_tensor_type;    // --output-tensor-type
    std::optional<GgmlType> token_embedding_type;  // --token-embedding-type
    std::vector<TensorTypeOverride> tensor_types;  // --tensor-type, first match wins
    std::vector<std::pair<std::string, GgufValue>> kv_overrides;  // --override-kv, written in order
    bool has_imatrix = false;            // an importance matrix will be supplied
    bool dry_run = false;                // plan only: report problems instead of throwing
};

// The hyperparameters llama-quant.cpp's rules look at.
struct ModelInfo {
    std::string arch;
    int n_layer = 0;
    int n_head = 0;     // of layer 0
    int n_head_kv = 0;  // of layer 0
    int n_expert = 0;
    bool is_70b = false;  // llama.cpp's LLM_TYPE_70B (80 layers with GQA)
    int n_gqa() const { return n_head_kv == 0 ? 0 : n_head / n_head_kv; }
};

// Throws Error(Unsupported) for architectures other than llama and
// Error(Format) when a required key is missing.
ModelInfo read_model_info(const GgufHeader& h);

struct PlannedTensor {
    size_t input_index = 0;  // into GgufHeader::tensors
    std::string name;
    std::vector<int64_t> ne;
    GgmlType old_type = GgmlType::F32;
    GgmlType new_type = GgmlType::F32;
    bool allows_quantization = false;  // 2-D+ *weight, not a norm, ...
    bool convert = false;              // new_type != old_type: data is rewritten
    bool requantize = false;           // convert from an already quantized type
    int override_index = -1;           // the --tensor-type that decided it
    bool fell_back = false;            // the row length did not fit the chosen type
    GgmlType fallback_from = GgmlType::F32;
    bool requires_imatrix = false;
    uint64_t old_bytes = 0;
    uint64_t new_bytes = 0;
};

struct OverrideReport {
    TensorTypeOverride override_;
    std::vector<std::string> applied;          // tensors this pattern decided
    std::vector<std::string> not_quantizable;  // matching names llama-quantize never quantizes
    bool ignored_for_ftype = false;            // F32/F16/BF16 ftypes ignore --tensor-type
};

struct QuantPlan {
    LlamaFtype ftype = LlamaFtype::MOSTLY_Q8_0;
    ModelInfo model;
    std::vector<PlannedTensor> tensors;  // output order (llama-quantize's: by layer, then name)
    std::vector<OverrideReport> overrides;
    std::vector<std::string> messages;   // override and fallback notes, llama-quantize's wording
    std::vector<std::string> warnings;   // problems a dry run reports instead of throwing
    int n_fallback = 0;
    int n_requantize = 0;
    bool needs_imatrix = false;
    uint64_t n_elements = 0;
    uint64_t old_bytes = 0;
    uint64_t new_bytes = 0;

    double old_bpw() const { return n_elements ? 8.0 * double(old_bytes) / double(n_elements) : 0.0; }
    double new_bpw() const { return n_elements ? 8.0 * double(new_bytes) / double(n_elements) : 0.0; }
};

// Throws what llama-quantize throws at the same point (no fallback for a
// row length, a regex that does not compile, a type override whose block
// does not divide the row) and, unless params.dry_run, refuses to
// requantize without allow_requantize and to produce tensors that need an
// importance matrix without one.
QuantPlan plan_quantization(const GgufHeader& input, const QuantizeParams& params);

// llama.cpp's order of weights (llama_model_loader::weight_name_comparer):
// non-layer tensors first, then by layer number, then by name.
bool llama_weight_order_less(const std::string& a, const std::string& b);

// True for F32/F16/BF16 (types ggml does not count as quantized).
bool is_float_type(GgmlType t);

// Types a GGUF weight can be written in by quantlab (no Q8_1 / Q8_K).
bool is_storable_type(GgmlType t);

}  // namespace quantlab
