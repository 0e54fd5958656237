// Compile the functions that follow for AVX-512 F/BW/VL + VNNI (and the F16C
// and BMI2 every such CPU has) without raising the whole file's (or
// program's) ISA: headers are included before this one and keep the baseline
// target, so no inline function another file might share gets compiled with
// instructions an older CPU lacks. Close with
// target_end.h. Callers check x86::cpu_supports(Level::Avx512Vnni) first.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,bmi2"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,bmi2")
#endif
