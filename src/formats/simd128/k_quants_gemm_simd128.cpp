// gemm kernels of the K-quants: each unpacks a super-block to int16 values
// already multiplied by their sub-block scale, exactly the integers its
// vec_dot in k_quants_simd128.cpp multiplies, and hands them to the shared
// tile loop of gemm_superblock_simd128.h (which explains why the results
// equal the vec_dot's bit for bit).
//
// Value order is the dequantized order (ggml-quants.c dequantize_row_*),
// which is also the order the vec_dots pair weights with Q8_K's qs.
#include "formats/simd128/k_quants_gemm_simd128.h"

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/simd128/gemm_superblock_relaxed_simd128.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/k_quants_simd128.h"
#include "formats/simd128/k_quants_unpack_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// Q4_K/Q5_K: each min covers 32 values = two bsums, so the vec_dot pairs
// bsums with the mins duplicated into adjacent int16 lanes; keep that form.
inline void store_k4_mins(int16_t* aux, const uint8_t sm[16]) {
    for (int k = 0; k < 16; ++k) aux[k] = int16_t(sm[8 + k / 2]);
}

// Q2_K: 16 bytes, scale in the low nibble and min in the high one.
void unpack_q2_K(const block_q2_K& b, int16_t* q, int16_t* aux, float* d, float* dmin) {
    const v128_t m3 = wasm_i8x16_splat(3);
    for (int k = 0; k < 16; ++k) aux[k] = int16_t(b.scales[k] >> 4);
    for (int h = 0; h < 2; ++h) {
        v128_t qa = wasm_v128_load(b.qs + 32 * h);
        v128_t qb = wasm_v128_load(b.qs + 32 * h + 16);
        for (int j = 0; j < 4; ++j) {
            const int g = 8 * h + 2 * j;
            store_u8x16_scaled(q + 16 * g, wasm_v128_and(qa, m3), wasm_i16x8_splat(int16_t(b.scales[g] & 0xF)));
            store_u8x16_scaled(q + 16 * g + 16, wasm_v128_and(qb, m3),
                               wasm_i16x8_splat(int16_t(b.scales[g + 1] & 0xF)));
            qa = wasm_u8x16_shr(qa, 2);
            qb = wasm_u8x16_shr(qb, 2);
        }
    }
    *d = fp16_to_fp32(b.d);
    *dmin = fp16_to_fp32(b.dmin);
}

// Q3_K: values -4..3 (a clear hmask bit means "minus 4") times scales -32..31.
void unpack_q3_K(const block_q3_K& b, int16_t* q, int16_t*, float* d, float*) {
    const v128_t m3 = wasm_i8x16_splat(3), four = wasm_i8x16_splat(4);
    int8_t sc[16];
    unpack_scales_q3(b.scales, sc);
    v128_t nh0 = wasm_v128_not(wasm_v128_load(b.hmask));
    v128_t nh1 = wasm_v128_not(wasm_v128_load(b.hmask + 16));
    for (int h = 0; h < 2; ++h) {
        v128_t qa = wasm_v128_load(b.qs + 32 * h);
        v128_t qb = wasm_v128_load(b.qs + 32 * h + 16);
        for (int j = 0; j < 4; ++j) {
            const int g = 8 * h + 2 * j;
            const v128_t va = wasm_i8x16_sub(wasm_v128_and(qa, m3), wasm_v128_and(wasm_i8x16_shl(nh0, 2), four));
            const v128_t vb = wasm_i8x16_sub(wasm_v128_and(qb, m3), wasm_v128_and(wasm_i8x16_shl(nh1, 2), four));
            store_i8x16_scaled(q + 16 * g, va, wasm_i16x8_splat(sc[g]));
            store_i8x16_scaled(q + 16 * g + 16, vb, wasm_i16x8_splat(sc[g + 1]));
            qa = wasm_u8x16_shr(qa, 2);
            qb = wasm_u8x16_shr(qb, 2);
            nh0 = wasm_u8x16_shr(nh0, 1);
            nh1 = wasm_u8x16_shr(nh1, 1);
        }
    }
    *d = fp16_to_fp32(b.d);
}

// Q4_K: values 0..15 times 6-bit scales; 32-value chunks, low nibbles first.
void unpack_q4_K(const block_q4_K& b, int16_t* q, int16_t* aux, float* d, float* dmin) {
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    uint8_t sm[16];
    unpack_scales_k4(b.scales, sm);
    store_k4_mins(aux, sm);
    for (int j = 0; j < 4; ++j) {
        const v128_t s1 = wasm_i16x8_splat(int16_t(sm[2 * j])), s2 = wasm_i16x8_splat(int16_t(sm[2 * j + 1]));
        for (int half = 0; half < 2; ++half) {
            const v128_t v = wasm_v128_load(b.qs + 32 * j + 16 * half);
            store_u8x16_scaled(q + 64 * j + 16 * half, wasm_v128_and(v, m4), s1);
            store_u8x16_scaled(q + 64 * j + 32 + 16 * half, wasm_u8x16_shr(v, 4), s2);
        }
    }
    *d = fp16_to_fp32(b.d);
    *dmin = fp16_to_fp32(b.dmin);
}

// Q5_K's codes (0..31) of one 16-byte slice of qs: low nibbles and high
// nibbles, each with its fifth bit from qh, which then moves on two bits.
inline void q5_K_codes(v128_t v, v128_t& qh, v128_t* lo, v128_t* hi) {
    const v128_t m4 = wasm_i8x16_splat(0x0F), b4 = wasm_i8x16_splat(0x10);
    *lo = wasm_v128_or(wasm_v128_and(v, m4), wasm_v128_and(wasm_i8x16_shl(qh, 4), b4));
    *hi = wasm_v128_or(wasm_u8x16_shr(v, 4), wasm_v128_and(wasm_i8x16_shl(qh, 3), b4));
    qh = wasm_u8x16_shr(qh, 2);
}

// Q5_K: Q4_K plus a fifth bit from qh, two bits per 64-value chunk.
void unpack_q5_K(const block_q5_K& b, int16_t* q, int16_t* aux, float* d, float* dmin) {
    uint8_t sm[16];
    unpack_scales_k4(b.scales, sm);
    store_k4_mins(aux, sm);
    v128_t qh[2] = {wasm_v128_load(b.qh), wasm_v128_load(b.qh + 16)};
    for (int j = 0; j < 4; ++j) {
        const v128_t s1 = wasm_i16x8_splat(int16_t(sm[2 * j])), s2 = wasm_i16x8_splat(int16_t(sm[2 * j + 1]));
        for (int half = 0; half < 2; ++half) {
            v128_t lo, hi;
            q5_K_codes(wasm_v128_load(b.qs + 32 * j + 16 * half), qh[half], &lo, &hi);
            store_u8x16_scaled(q + 64 * j + 16 * half, lo, s1);
            store_u8x16_scaled(q + 64 * j + 32 + 16 * half, hi, s2);
        }
    }
    *d = fp16_to_fp32(b.d);
    *dmin = fp16_to_fp32(b.dmin);
}

// Q6_K: unsigned values 0..63 times int8 scales (|product| <= 8064); the
// "-32" is the vec_dot's bsums correction, so aux keeps the scales.
void unpack_q6_K(const block_q6_K& b, int16_t* q, int16_t* aux, float* d, float*) {
    for (int k = 0; k < 16; ++k) aux[k] = int16_t(b.scales[k]);
    for (int h = 0; h < 2; ++h) {
        const int8_t* sc = b.scales + 8 * h;
        for (int part = 0; part < 2; ++part) {
            v128_t v[4];
            q6_rows(b.ql + 64 * h, b.qh + 32 * h, part, v);
            for (int r = 0; r < 4; ++r) {
                store_u8x16_scaled(q + 128 * h + 32 * r + 16 * part, v[r], wasm_i16x8_splat(sc[2 * r + part]));
            }
        }
    }
    *d = fp16_to_fp32(b.d);
}

#if defined(__wasm_relaxed_simd__)
// The relaxed tile's unpackers: the same codes as above before the scale
// multiply, and the scale of each 16-value group (group g covers
// positions 16g .. 16g + 15 of the dequantized order).
void unpack_q4_K_codes(const block_q4_K& b, uint8_t* q, int16_t* scale, int16_t* aux, float* d, float* dmin) {
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    uint8_t sm[16];
    unpack_scales_k4(b.scales, sm);
    store_k4_mins(aux, sm);
    for (int j = 0; j < 4; ++j) {
        for (int half = 0; half < 2; ++half) {
            const v128_t v = wasm_v128_load(b.qs + 32 * j + 16 * half);
            wasm_v128_store(q + 64 * j + 16 * half, wasm_v128_and(v, m4));
            wasm_v128_store(q + 64 * j + 32 + 16 * half, wasm_u8x16_shr(v, 4));
        }
        scale[4 * j] = scale[4 * j + 1] = int16_t(sm[2 * j]);
        scale[4 * j + 2] = scale[4 * j + 3] = int16_t(sm[2 * j + 1]);
    }
    *d = fp16_to_fp32(b.d);
    *dmin = fp16_to_fp32(b.dmin);
}

void unpack_q5_K_codes(const block_q5_K& b, uint8_t* q, int16_t* scale, int16_t* aux, float* d, float* dmin) {
    uint8_t sm[16];
    unpack_scales_k4(b.scales, sm);
    store_k4_mins(aux, sm);
    v128_t qh[2] = {wasm_v128_load(b.qh), wasm_v128_load(b.qh + 16)};
    for (int j = 0; j < 4; ++j) {
        for (int half = 0; half < 2; ++half) {
            v128_t lo, hi;
            q5_K_codes(wasm_v128_load(b.qs + 32 * j + 16 * half), qh[half], &lo, &hi);
            wasm_v128_store(q + 64 * j + 16 * half, lo);
            wasm_v128_store(q + 64 * j + 32 + 16 * half, hi);
        }
        scale[4 * j] = scale[4 * j + 1] = int16_t(sm[2 * j]);
        scale[4 * j + 2] = scale[4 * j + 3] = int16_t(sm[2 * j + 1]);
    }
    *d = fp16_to_fp32(b.d);
    *dmin = fp16_to_fp32(b.dmin);
}

void unpack_q6_K_codes(const block_q6_K& b, uint8_t* q, int16_t* scale, int16_t* aux, float* d, float*) {
    for (int k = 0; k < 16; ++k) aux[k] = int16_t(b.scales[k]);
    for (int k = 0; k < 16; ++k) scale[k] = int16_t(b.scales[k]);
    for (int h = 0; h < 2; ++h) {
        for (int part = 0; part < 2; ++part) {
            v128_t v[4];
            q6_rows(b.ql + 64 * h, b.qh + 32 * h, part, v);
            for (int r = 0; r < 4; ++r) wasm_v128_store(q + 128 * h + 32 * r + 16 * part, v[r]);
        }
    }
    *d = fp16_to_fp32(b.d);
}
#endif

template <class Block>
using UnpackFn = void (*)(const Block&, int16_t*, int16_t*, float*, float*);

template <class Block, SuperblockTerm Term, UnpackFn<Block> Unpack, VecDotFn VecDot, WideVecDotFn Wide = nullptr>
void gemm_k(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
            int64_t n_tokens, float* y, size_t y_stride) {
    auto rows = [](const void* wp, size_t rb, int64_t nr, int64_t k, SuperblockRows& out) {
        unpack_superblock_rows<Block>(wp, rb, nr, k, out, Unpack);
    };
    gemm_superblock<Term>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows, VecDot, Wide);
}

#if defined(__wasm_relaxed_simd__)
template <class Block>
using UnpackCodesFn = void (*)(const Block&, uint8_t*, int16_t*, int16_t*, float*, float*);

// The relaxed module's K-quant gemm: one token row by row on the format's
// relaxed dot product, more tokens on the relaxed tiles.
template <class Block, SuperblockTerm Term, int Groups, UnpackFn<Block> Unpack, VecDotFn RelaxedDot,
          UnpackCodesFn<Block> Codes>
void gemm_k_relaxed(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                    int64_t n_tokens, float* y, size_t y_stride) {
    if (n_tokens == 1) {
        return gemm_k<Block, Term, Unpack, RelaxedDot>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
    }
    gemm_superblock_relaxed<Block, Term, Groups>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, Codes);
}
#endif

}  // namespace

void gemm_q2_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
#if defined(__wasm_relaxed_simd__)
    if (n_tokens == 1) {
        return gemm_k<block_q2_K, SuperblockTerm::Mins, unpack_q2_K, vec_dot_q2_K_q8_K_relaxed_simd128>(
            n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
    }
#endif
    gemm_k<block_q2_K, SuperblockTerm::Mins, unpack_q2_K, vec_dot_q2_K_q8_K_simd128,
           vec_dot_q2_K_q8_K_wide_simd128>(
        n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_q3_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_k<block_q3_K, SuperblockTerm::None, unpack_q3_K, vec_dot_q3_K_q8_K_simd128>(
        n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_q4_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
#if defined(__wasm_relaxed_simd__)
    gemm_k_relaxed<block_q4_K, SuperblockTerm::Mins, 2, unpack_q4_K, vec_dot_q4_K_q8_K_relaxed_simd128,
                   unpack_q4_K_codes>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
#else
    gemm_k<block_q4_K, SuperblockTerm::Mins, unpack_q4_K, vec_dot_q4_K_q8_K_simd128,
           vec_dot_q4_K_q8_K_wide_simd128>(
        n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
#endif
}

void gemm_q5_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
#if defined(__wasm_relaxed_simd__)
    gemm_k_relaxed<block_q5_K, SuperblockTerm::Mins, 2, unpack_q5_K, vec_dot_q5_K_q8_K_relaxed_simd128,
                   unpack_q5_K_codes>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
#else
    gemm_k<block_q5_K, SuperblockTerm::Mins, unpack_q5_K, vec_dot_q5_K_q8_K_simd128,
           vec_dot_q5_K_q8_K_wide_simd128>(
        n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
#endif
}

void gemm_q6_K_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
#if defined(__wasm_relaxed_simd__)
    gemm_k_relaxed<block_q6_K, SuperblockTerm::Q6, 1, unpack_q6_K, vec_dot_q6_K_q8_K_relaxed_simd128,
                   unpack_q6_K_codes>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
#else
    gemm_k<block_q6_K, SuperblockTerm::Q6, unpack_q6_K, vec_dot_q6_K_q8_K_simd128,
           vec_dot_q6_K_q8_K_wide_simd128>(
        n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
#endif
}

}  // namespace quantlab
