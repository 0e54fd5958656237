#include "formats/x86/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace quantlab::x86 {

namespace {

Level best_level() {
    // libgcc's / compiler-rt's CPU model also checks XCR0, so a kernel that
    // does not save ymm / zmm state reports neither AVX2 nor AVX-512.
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("bmi2")) {
        return Level::Avx512Vnni;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
        __builtin_cpu_supports("bmi2")) {
        return Level::Avx2;
    }
    return Level::Off;
}

Level requested_level(Level best) {
    const char* v = std::getenv("QUANTLAB_X86_KERNELS");
    if (!v || !*v) return best;
    Level want;
    if (!std::strcmp(v, "off") || !std::strcmp(v, "0")) {
        want = Level::Off;
    } else if (!std::strcmp(v, "avx2")) {
        want = Level::Avx2;
    } else if (!std::strcmp(v, "avx512") || !std::strcmp(v, "avx512vnni")) {
        want = Level::Avx512Vnni;
    } else {
        std::fprintf(stderr, "quantlab: ignoring QUANTLAB_X86_KERNELS=%s (expected avx512, avx2 or off)\n", v);
        return best;
    }
    return int(want) < int(best) ? want : best;
}

}  // namespace

const char* level_name(Level level) {
    switch (level) {
        case Level::Avx2: return "avx2";
        case Level::Avx512Vnni: return "avx512vnni";
        default: return "off";
    }
}

bool cpu_supports(Level level) {
    static const Level best = best_level();
    return int(level) <= int(best);
}

std::vector<Level> supported_levels() {
    std::vector<Level> out;
    for (Level l : {Level::Avx512Vnni, Level::Avx2, Level::Off}) {
        if (cpu_supports(l)) out.push_back(l);
    }
    return out;
}

Level active_level() {
    static const Level level = requested_level(best_level());
    return level;
}

const char* active_gemm_isa() { return active_level() == Level::Off ? nullptr : level_name(active_level()); }

}  // namespace quantlab::x86
