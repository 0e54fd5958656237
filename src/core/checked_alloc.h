// Buffers whose size comes from untrusted numbers (GGUF metadata, a context
// length, JS arguments). The element count is a product of int64 factors; it
// is checked for overflow and against what one allocation can hold before
// anything is allocated, so a hostile file gets Error(OutOfMemory) naming
// the size, never a size_t that silently wrapped (wasm32's size_t is 32 bits)
// or an abort from the allocator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include "core/error.h"

namespace quantlab {

// The most bytes one allocation may ask for: std::vector's own limit
// (PTRDIFF_MAX: 2 GiB - 1 in wasm32, where the heap itself ends at 4 GiB).
constexpr uint64_t kMaxAllocationBytes = uint64_t(PTRDIFF_MAX);

// The product of the factors, or UINT64_MAX when a factor is negative or
// the product does not fit 64 bits.
uint64_t checked_product(std::initializer_list<int64_t> factors);

// Error(OutOfMemory): "cannot allocate N bytes (X GiB) for <what>".
[[noreturn]] void throw_out_of_memory(uint64_t bytes, const std::string& what);

// Throws Error(OutOfMemory) when count elements of elem_size bytes exceed
// kMaxAllocationBytes; returns count as a size_t otherwise.
size_t checked_count(uint64_t count, size_t elem_size, const std::string& what);

// v.assign(product of dims, T()) with the checks above; a failed allocation
// also becomes Error(OutOfMemory) naming the size.
template <class T>
void assign_checked(std::vector<T>& v, std::initializer_list<int64_t> dims, const std::string& what) {
    const uint64_t count = checked_product(dims);
    const size_t n = checked_count(count, sizeof(T), what);
    try {
        v.assign(n, T());
    } catch (const std::bad_alloc&) {
        throw_out_of_memory(uint64_t(n) * sizeof(T), what);
    }
}

}  // namespace quantlab
