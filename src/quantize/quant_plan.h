// The per-tensor type choice of llama-quantize (llama.cpp src/llama-quant.cpp:
// tensor_allows_quantization, llama_tensor_get_type, llama_tensor_get_type_impl,
// tensor_type_fallback, tensor_requires_imatrix and the preliminary loop of
// llama_model_quantize_impl), computed from a GGUF header alone so it can run
// before any tensor data is read: a dry run, a size estimate, or the first
// step of a streaming quantization.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/ggml_type.h"
#include "gguf/gguf_file.h"
#include "quantize/ftype.h"
#include "quantize/kv_override.h"

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

struct QuantizeParams {
    LlamaFtype ftype = LlamaFtype::MOSTLY_Q8_0;
    bool pure = false;                   // --pure: no k-quant mixtures
    bool allow_requantize = false;       // --allow-requantize
    bool quantize_output_tensor = true;  // false: --leave-output-tensor
    std::optional<GgmlType> output_tensor_type;    // --output-tensor-type
    std::optional<GgmlType> token_embedding_type;  // --token-embedding-type
    std::vector<TensorTypeOverride> tensor_types;  // --tensor-type, first match wins
    bool has_imatrix = false;            // an importance matrix will be supplied
    bool dry_run = false;                // plan only: report problems instead of throwing
    std::vector<int> prune_layers;       // --prune-layers (parse_prune_layers: sorted, unique)
    std::vector<KvOverride> kv_overrides;  // --override-kv, in order
    bool keep_split = false;             // --keep-split: one output file per input part
    uint64_t split_max_size = 0;         // --split-max-size in bytes (gguf-split's rule); 0: one file
};

// "L0,L1,..." as llama-quantize's --prune-layers: non-negative layer numbers
// (each read like std::stoi), returned sorted without repeats. Throws
// Error(InvalidArgument) naming a bad entry.
std::vector<int> parse_prune_layers(const std::string& arg);

// "N" bytes, or "NM" / "NG" (10^6 / 10^9 bytes) as gguf-split's
// --split-max-size. Throws Error(InvalidArgument).
uint64_t parse_split_size(const std::string& arg);

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
// Error(Format) when a required key is missing. Integer overrides of the
// keys read replace the file's values, as llama.cpp's loader reads them.
ModelInfo read_model_info(const GgufHeader& h, const std::vector<KvOverride>& overrides = {});

struct PlannedTensor {
    size_t input_index = 0;  // into GgufHeader::tensors
    std::string name;        // in the output (--prune-layers renumbers blk.N)
    std::string input_name;  // in the input; the imatrix is looked up by it
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
    int output_file = 0;  // which output file holds it (--keep-split / --split-max-size)
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
    std::vector<std::string> pruned;     // input tensors --prune-layers dropped
    int block_count = 0;                 // written as <arch>.block_count after --prune-layers
    int n_output_files = 1;
    bool split_output = false;           // written as split files (even one: --keep-split of one file)
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

// s padded with spaces to w characters, as llama-quantize pads tensor names in its log lines.
std::string padded_name(const std::string& s, size_t w);

// True for F32/F16/BF16 (types ggml does not count as quantized).
bool is_float_type(GgmlType t);

// Types a GGUF weight can be written in by quantlab (no Q8_1 / Q8_K).
bool is_storable_type(GgmlType t);

}  // namespace quantlab
