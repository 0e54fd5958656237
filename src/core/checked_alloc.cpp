#include "core/checked_alloc.h"

#include <cstdio>

namespace quantlab {

uint64_t checked_product(std::initializer_list<int64_t> factors) {
    uint64_t p = 1;
    for (const int64_t f : factors) {
        if (f < 0) return UINT64_MAX;
        if (f != 0 && p > UINT64_MAX / uint64_t(f)) return UINT64_MAX;
        p *= uint64_t(f);
    }
    return p;
}

void throw_out_of_memory(uint64_t bytes, const std::string& what) {
    char size[96];
    if (bytes == UINT64_MAX) {
        std::snprintf(size, sizeof size, "more than 2^64 bytes");
    } else {
        std::snprintf(size, sizeof size, "%llu bytes (%.2f GiB)", (unsigned long long)bytes,
                      double(bytes) / (1024.0 * 1024.0 * 1024.0));
    }
    throw Error(ErrorCode::OutOfMemory, std::string("cannot allocate ") + size + " for " + what);
}

size_t checked_count(uint64_t count, size_t elem_size, const std::string& what) {
    if (count > kMaxAllocationBytes / elem_size) {
        throw_out_of_memory(count == UINT64_MAX || count > UINT64_MAX / elem_size ? UINT64_MAX : count * elem_size,
                            what);
    }
    return size_t(count);
}

}  // namespace quantlab
