// <immintrin.h> for the native x86 kernel files: include it before any other
// header that might pull it in, and open a target_<level>_begin.h after all
// includes.
#pragma once

// GCC 12 flags the deliberately undefined source operands inside its own
// AVX-512 intrinsic headers (_mm512_undefined_*) as uninitialized; its
// diagnostic state is taken where the header's lines are, so this precedes it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
