#include "formats/x86/cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace quantlab::x86 {

namespace {

bool disabled_by_env() {
    const char* v = std::getenv("QUANTLAB_X86_KERNELS");
    return v && (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0);
}

}  // namespace

bool has_avx512vnni() {
    // libgcc's/compiler-rt's CPU model also checks XCR0, so a kernel that does
    // not save zmm state reports no AVX-512.
    static const bool yes = !disabled_by_env() && __builtin_cpu_supports("avx512f") &&
                            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                            __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("bmi2");
    return yes;
}

const char* active_gemm_isa() { return has_avx512vnni() ? "avx512vnni" : nullptr; }

}  // namespace quantlab::x86
