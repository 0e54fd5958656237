// Single-precision matrix multiply for training, in the GotoBLAS/BLIS shape:
// panels of A and B are packed into contiguous buffers sized for the caches,
// and a register-blocked micro-kernel (6x16 floats) does the arithmetic. On
// x86-64 the micro-kernel is an AVX2+FMA function chosen at run time when the
// CPU has those units (the build itself targets baseline x86-64); elsewhere a
// portable version that the compiler vectorizes.
//
// Every element of C is computed by the same sequence of operations wherever
// its tile lies and whichever thread runs it (edge tiles are zero-padded, not
// special-cased; K is always cut at the same block boundaries), so results are
// reproducible and independent of the number of threads.
#pragma once

#include <cstdint>

#include "parallel/thread_pool.h"

namespace quantlab {

// C[M][N] = beta * C + op(A) * op(B), beta 0 or 1, all row-major:
//   op(A)[i][p] = trans_a ? A[p * lda + i] : A[i * lda + p]
//   op(B)[p][j] = trans_b ? B[j * ldb + p] : B[p * ldb + j]
// With beta 0, C need not be initialized.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool& pool);

// The same product on the calling thread only, for use inside a pool task.
void sgemm_serial(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Name of the micro-kernel in use ("avx2+fma" or "portable"), for logs.
const char* sgemm_kernel_name();

}  // namespace quantlab
