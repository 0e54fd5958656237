#include "formats/x86/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace quantlab::x86 {

namespace {

constexpr Level kAllLevels[] = {Level::Avx512Vnni, Level::AvxVnni, Level::Avx2, Level::Off};

// libgcc's / compiler-rt's CPU model also checks XCR0, so a kernel that
// does not save ymm / zmm state reports neither AVX2 nor AVX-512.
bool has_avx2() {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
           __builtin_cpu_supports("bmi2");
}

bool detect(Level level) {
    switch (level) {
        case Level::Avx512Vnni:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
                   __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c");
        case Level::AvxVnni: return has_avx2() && __builtin_cpu_supports("avxvnni");
        case Level::Avx2: return has_avx2();
        default: return true;
    }
}

// The highest level QUANTLAB_X86_KERNELS allows.
Level requested_cap() {
    const char* v = std::getenv("QUANTLAB_X86_KERNELS");
    if (!v || !*v) return Level::Avx512Vnni;
    if (!std::strcmp(v, "off") || !std::strcmp(v, "0")) return Level::Off;
    if (!std::strcmp(v, "avx2")) return Level::Avx2;
    if (!std::strcmp(v, "avxvnni")) return Level::AvxVnni;
    if (!std::strcmp(v, "avx512") || !std::strcmp(v, "avx512vnni")) return Level::Avx512Vnni;
    std::fprintf(stderr, "quantlab: ignoring QUANTLAB_X86_KERNELS=%s (expected avx512, avxvnni, avx2 or off)\n", v);
    return Level::Avx512Vnni;
}

}  // namespace

const char* level_name(Level level) {
    switch (level) {
        case Level::Avx2: return "avx2";
        case Level::AvxVnni: return "avxvnni";
        case Level::Avx512Vnni: return "avx512vnni";
        default: return "off";
    }
}

bool cpu_supports(Level level) {
    static const bool yes[4] = {true, detect(Level::Avx2), detect(Level::AvxVnni), detect(Level::Avx512Vnni)};
    return yes[int(level)];
}

std::vector<Level> supported_levels() {
    std::vector<Level> out;
    for (Level l : kAllLevels) {
        if (cpu_supports(l)) out.push_back(l);
    }
    return out;
}

Level active_level() {
    static const Level level = [] {
        const Level cap = requested_cap();
        for (Level l : kAllLevels) {
            if (int(l) <= int(cap) && cpu_supports(l)) return l;
        }
        return Level::Off;
    }();
    return level;
}

const char* active_gemm_isa() { return active_level() == Level::Off ? nullptr : level_name(active_level()); }

}  // namespace quantlab::x86
