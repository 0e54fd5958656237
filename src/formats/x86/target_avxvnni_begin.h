// Compile the functions that follow for AVX2 + FMA + F16C + BMI2 + AVX-VNNI
// (Alder Lake, Zen 5 and later: vpdpbusd on 256-bit registers without
// AVX-512), without raising the whole file's ISA (see
// target_avx512vnni_begin.h). Close with target_end.h. Callers check
// x86::cpu_supports(Level::AvxVnni) first.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi2,avxvnni"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2,avxvnni")
#endif
