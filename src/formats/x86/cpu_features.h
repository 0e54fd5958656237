// Which native x86 kernel level this process runs: the CPU has the
// instructions, the OS saves their registers, and QUANTLAB_X86_KERNELS does
// not ask for less (avx512 | avxvnni | avx2 | off; for benchmarks and tests).
#pragma once

#include <vector>

namespace quantlab::x86 {

// Kernel levels, each one source (src/formats/x86/*_body.h, src/model/x86)
// compiled for a vector width (vec_avx2.h, vec_avx512.h).
enum class Level {
    Off = 0,         // the SIMD128 kernels alone (through SIMDe)
    Avx2 = 1,        // AVX2 + FMA + F16C + BMI2, 256-bit, int8 dots by vpmaddubsw + vpmaddwd
    AvxVnni = 2,     // the same + AVX-VNNI, 256-bit, int8 dots by vpdpbusd
    Avx512Vnni = 3,  // AVX-512 F/BW/VL + VNNI + BMI2, 512-bit, int8 dots by vpdpbusd
};

const char* level_name(Level level);  // "off", "avx2", "avxvnni", "avx512vnni"

// Whether this CPU (and OS) can run the level, whatever the environment says.
bool cpu_supports(Level level);

// Every level this CPU runs, best first, Off last (the kernel tests loop over them).
std::vector<Level> supported_levels();

// The level in use: the best the CPU runs, or the best at or below what
// QUANTLAB_X86_KERNELS asks for ("avx512", "avxvnni", "avx2", "off"/"0").
// An unknown value is reported on stderr once and ignored. Read once per
// process.
Level active_level();

// The name of the active level, or nullptr when the SIMD128 kernels run alone.
const char* active_gemm_isa();

}  // namespace quantlab::x86
