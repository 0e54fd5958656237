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

}  // namespace quantlab
