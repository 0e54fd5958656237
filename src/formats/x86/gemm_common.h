// What the two gemm bodies (legacy_quants_gemm_body.h, superblock_gemm_body.h)
// share: how a format's weights meet a level's int8 dot product, the split
// between a single token and a batch, and the type -> kernel lookup.
#pragma once

#include "formats/ggml_type.h"
#include "formats/kernel_types.h"

namespace quantlab::x86 {
namespace {

// How the weights of format F (u = w + F::kOffset <= F::kMaxU) meet level V's
// dot_us: signed weights (dot_us on |w| and sign-moved activations) when u
// could saturate vpmaddubsw, else u, each lane starting from -kOffset times
// its activations' sum (vec_x86.h).
template <class V, class F>
struct Meet {
    static constexpr bool kSigned = !V::kVnni && F::kMaxU > 128;
    static constexpr int kOffset = kSigned ? 0 : F::kOffset;
    static_assert(!kSigned || F::kOffset == 128, "signed weights are u ^ 0x80");
    // The weight operand from u.
    template <class W>
    static typename W::I operand(typename W::I u) {
        return kSigned ? W::xor_(u, W::set1_i8(int8_t(0x80))) : u;
    }
    // acc + the lane sums of w * a, w given as operand().
    template <class W>
    static typename W::I dot(typename W::I acc, typename W::I w, typename W::I a) {
        if constexpr (kSigned) {
            return W::dot_us(acc, W::abs_i8(w), W::sign_i8(a, w));
        } else {
            return W::dot_us(acc, w, a);
        }
    }
    // acc + the lane sums of w0 * a0 + w1 * a1. Without VNNI, when the int16
    // pair sums of both fit, they are added before one vpmaddwd.
    template <class W>
    static typename W::I dot2(typename W::I acc, typename W::I w0, typename W::I a0, typename W::I w1, typename W::I a1) {
        if constexpr (!W::kVnni && !kSigned && 2 * 2 * F::kMaxU * 127 <= 32767) {
            return W::add_i32(acc, W::madd_i16(W::add_i16(W::maddubs(w0, a0), W::maddubs(w1, a1)), W::set1_i16(1)));
        } else {
            return dot<W>(dot<W>(acc, w0, a0), w1, a1);
        }
    }
};

using GemvFn = void (*)(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, float* y);

// A GemmFn: one token takes the row-by-row path, a batch the tiled one.
template <GemvFn Gemv, GemmFn Gemm>
void gemm_entry(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                int64_t n_tokens, float* y, size_t y_stride) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    if (n_tokens == 1) {
        Gemv(n, w, w_row_bytes, n_rows, a, y);
        return;
    }
    Gemm(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

// make(F{}) for the format F among Formats whose kType is t, or nullptr.
template <class... Formats, class Make>
GemmFn pick_gemm(GgmlType t, Make make) {
    GemmFn g = nullptr;
    ((Formats::kType == t ? (void)(g = make(Formats{})) : (void)0), ...);
    return g;
}

}  // namespace
}  // namespace quantlab::x86
