// The avxvnni level of the format kernels: every body compiled for VecAvxVnni.
#include "formats/x86/kernel_deps.h"
#include "formats/x86/target_avxvnni_begin.h"
#include "formats/x86/vec_avx2.h"
#include "formats/x86/kernel_bodies.h"

const quantlab::x86::LevelKernels quantlab::x86::kernels_avxvnni = quantlab::x86::level_kernels<quantlab::x86::VecAvxVnni>();

#include "formats/x86/target_end.h"
