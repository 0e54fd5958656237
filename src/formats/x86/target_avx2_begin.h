// Compile the functions that follow for AVX2 + FMA + F16C + BMI2 (Haswell,
// Zen 1 and later) without raising the whole file's (or program's) ISA; see
// target_avx512vnni_begin.h for why headers go before it. Close with
// target_end.h. Callers check x86::cpu_supports(Level::Avx2) first. FMA is
// allowed, never used: -ffp-contract=off keeps multiplies and adds apart, as
// the SIMD128 kernels (and ggml's reference code) have them.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi2"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2")
#endif
