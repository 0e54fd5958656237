// Lets a gemm skip laying out activation rows it laid out a moment before.
//
// Every gemm first rewrites its activation rows (Q8_0 / Q8_1 / Q8_K) into the
// order its tiles read, in a per-thread buffer. The engine multiplies the same
// rows by several matrices (q, k and v share theirs; so do gate and up) and,
// in the browser build, cuts each product into up to four row slices per
// thread so that a thread the browser holds up delays one slice, not half the
// matrix (LlamaContext::mul). Each of those calls laid the same rows out
// again: at 2 threads, 8 times per product where 1 thread does it once.
//
// A caller that will not change its rows between calls names them with a tag
// (new_activation_tag) and runs its gemm calls inside an ActivationTagScope. A
// gemm's PreparedActivations then skips laying the rows out again when
// this thread's buffer holds them under the same tag, pointer, row size, count
// and layout. Without a scope (tag 0) every call prepares its rows as before,
// so other callers (tests, benchmarks, the quantizers) are unaffected.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

// A program-wide unique, nonzero tag for one set of activation rows; a caller
// takes a new one whenever it rewrites the rows.
uint64_t new_activation_tag();

// The calling thread's tag while a scope is open, else 0.
uint64_t current_activation_tag();

// Sets this thread's tag for the gemm calls made inside the scope (scopes nest).
class ActivationTagScope {
public:
    explicit ActivationTagScope(uint64_t tag);
    ~ActivationTagScope();
    ActivationTagScope(const ActivationTagScope&) = delete;
    ActivationTagScope& operator=(const ActivationTagScope&) = delete;

private:
    uint64_t saved_;
};

// What one per-thread activation buffer holds. Use:
//   static thread_local Buffer acts; static thread_local PreparedActivations held;
//   held.prepare(a, a_row_bytes, n_tokens, n, layout, [&] { lay the rows out into acts; });
// `layout` tells apart buffers that one function fills differently (an offset).
class PreparedActivations {
public:
    // Runs lay_out() unless the buffer already holds these rows under the
    // current tag; returns whether it ran. While lay_out() runs the buffer
    // claims nothing, so rows it leaves half written (it threw) are not reused.
    template <class LayOut>
    bool prepare(const void* a, size_t a_row_bytes, int64_t n_tokens, int64_t n, int layout, LayOut lay_out) {
        const Key want{current_activation_tag(), a, a_row_bytes, n_tokens, n, layout};
        if (want.tag != 0 && want == held_) return false;
        held_ = Key{};
        lay_out();
        held_ = want;
        return true;
    }

private:
    struct Key {
        uint64_t tag = 0;
        const void* a = nullptr;
        size_t a_row_bytes = 0;
        int64_t n_tokens = 0, n = 0;
        int layout = 0;
        bool operator==(const Key& o) const {
            return tag == o.tag && a == o.a && a_row_bytes == o.a_row_bytes && n_tokens == o.n_tokens && n == o.n &&
                   layout == o.layout;
        }
    };
    Key held_;
};

}  // namespace quantlab
