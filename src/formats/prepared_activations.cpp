#include "formats/prepared_activations.h"

#include <atomic>

namespace quantlab {

namespace {
std::atomic<uint64_t> last_activation_tag{0};
thread_local uint64_t tls_activation_tag = 0;
}  // namespace

uint64_t new_activation_tag() { return last_activation_tag.fetch_add(1, std::memory_order_relaxed) + 1; }

uint64_t current_activation_tag() { return tls_activation_tag; }

ActivationTagScope::ActivationTagScope(uint64_t tag) : saved_(tls_activation_tag) { tls_activation_tag = tag; }

ActivationTagScope::~ActivationTagScope() { tls_activation_tag = saved_; }

bool PreparedActivations::holds(const void* a, size_t a_row_bytes, int64_t n_tokens, int64_t n, int layout) {
    const uint64_t tag = tls_activation_tag;
    if (tag != 0 && held_.tag == tag && held_.a == a && held_.a_row_bytes == a_row_bytes &&
        held_.n_tokens == n_tokens && held_.n == n && held_.layout == layout) {
        return true;
    }
    held_ = Key{};  // about to be overwritten: if that throws, nothing is claimed
    pending_ = Key{tag, a, a_row_bytes, n_tokens, n, layout};
    return false;
}

}  // namespace quantlab
