#include "model/attention_kernels.h"

#include "core/half.h"
#if QUANTLAB_SIMD128
#include "formats/simd128/simd128.h"
#endif
#if QUANTLAB_X86_KERNELS
#include "model/x86/attention_kernels_x86.h"
#endif

namespace quantlab {

namespace {

inline float round_f16_scalar(float x) { return fp16_to_fp32(fp32_to_fp16(x)); }

#if QUANTLAB_SIMD128
// Per-lane twin of fp32 -> fp16 -> fp32 with round-to-nearest-even, by the
// FPU's own rounding: adding c = 2^(e+13) (e = the exponent of |x|) leaves
// exactly 10 mantissa bits of |x| in the sum, so (|x| + c) - c is |x| rounded
// to half precision, ties to even; below 2^-14 c = 0.5 rounds to the 2^-24
// subnormal step instead. Results of 65536 and above (|x| >= 65520) become
// infinity. NaN is not expected here.
inline v128_t round_f16_x4(v128_t x) {
    const v128_t sign_bit = wasm_i32x4_splat(int32_t(0x80000000u));
    const v128_t ax = wasm_v128_andnot(x, sign_bit);
    const v128_t c = wasm_i32x4_max(wasm_i32x4_add(wasm_v128_and(ax, wasm_i32x4_splat(0x7f800000)),
                                                   wasm_i32x4_splat(13 << 23)),
                                    wasm_i32x4_splat(0x3f000000));  // float bits compare as ints when positive
    const v128_t r = wasm_f32x4_sub(wasm_f32x4_add(ax, c), c);
    const v128_t inf = wasm_v128_and(wasm_i32x4_gt(ax, wasm_i32x4_splat(0x477fefff)), wasm_i32x4_splat(0x7f800000));
    return wasm_v128_or(wasm_i32x4_max(r, inf), wasm_v128_and(x, sign_bit));
}
#endif

}  // namespace

void round_to_f16(float* x, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, round_f16_x4(wasm_v128_load(x + i)));
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) x[i] = round_f16_scalar(x[i]);
}

// Whole groups of 32 in vector lanes; what remains (all of it for heads
// narrower than 32) is summed in order in float. The f16 value accumulator
// downstream amplifies the last-bit differences of other summation orders, and
// this one reproduces llama.cpp's running perplexities on stories260K (head
// size 8) to every printed digit, where a double-precision remainder did not.
float dot_f32(const float* a, const float* b, int64_t n, KernelVariant v) {
    const int64_t n32 = n & ~int64_t(31);
    float main = 0.0f;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
        for (int64_t i = 0; i < n32; i += 8) {
            acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
            acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
        }
        main = simd::f32x4_hsum(wasm_f32x4_add(acc0, acc1));
    } else
#else
    (void)v;
#endif
    {
        for (int64_t i = 0; i < n32; ++i) main += a[i] * b[i];
    }
    for (int64_t i = n32; i < n; ++i) main += a[i] * b[i];
    return main;
}

#if QUANTLAB_SIMD128
namespace {
// dot_f32 (SIMD128, d a multiple of 32) of q with the keys K, K + k_stride,
// K + 2 k_stride, K + 3 k_stride, into out[0..3]: the same operations in the
// same order for each key.
void dot_f32_4keys_simd(const float* K, int64_t k_stride, const float* q, int64_t d, float* out) {
    v128_t acc0[4], acc1[4];
    for (int k = 0; k < 4; ++k) acc0[k] = acc1[k] = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < d; i += 8) {
        const v128_t q0 = wasm_v128_load(q + i), q1 = wasm_v128_load(q + i + 4);
        for (int k = 0; k < 4; ++k) {
            const float* kr = K + k * k_stride + i;
            acc0[k] = wasm_f32x4_add(acc0[k], wasm_f32x4_mul(wasm_v128_load(kr), q0));
            acc1[k] = wasm_f32x4_add(acc1[k], wasm_f32x4_mul(wasm_v128_load(kr + 4), q1));
        }
    }
    wasm_v128_store(out, simd::f32x4_hsum4(wasm_f32x4_add(acc0[0], acc1[0]), wasm_f32x4_add(acc0[1], acc1[1]),
                                           wasm_f32x4_add(acc0[2], acc1[2]), wasm_f32x4_add(acc0[3], acc1[3])));
}
}  // namespace
#endif

void dot_f32_keys(const float* K, int64_t k_stride, int64_t n_keys, const float* const* q, int nq, int64_t d,
                  float* scores, KernelVariant v) {
#if QUANTLAB_X86_KERNELS
    // dot_f32's vector loop covers whole groups of 32; the x86 kernels
    // reproduce exactly that loop, so they take only heads without a tail.
    if (v == KernelVariant::Simd128 && d % 32 == 0) {
        if (const x86::AttentionKernels* k = x86::attention_kernels()) {
            k->dot_f32_keys(K, k_stride, n_keys, q, nq, d, scores);
            return;
        }
    }
#endif
    int64_t j0 = 0;
#if QUANTLAB_SIMD128
    // Four keys at a time: each of dot_f32's vector steps loads the query
    // once for the four, and f32x4_hsum4 sums them into adjacent scores.
    if (v == KernelVariant::Simd128 && d % 32 == 0) {
        j0 = n_keys & ~int64_t(3);
        for (int k = 0; k < nq; ++k) {
            for (int64_t j = 0; j < j0; j += 4) dot_f32_4keys_simd(K + j * k_stride, k_stride, q[k], d, scores + k * n_keys + j);
        }
    }
#endif
    for (int k = 0; k < nq; ++k) {
        for (int64_t j = j0; j < n_keys; ++j) scores[k * n_keys + j] = dot_f32(K + j * k_stride, q[k], d, v);
    }
}

void scale_round_f16(float* acc, float scale, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        const v128_t s = wasm_f32x4_splat(scale);
        for (; i + 4 <= n; i += 4) wasm_v128_store(acc + i, round_f16_x4(wasm_f32x4_mul(wasm_v128_load(acc + i), s)));
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) acc[i] = round_f16_scalar(acc[i] * scale);
}

void axpy_round_f16(float* acc, const float* x, float w, int64_t n, KernelVariant v) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (v == KernelVariant::Simd128) {
        const v128_t s = wasm_f32x4_splat(w);
        for (; i + 4 <= n; i += 4) {
            const v128_t r = wasm_f32x4_add(wasm_v128_load(acc + i), wasm_f32x4_mul(wasm_v128_load(x + i), s));
            wasm_v128_store(acc + i, round_f16_x4(r));
        }
    }
#else
    (void)v;
#endif
    for (; i < n; ++i) acc[i] = round_f16_scalar(acc[i] + x[i] * w);
}

#if QUANTLAB_SIMD128
namespace {

// W vectors (4W values) of the accumulator stay in registers while every row
// passes; the per-element chains are independent, so W of them overlap.
template <int W>
void accumulate_chunk_simd(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs, int64_t n) {
    v128_t a[W];
    for (int k = 0; k < W; ++k) a[k] = wasm_v128_load(acc + 4 * k);
    for (int64_t j = 0; j < n; ++j) {
        if (ms[j] != 1.0f) {
            const v128_t s = wasm_f32x4_splat(ms[j]);
            for (int k = 0; k < W; ++k) a[k] = round_f16_x4(wasm_f32x4_mul(a[k], s));
        }
        const v128_t w = wasm_f32x4_splat(vs[j]);
        const float* row = v + j * v_stride;
        for (int k = 0; k < W; ++k) {
            a[k] = round_f16_x4(wasm_f32x4_add(a[k], wasm_f32x4_mul(wasm_v128_load(row + 4 * k), w)));
        }
    }
    for (int k = 0; k < W; ++k) wasm_v128_store(acc + 4 * k, a[k]);
}

}  // namespace
#endif

void accumulate_values_f16(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs, int64_t n,
                           int64_t d, KernelVariant var) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (var == KernelVariant::Simd128) {
#if QUANTLAB_X86_KERNELS
        // The same lanes eight or sixteen at a time: the same floats.
        if (const x86::AttentionKernels* k = x86::attention_kernels()) {
            i = k->accumulate_values_f16(acc, v, v_stride, ms, vs, n, d);
        }
#endif
        // Wide chunks: each row step is a ~20-cycle dependency chain per
        // vector, so throughput needs many independent vectors in flight.
        for (; i + 64 <= d; i += 64) accumulate_chunk_simd<16>(acc + i, v + i, v_stride, ms, vs, n);
        for (; i + 16 <= d; i += 16) accumulate_chunk_simd<4>(acc + i, v + i, v_stride, ms, vs, n);
        for (; i + 4 <= d; i += 4) accumulate_chunk_simd<1>(acc + i, v + i, v_stride, ms, vs, n);
    }
#else
    (void)var;
#endif
    if (i == d) return;
    // The scalar definition (and the tail of heads that are not a multiple of 4 wide).
    for (int64_t j = 0; j < n; ++j) {
        if (ms[j] != 1.0f) scale_round_f16(acc + i, ms[j], d - i, KernelVariant::Ref);
        axpy_round_f16(acc + i, v + j * v_stride + i, vs[j], d - i, KernelVariant::Ref);
    }
}

void accumulate_values_f16_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* ms,
                                   const float* const* vs, const int64_t* n, int nq, int64_t d, KernelVariant var) {
    int64_t i = 0;
#if QUANTLAB_X86_KERNELS
    if (var == KernelVariant::Simd128) {
        if (const x86::AttentionKernels* k = x86::attention_kernels()) i = k->accumulate_values_f16_queries(acc, v, v_stride, ms, vs, n, nq, d);
    }
#endif
    // Columns are independent: the rest of each query on its own.
    if (i == d) return;
    for (int k = 0; k < nq; ++k) accumulate_values_f16(acc[k] + i, v + i, v_stride, ms[k], vs[k], n[k], d - i, var);
}

#if QUANTLAB_SIMD128
namespace {

// 4W columns of NQ queries: each value row is loaded once for every query
// that still takes it.
template <int W, int NQ>
void accumulate_f32_chunk_simd(float* const* acc, int64_t off, const float* v, int64_t v_stride, const float* const* w,
                               const int64_t* n) {
    v128_t a[NQ][W];
    int64_t n_max = 0;
    for (int q = 0; q < NQ; ++q) {
        for (int k = 0; k < W; ++k) a[q][k] = wasm_v128_load(acc[q] + off + 4 * k);
        n_max = n[q] > n_max ? n[q] : n_max;
    }
    for (int64_t j = 0; j < n_max; ++j) {
        v128_t r[W];
        const float* row = v + j * v_stride + off;
        for (int k = 0; k < W; ++k) r[k] = wasm_v128_load(row + 4 * k);
        for (int q = 0; q < NQ; ++q) {
            if (j >= n[q]) continue;
            const v128_t s = wasm_f32x4_splat(w[q][j]);
            for (int k = 0; k < W; ++k) a[q][k] = wasm_f32x4_add(a[q][k], wasm_f32x4_mul(r[k], s));
        }
    }
    for (int q = 0; q < NQ; ++q) {
        for (int k = 0; k < W; ++k) wasm_v128_store(acc[q] + off + 4 * k, a[q][k]);
    }
}

// 16 columns for one or two queries, 8 for three or four: NQ x W sums, W
// value vectors and a weight must fit the 16 registers of x64 SSE, where V8
// runs SIMD128 (4 x 4 sums spilled to the stack on every value row).
template <int NQ>
int64_t accumulate_f32_simd(float* const* acc, int64_t i, const float* v, int64_t v_stride, const float* const* w,
                            const int64_t* n, int64_t d) {
    constexpr int W = NQ <= 2 ? 4 : 2;
    for (; i + 4 * W <= d; i += 4 * W) accumulate_f32_chunk_simd<W, NQ>(acc, i, v, v_stride, w, n);
    for (; i + 4 <= d; i += 4) accumulate_f32_chunk_simd<1, NQ>(acc, i, v, v_stride, w, n);
    return i;
}

}  // namespace
#endif

void accumulate_values_f32_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* w,
                                   const int64_t* n, int nq, int64_t d, KernelVariant var) {
    int64_t i = 0;
#if QUANTLAB_SIMD128
    if (var == KernelVariant::Simd128) {
#if QUANTLAB_X86_KERNELS
        if (const x86::AttentionKernels* k = x86::attention_kernels()) {
            i = k->accumulate_values_f32_queries(acc, v, v_stride, w, n, nq, d);
        }
#endif
        switch (nq) {
            case 1: i = accumulate_f32_simd<1>(acc, i, v, v_stride, w, n, d); break;
            case 2: i = accumulate_f32_simd<2>(acc, i, v, v_stride, w, n, d); break;
            case 3: i = accumulate_f32_simd<3>(acc, i, v, v_stride, w, n, d); break;
            case 4: i = accumulate_f32_simd<4>(acc, i, v, v_stride, w, n, d); break;
            default: break;
        }
    }
#else
    (void)var;
#endif
    // The scalar definition (and the columns left over).
    for (int k = 0; k < nq; ++k) {
        for (int64_t j = 0; j < n[k]; ++j) {
            const float* row = v + j * v_stride;
            const float wj = w[k][j];
            for (int64_t c = i; c < d; ++c) acc[k][c] = acc[k][c] + row[c] * wj;
        }
    }
}

}  // namespace quantlab
