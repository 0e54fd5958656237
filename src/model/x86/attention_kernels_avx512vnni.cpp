// The avx512vnni level of attention's inner loops.
#include "formats/x86/intrinsics.h"

#include <cstdint>
#include <cstdlib>
#include <new>

#include "model/x86/attention_kernels_x86.h"

#include "formats/x86/target_avx512vnni_begin.h"
#include "formats/x86/vec_avx512.h"
#include "model/x86/attention_kernels_body.h"

namespace quantlab::x86 {
const AttentionKernels& attention_kernels_avx512vnni() {
    static constexpr AttentionKernels k = attention_kernels_for<VecAvx512>();
    return k;
}
}  // namespace quantlab::x86

#include "formats/x86/target_end.h"
