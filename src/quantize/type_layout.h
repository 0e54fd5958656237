// How a tensor of each type the quantization plan can choose is stored
// (ggml's name, values per block, bytes per block), whether or not quantlab
// has kernels for it yet: a plan, a dry run and a size estimate need only
// this. Types with a row in the traits table take it from there; the lattice
// and ternary types whose kernels are still to come take it from their block
// structs (formats/block_types.h). has_kernels() says whether a tensor of the
// type can actually be written (and read back for requantizing).
#pragma once

#include <cstddef>
#include <cstdint>

#include "formats/ggml_type.h"

namespace quantlab {

struct TypeLayout {
    const char* name;
    int64_t block_size;
    size_t type_size;
};

// Throws Error(UnknownType) for ids that are neither in the traits table nor
// one of the planned types.
const TypeLayout& type_layout(GgmlType t);

// True when the traits table has quantize and dequantize kernels for t.
bool has_kernels(GgmlType t);

// The layout from the block structs alone (nullptr for types not planned that
// way): what type_layout falls back to before a type's traits row exists.
const TypeLayout* block_struct_layout(GgmlType t);

}  // namespace quantlab
