// What the bytes of one block of each format are, field by field, for
// people: the web app draws them to scale ("Q4_K = d, dmin, scales[12],
// qs[128] = 144 bytes per 256 weights"). The table is checked against the
// structs of block_types.h at compile time, so it cannot drift from the
// layout the kernels use.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/ggml_type.h"

namespace quantlab {

struct BlockField {
    const char* name;   // the struct member, e.g. "scales"
    uint32_t bytes;     // its size in the block
    const char* what;   // what it holds
};

// The fields of one block of type t in storage order, or an empty list for
// a type this table does not describe yet.
const std::vector<BlockField>& block_layout(GgmlType t);

}  // namespace quantlab
