#include "model/x86/attention_kernels_x86.h"

namespace quantlab::x86 {

const AttentionKernels* attention_kernels(Level level) {
    if (!cpu_supports(level)) return nullptr;
    switch (level) {
        case Level::Avx512Vnni: return &attention_kernels_avx512vnni();
        case Level::AvxVnni:  // attention has no int8 dot product: AVX2's kernels
        case Level::Avx2: return &attention_kernels_avx2();
        default: return nullptr;
    }
}

}  // namespace quantlab::x86
