// The avxvnni level's kernels compiled once more with vpdpbusd's AVX-512 VNNI
// (EVEX) encoding, so that a CPU with AVX-512 VNNI but without AVX-VNNI (the
// project's test machine) checks that level's code: the same bodies, the same
// 256-bit backend, the same instruction; only its encoding differs
// (VecAvx2T<DotKind::VnniEvex> instead of <DotKind::VnniVex>).
#if QUANTLAB_X86_KERNELS
#include "formats/x86/kernel_deps.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi2,avx512f,avx512vl,avx512vnni"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2,avx512f,avx512vl,avx512vnni")
#endif
#include "formats/x86/vec_avx2.h"
#include "formats/x86/kernel_bodies.h"

namespace quantlab::test {
extern const x86::LevelKernels avxvnni_kernels_as_evex;
const x86::LevelKernels avxvnni_kernels_as_evex = x86::level_kernels<x86::VecAvx2T<x86::DotKind::VnniEvex>>();
}  // namespace quantlab::test

#include "formats/x86/target_end.h"
#endif  // QUANTLAB_X86_KERNELS
