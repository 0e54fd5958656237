// The avx2 level of the format kernels: every body compiled for VecAvx2.
#include "formats/x86/kernel_deps.h"
#include "formats/x86/target_avx2_begin.h"
#include "formats/x86/vec_avx2.h"
#include "formats/x86/kernel_bodies.h"

const quantlab::x86::LevelKernels quantlab::x86::kernels_avx2 = quantlab::x86::level_kernels<quantlab::x86::VecAvx2>();

#include "formats/x86/target_end.h"
