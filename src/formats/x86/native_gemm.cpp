#include "formats/x86/native_gemm.h"

namespace quantlab::x86 {

namespace {

const LevelKernels* level_table(Level level) {
    if (!cpu_supports(level)) return nullptr;
    switch (level) {
        case Level::Avx512Vnni: return &kernels_avx512vnni;
        case Level::AvxVnni: return &kernels_avxvnni;
        case Level::Avx2: return &kernels_avx2;
        default: return nullptr;
    }
}

}  // namespace

GemmFn native_gemm(GgmlType t, Level level) {
    const LevelKernels* k = level_table(level);
    return k ? k->gemm(t) : nullptr;
}

QuantizeRowFn native_quantize_row(GgmlType t, Level level) {
    const LevelKernels* k = level_table(level);
    return k ? k->quantize_row(t) : nullptr;
}

}  // namespace quantlab::x86
