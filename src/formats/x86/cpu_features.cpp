#include "formats/x86/cpu_features.h"

#include <cpuid.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace quantlab::x86 {

namespace {

constexpr Level kAllLevels[] = {Level::Avx512Vnni, Level::AvxVnni, Level::Avx2, Level::Off};

// Read from CPUID and XGETBV directly (Intel SDM vol. 2A, CPUID leaves 1
// and 7; vol. 1 ch. 13 for XCR0) rather than __builtin_cpu_supports: clang
// 14 (Debian 12's) rejects "f16c", "bmi2" and "avxvnni" as feature names.
struct CpuBits {
    bool fma = false, f16c = false, avx2 = false, bmi2 = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false, avxvnni = false;
    bool os_ymm = false, os_zmm = false;  // the OS saves ymm / zmm state (XCR0)
};

CpuBits read_cpu_bits() {
    CpuBits b;
    unsigned a = 0, bx = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &bx, &c, &d)) return b;
    const unsigned max_leaf = a;
    __get_cpuid(1, &a, &bx, &c, &d);
    const bool osxsave = c & (1u << 27), avx = c & (1u << 28);
    b.fma = c & (1u << 12);
    b.f16c = c & (1u << 29);
    if (osxsave && avx) {
        unsigned lo = 0, hi = 0;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        b.os_ymm = (lo & 0x6) == 0x6;             // XMM and YMM state
        b.os_zmm = b.os_ymm && (lo & 0xE0) == 0xE0;  // opmask, ZMM0-15 high halves, ZMM16-31
    }
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, bx, c, d);
        b.avx2 = bx & (1u << 5);
        b.bmi2 = bx & (1u << 8);
        b.avx512f = bx & (1u << 16);
        b.avx512bw = bx & (1u << 30);
        b.avx512vl = bx & (1u << 31);
        b.avx512vnni = c & (1u << 11);
        __cpuid_count(7, 1, a, bx, c, d);
        b.avxvnni = a & (1u << 4);
    }
    return b;
}

bool detect(Level level) {
    static const CpuBits b = read_cpu_bits();
    const bool avx2 = b.os_ymm && b.avx2 && b.fma && b.f16c && b.bmi2;
    switch (level) {
        case Level::Avx512Vnni:
            return b.os_zmm && b.avx512f && b.avx512bw && b.avx512vl && b.avx512vnni && b.bmi2 && b.f16c;
        case Level::AvxVnni: return avx2 && b.avxvnni;
        case Level::Avx2: return avx2;
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
