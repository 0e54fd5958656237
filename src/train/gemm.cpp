// Blocking after Goto and van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication" (TOMS 2008) and the BLIS micro-kernel design (Van Zee and
// van de Geijn 2015): A is packed into MR-row micro-panels, B into NR-column
// micro-panels, and the micro-kernel keeps an MR x NR block of C in registers.
#include "train/gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__EMSCRIPTEN__)
#define QUANTLAB_GEMM_X86 1
#include <immintrin.h>
#else
#define QUANTLAB_GEMM_X86 0
#endif

namespace quantlab {

namespace {

constexpr int64_t MR = 6;     // rows of C per micro-kernel call
constexpr int64_t NR = 16;    // columns: two 8-float AVX registers
constexpr int64_t KC = 256;   // depth of one packed block: a B micro-panel (16 KB) stays in L1
constexpr int64_t MC = 96;    // rows of A per packed block (96 KB, in L2)
constexpr int64_t NC = 512;   // columns of B per task: each packed A block serves this many

// acc = sum over p of a[p][r] * b[p][c]; then C = acc (first block, beta 0) or C += acc.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);

void micro_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
    float acc[MR][NR];
    for (auto& row : acc)
        for (auto& x : row) x = 0.0f;
    for (int64_t p = 0; p < kc; ++p) {
        const float* bp = b + p * NR;
        for (int64_t r = 0; r < MR; ++r) {
            const float ar = a[p * MR + r];
            for (int64_t j = 0; j < NR; ++j) acc[r][j] += ar * bp[j];
        }
    }
    for (int64_t r = 0; r < MR; ++r) {
        float* cr = c + r * ldc;
        if (accumulate)
            for (int64_t j = 0; j < NR; ++j) cr[j] += acc[r][j];
        else
            for (int64_t j = 0; j < NR; ++j) cr[j] = acc[r][j];
    }
}

#if QUANTLAB_GEMM_X86
__attribute__((target("avx2,fma"))) void micro_avx2(int64_t kc, const float* a, const float* b, float* c,
                                                    int64_t ldc, bool accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_loadu_ps(b + p * NR);
        const __m256 b1 = _mm256_loadu_ps(b + p * NR + 8);
        const float* ap = a + p * MR;
        __m256 x = _mm256_broadcast_ss(ap + 0);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(ap + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(ap + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(ap + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(ap + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40);
        c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(ap + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50);
        c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    const __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int64_t r = 0; r < MR; ++r) {
        float* cr = c + r * ldc;
        if (accumulate) {
            _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), rows[r][0]));
            _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), rows[r][1]));
        } else {
            _mm256_storeu_ps(cr, rows[r][0]);
            _mm256_storeu_ps(cr + 8, rows[r][1]);
        }
    }
}
#endif

MicroKernel pick_kernel() {
#if QUANTLAB_GEMM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return micro_avx2;
#endif
    return micro_portable;
}

const MicroKernel kKernel = pick_kernel();

struct Operand {
    const float* p;
    int64_t ld;
    bool trans;
};

// A block op(A)[i0:i0+mc][p0:p0+kc] into MR-row micro-panels, zero-padded.
void pack_a(const Operand& A, int64_t M, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
    for (int64_t ir = 0; ir < mc; ir += MR) {
        float* panel = out + ir * kc;
        const int64_t rows = std::max<int64_t>(0, std::min(std::min(MR, mc - ir), M - (i0 + ir)));
        if (!A.trans) {
            for (int64_t r = 0; r < rows; ++r) {
                const float* src = A.p + (i0 + ir + r) * A.ld + p0;
                for (int64_t p = 0; p < kc; ++p) panel[p * MR + r] = src[p];
            }
        } else {
            // Rows of op(A) are columns of A: read MR neighbours per line of A.
            for (int64_t p = 0; p < kc; ++p) {
                const float* src = A.p + (p0 + p) * A.ld + i0 + ir;
                for (int64_t r = 0; r < rows; ++r) panel[p * MR + r] = src[r];
            }
        }
        for (int64_t r = rows; r < MR; ++r)
            for (int64_t p = 0; p < kc; ++p) panel[p * MR + r] = 0.0f;
    }
}

// A block op(B)[p0:p0+kc][j0:j0+nc] into NR-column micro-panels, zero-padded.
void pack_b(const Operand& B, int64_t N, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* out) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        float* panel = out + jr * kc;
        const int64_t nj = std::min<int64_t>(NR, std::min(nc - jr, N - (j0 + jr)));
        if (!B.trans) {
            for (int64_t p = 0; p < kc; ++p) {
                const float* src = B.p + (p0 + p) * B.ld + j0 + jr;
                float* dst = panel + p * NR;
                int64_t j = 0;
                for (; j < nj; ++j) dst[j] = src[j];
                for (; j < NR; ++j) dst[j] = 0.0f;
            }
        } else {
            for (int64_t j = 0; j < NR; ++j) {
                if (j < nj) {
                    const float* src = B.p + (j0 + jr + j) * B.ld + p0;
                    for (int64_t p = 0; p < kc; ++p) panel[p * NR + j] = src[p];
                } else {
                    for (int64_t p = 0; p < kc; ++p) panel[p * NR + j] = 0.0f;
                }
            }
        }
    }
}

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// op(B) packed whole: for each K block (in order) all of its NR panels.
// Block p0 starts at p0 * n_pad floats, panel jr of it at + jr * kc.
void pack_b_all(const Operand& B, int64_t N, int64_t K, float* out, ThreadPool* pool) {
    const int64_t n_pad = round_up(N, NR);
    const int64_t kblocks = (K + KC - 1) / KC;
    const int64_t groups = (n_pad + NC - 1) / NC;
    auto task = [&](int64_t t, int) {
        const int64_t p0 = (t / groups) * KC, j0 = (t % groups) * NC;
        const int64_t kc = std::min(KC, K - p0), nc = std::min(NC, n_pad - j0);
        pack_b(B, N, j0, nc, p0, kc, out + p0 * n_pad + j0 * kc);
    };
    if (pool) pool->run(kblocks * groups, task);
    else
        for (int64_t t = 0; t < kblocks * groups; ++t) task(t, 0);
}

// C tile [i0, i0+m) x [j0, j0+n) from packed B; packs its own A blocks.
void gemm_tile(const Operand& a, int64_t M, int64_t K, const float* bpacked, int64_t n_pad, int64_t i0, int64_t m,
               int64_t j0, int64_t n, bool accumulate_first, float* C, int64_t ldc) {
    thread_local std::vector<float> abuf;
    const int64_t m_pad = round_up(m, MR);
    if (abuf.size() < size_t(m_pad * KC)) abuf.resize(size_t(m_pad * KC));
    float tile[MR * NR];
    for (int64_t p0 = 0; p0 < K; p0 += KC) {
        const int64_t kc = std::min(KC, K - p0);
        pack_a(a, M, i0, m, p0, kc, abuf.data());
        const float* bblock = bpacked + p0 * n_pad;
        const bool acc = p0 > 0 || accumulate_first;
        for (int64_t jr = 0; jr < n; jr += NR) {
            const int64_t nj = std::min(NR, n - jr);
            const float* bpanel = bblock + (j0 + jr) * kc;
            for (int64_t ir = 0; ir < m; ir += MR) {
                const int64_t mi = std::min(MR, m - ir);
                float* cblk = C + (i0 + ir) * ldc + j0 + jr;
                if (mi == MR && nj == NR) {
                    kKernel(kc, abuf.data() + ir * kc, bpanel, cblk, ldc, acc);
                } else {
                    // Edge tile: same kernel on a padded copy, so the arithmetic matches.
                    for (int64_t r = 0; r < MR; ++r)
                        for (int64_t j = 0; j < NR; ++j)
                            tile[r * NR + j] = (r < mi && j < nj && acc) ? cblk[r * ldc + j] : 0.0f;
                    kKernel(kc, abuf.data() + ir * kc, bpanel, tile, NR, acc);
                    for (int64_t r = 0; r < mi; ++r)
                        for (int64_t j = 0; j < nj; ++j) cblk[r * ldc + j] = tile[r * NR + j];
                }
            }
        }
    }
}

bool trivial(int64_t M, int64_t N, int64_t K, float beta, float* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return true;
    if (K > 0) return false;
    if (beta == 0.0f)
        for (int64_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, size_t(N) * sizeof(float));
    return true;
}

}  // namespace

const char* sgemm_kernel_name() {
#if QUANTLAB_GEMM_X86
    if (kKernel == micro_avx2) return "avx2+fma";
#endif
    return "portable";
}

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool& pool) {
    if (trivial(M, N, K, beta, C, ldc)) return;
    const Operand a{A, lda, trans_a}, b{B, ldb, trans_b};
    // B is packed once for all row tiles (the caller's thread owns the buffer;
    // sgemm is not re-entered while a call is running).
    thread_local std::vector<float> bbuf;
    const int64_t n_pad = round_up(N, NR);
    if (bbuf.size() < size_t(n_pad * K)) bbuf.resize(size_t(n_pad * K));
    pack_b_all(b, N, K, bbuf.data(), &pool);
    // Task tiles: enough to keep every thread busy; the arithmetic per element
    // does not depend on this choice.
    int64_t mc = MC, nc = NC;
    const int64_t want = 4 * int64_t(pool.size());
    while ((M + mc - 1) / mc * ((N + nc - 1) / nc) < want && (nc > 4 * NR || mc > 2 * MR)) {
        if (nc > 4 * NR) nc /= 2;
        else mc = std::max<int64_t>(2 * MR, round_up(mc / 2, MR));
    }
    const int64_t tiles_m = (M + mc - 1) / mc, tiles_n = (N + nc - 1) / nc;
    const float* bp = bbuf.data();
    pool.run(tiles_m * tiles_n, [&](int64_t task, int) {
        const int64_t i0 = (task / tiles_n) * mc, j0 = (task % tiles_n) * nc;
        gemm_tile(a, M, K, bp, n_pad, i0, std::min(mc, M - i0), j0, std::min(nc, N - j0), beta != 0.0f, C, ldc);
    });
}

void sgemm_serial(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    if (trivial(M, N, K, beta, C, ldc)) return;
    const Operand a{A, lda, trans_a}, b{B, ldb, trans_b};
    thread_local std::vector<float> bbuf;
    const int64_t n_pad = round_up(N, NR);
    if (bbuf.size() < size_t(n_pad * K)) bbuf.resize(size_t(n_pad * K));
    pack_b_all(b, N, K, bbuf.data(), nullptr);
    for (int64_t i0 = 0; i0 < M; i0 += MC) {
        gemm_tile(a, M, K, bbuf.data(), n_pad, i0, std::min(MC, M - i0), 0, N, beta != 0.0f, C, ldc);
    }
}

}  // namespace quantlab
