// The formats a mixed-precision plan may give a tensor, discovered from the
// traits table so that new weight formats join without changes here, and the
// constraints ggml and llama-quantize put on each choice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/ggml_type.h"

namespace quantlab {

// Every storable quantized type the engine can multiply by (a dot product in
// the traits table), in increasing bits per weight, then F16 at the top.
// BF16 and F32 are left out: F16 is as precise for trained weights and smaller.
std::vector<GgmlType> default_candidate_types();

// "q4_K,q5_K,f16" (any case, commas or spaces). Throws Error(UnknownType) for
// an unknown name and Error(Unsupported) for a type no weight can be stored in.
std::vector<GgmlType> parse_candidate_types(const std::string& list);

// llama-quant.cpp's tensor_requires_imatrix for the per-tensor choice: the
// 1-2 bit i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS) need an
// importance matrix except for token_embd.weight and output.weight.
bool type_requires_imatrix(GgmlType type, const std::string& tensor_name);

// Why tensor `name` with rows of n_per_row values cannot be stored as type,
// or "" when it can: the row must be whole blocks, and imatrix-only types need
// an importance matrix (has_imatrix: one with an entry for this tensor).
std::string candidate_rejection(GgmlType type, const std::string& name, int64_t n_per_row, bool has_imatrix);

}  // namespace quantlab
