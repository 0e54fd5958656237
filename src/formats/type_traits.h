// The one table every caller goes through to learn what a GGML type is and
// which kernels implement it (the role ggml's type_traits plays).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/ggml_type.h"
#include "formats/kernel_types.h"

namespace quantlab {

enum class KernelVariant {
    Ref,      // portable scalar reference: the definition of correct
    Simd128,  // WebAssembly SIMD128 (natively through SIMDe)
};

struct TypeTraits {
    const char* name;           // ggml's name, e.g. "q4_K"
    GgmlType type;
    int64_t block_size;         // values per block (1 for plain float types)
    size_t type_size;           // bytes per block
    bool is_quantized;
    GgmlType vec_dot_type;      // activation format the dot product pairs with
    bool uses_imatrix;          // quantize() honours an importance matrix
    KernelSet ref;
    KernelSet simd128;          // entries left null fall back to ref

    double bits_per_weight() const { return 8.0 * double(type_size) / double(block_size); }
};

// All known types, in ggml id order.
const std::vector<TypeTraits>& all_type_traits();

// Throws Error(UnknownType) for ids quantlab does not implement.
const TypeTraits& type_traits(GgmlType type);

// Case-insensitive lookup by ggml name ("Q4_K", "q4_k", "bf16").
// Throws Error(UnknownType) naming the offending string.
const TypeTraits& type_traits_by_name(const std::string& name);

// True when the SIMD128 kernels were compiled in (CMake QUANTLAB_SIMD128).
bool simd128_compiled();

// The variant callers get unless they ask for one: SIMD128 when compiled in.
KernelVariant default_kernel_variant();
const char* kernel_variant_name(KernelVariant v);

// The native ISA whose kernels stand in for SIMD128 ones in this process
// ("avx512vnni"), or nullptr when the SIMD128 kernels run alone.
const char* native_kernel_isa();

// The kernels a variant resolves to; SIMD128 entries that do not exist fall
// back to the reference one, so the result is always complete.
KernelSet resolve_kernels(const TypeTraits& t, KernelVariant v);

// Bytes of one row of n_per_row values (which must be a multiple of block_size).
size_t row_size(const TypeTraits& t, int64_t n_per_row);

// ggml_quantize_requires_imatrix: the types ggml refuses to quantize without
// an importance matrix (IQ2_XXS, IQ2_XS, IQ1_S). quantize() throws
// Error(InvalidArgument) with imatrix_required_message for them.
bool quantize_requires_imatrix(GgmlType type);

// What to tell a caller that quantized such a type without weights: the
// reason and how to get an importance matrix (`quantlab imatrix`).
std::string imatrix_required_message(const char* type_name);

}  // namespace quantlab
