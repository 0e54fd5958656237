// The avx512vnni level of the format kernels: every body compiled for VecAvx512.
#include "formats/x86/kernel_deps.h"
#include "formats/x86/target_avx512vnni_begin.h"
#include "formats/x86/vec_avx512.h"
#include "formats/x86/kernel_bodies.h"

const quantlab::x86::LevelKernels quantlab::x86::kernels_avx512vnni = quantlab::x86::level_kernels<quantlab::x86::VecAvx512>();

#include "formats/x86/target_end.h"
