// Everything the x86 kernel bodies include, for a level's translation unit to
// include before its target pragma: inline functions of shared headers must
// be compiled for the baseline ISA (their copies are merged across files).
#pragma once

#include "formats/x86/intrinsics.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/ggml_type.h"
#include "formats/iq_grids.h"
#include "formats/kernel_types.h"
#include "formats/mxfp4_tables.h"
#include "formats/ref/iq2_search.h"
#include "formats/ref/ternary_quants_ref.h"
#include "formats/simd128/iq1_unpack_simd128.h"
#include "formats/simd128/iq2_unpack_simd128.h"
#include "formats/simd128/iq3_unpack_simd128.h"
#include "formats/simd128/k_quants_unpack_simd128.h"
#include "formats/simd128/legacy_quants_simd128.h"
#include "formats/x86/native_gemm.h"
