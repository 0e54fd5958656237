// Which native x86 kernel sets this process may run: the CPU has the
// instructions, the OS saves their registers, and the user did not turn them
// off with QUANTLAB_X86_KERNELS=off (for benchmarking the SIMD128 path alone).
#pragma once

namespace quantlab::x86 {

// AVX-512 F/BW/VL plus VNNI (vpdpbusd) and BMI2, checked once per process.
bool has_avx512vnni();

// The name of the native gemm ISA in use ("avx512vnni"), or nullptr when the
// SIMD128 kernels run alone.
const char* active_gemm_isa();

}  // namespace quantlab::x86
