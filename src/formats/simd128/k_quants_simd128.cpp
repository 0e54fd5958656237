// SIMD128 kernels of the 256-value super-block K-quants (Q2_K .. Q6_K) and
// of their activation format Q8_K. Each reproduces its _ref twin in
// formats/ref/k_quants_ref.cpp: identical bytes from the quantizers,
// identical floats from the dequantizers.
//
// Block layouts: ggml-common.h (block_q2_K .. block_q8_K).
// Algorithms: ggml-quants.c (quantize_row_*_ref, make_qx_quants,
// make_q3_quants, make_qkx2_quants, dequantize_row_*) and the integer dot
// products of ggml-cpu (the min terms go through Q8_K's bsums).
//
// The quantizers' scale searches are sequences of float operations whose
// rounding decides the output bytes. To stay bit-identical they are
// vectorized ACROSS sub-blocks: lane s of every vector belongs to sub-block s,
// so each lane runs exactly the scalar sequence, in the scalar order. Branches
// become lane masks with the scalar's strict comparisons.
#include "formats/simd128/k_quants_simd128.h"

#include <cmath>
#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/ref/k_quants_ref.h"
#include "formats/ref/quant_search.h"
#include "formats/simd128/k_quants_unpack_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// ---------------------------------------------------------------- shared helpers

// 1.5 * 2^23. Adding it leaves round-to-nearest-even(v) in the low mantissa
// bits (ggml's nearest_int); valid for |v| < 2^22, and ggml does not check.
constexpr float kRoundMagic = 12582912.f;

// Lane-wise nearest_int, including the wrap-around ggml produces out of range
// (the searches can feed it huge or infinite values, e.g. x * sl2 / slx with
// a tiny slx, and the clamp that follows must see the same garbage).
inline v128_t nearest_int_i32x4(v128_t v) {
    const v128_t r = wasm_f32x4_add(v, wasm_f32x4_splat(kRoundMagic));
    return wasm_i32x4_sub(wasm_v128_and(r, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x00400000));
}

// nearest_int(v) clamped to [lo, hi], as a float. The mantissa bits ggml
// reads are grafted onto the exponent of 2^23, which gives the normal float
// 2^23 + bits = kRoundMagic + nearest_int(v) for every input (inf and NaN
// included); clamping that biased value and subtracting the bias is exact.
// This avoids the int->float conversion in the search loops.
struct RoundClamp {
    v128_t magic, lo, hi, mant, two23;
    RoundClamp(int l, int h)
        : magic(wasm_f32x4_splat(kRoundMagic)),
          lo(wasm_f32x4_splat(kRoundMagic + float(l))),
          hi(wasm_f32x4_splat(kRoundMagic + float(h))),
          mant(wasm_i32x4_splat(0x007fffff)),
          two23(wasm_i32x4_splat(0x4b000000)) {}
    v128_t operator()(v128_t v) const {
        const v128_t r = wasm_f32x4_add(v, magic);
        const v128_t f = wasm_v128_bitselect(r, two23, mant);
        return wasm_f32x4_sub(wasm_f32x4_pmin(wasm_f32x4_pmax(f, lo), hi), magic);
    }
};

inline v128_t select(v128_t mask, v128_t if_true, v128_t if_false) {
    return wasm_v128_bitselect(if_true, if_false, mask);
}

inline void transpose4(v128_t& a, v128_t& b, v128_t& c, v128_t& d) {
    const v128_t t0 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
    const v128_t t1 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
    const v128_t t2 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5);
    const v128_t t3 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
    a = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
    b = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
    c = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
    d = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}

// Four consecutive sub-blocks of N floats at x become N vectors; lane s of
// out[i][g] is element i of sub-block s (of this group g).
template <int N, int G>
inline void load_transposed(const float* x, v128_t (&out)[N][G], int g) {
    for (int c = 0; c < N; c += 4) {
        v128_t a = wasm_v128_load(x + 0 * N + c);
        v128_t b = wasm_v128_load(x + 1 * N + c);
        v128_t e = wasm_v128_load(x + 2 * N + c);
        v128_t f = wasm_v128_load(x + 3 * N + c);
        transpose4(a, b, e, f);
        out[c + 0][g] = a;
        out[c + 1][g] = b;
        out[c + 2][g] = e;
        out[c + 3][g] = f;
    }
}

// Small integers to float through the exponent of 2^23 instead of
// f32x4.convert: clang 14 folds "extend + convert" into a conversion from
// i16 lanes that its wasm backend scalarizes. Both are exact for |v| < 2^22.
inline v128_t u32_small_to_f32(v128_t v) {
    return wasm_f32x4_sub(wasm_v128_or(v, wasm_i32x4_splat(0x4b000000)), wasm_f32x4_splat(8388608.0f));
}

inline v128_t i32_small_to_f32(v128_t v) {
    return wasm_f32x4_sub(wasm_i32x4_add(v, wasm_i32x4_splat(0x4b400000)), wasm_f32x4_splat(kRoundMagic));
}

// u8 lanes 0..15 of q widened to four f32x4.
inline void u8x16_to_f32(v128_t q, v128_t (&f)[4]) {
    const v128_t lo = wasm_u16x8_extend_low_u8x16(q);
    const v128_t hi = wasm_u16x8_extend_high_u8x16(q);
    f[0] = u32_small_to_f32(wasm_u32x4_extend_low_u16x8(lo));
    f[1] = u32_small_to_f32(wasm_u32x4_extend_high_u16x8(lo));
    f[2] = u32_small_to_f32(wasm_u32x4_extend_low_u16x8(hi));
    f[3] = u32_small_to_f32(wasm_u32x4_extend_high_u16x8(hi));
}

inline void i8x16_to_f32(v128_t q, v128_t (&f)[4]) {
    const v128_t lo = wasm_i16x8_extend_low_i8x16(q);
    const v128_t hi = wasm_i16x8_extend_high_i8x16(q);
    f[0] = i32_small_to_f32(wasm_i32x4_extend_low_i16x8(lo));
    f[1] = i32_small_to_f32(wasm_i32x4_extend_high_i16x8(lo));
    f[2] = i32_small_to_f32(wasm_i32x4_extend_low_i16x8(hi));
    f[3] = i32_small_to_f32(wasm_i32x4_extend_high_i16x8(hi));
}

// y[0..15] = a * q - b for unsigned bytes q (the ref's "d * q - m").
inline void store_affine_u8(float* y, v128_t q, float a, float b) {
    v128_t f[4];
    u8x16_to_f32(q, f);
    const v128_t va = wasm_f32x4_splat(a), vb = wasm_f32x4_splat(b);
    for (int k = 0; k < 4; ++k) wasm_v128_store(y + 4 * k, wasm_f32x4_sub(wasm_f32x4_mul(va, f[k]), vb));
}

// y[0..15] = a * q for signed bytes q.
inline void store_scaled_i8(float* y, v128_t q, float a) {
    v128_t f[4];
    i8x16_to_f32(q, f);
    const v128_t va = wasm_f32x4_splat(a);
    for (int k = 0; k < 4; ++k) wasm_v128_store(y + 4 * k, wasm_f32x4_mul(va, f[k]));
}

// Byte shifts below always use constant counts, walking a shifted copy of
// the source from one plane to the next: clang 14 neither unrolls these loops
// nor keeps a loop-dependent i8x16 shift vectorized.

// Sum of 16 int8 products per pair of vectors, as an i16x8 (each lane two
// products; callers keep |a*b| * 2 below 2^15 or reduce before overflow).
// Written as widen + i16x8.mul rather than extmul: the same products, but
// SIMDe's extmul sign-extends with unpack + shift pairs where a widening load
// (pmovsxbw) does, and the unsigned variant widens the weights with zeros.
inline v128_t extmul_pairs(v128_t a, v128_t b) {
    return wasm_i16x8_add(wasm_i16x8_mul(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b)),
                          wasm_i16x8_mul(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b)));
}

// The same for unsigned a (0..255, here 2- to 6-bit weights) and signed b.
inline v128_t extmul_pairs_u(v128_t a, v128_t b) {
    return wasm_i16x8_add(wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(a), wasm_i16x8_extend_low_i8x16(b)),
                          wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(a), wasm_i16x8_extend_high_i8x16(b)));
}

// Where a K-quant dot product reads its activations: the Q8_K block's int8
// values (vec_dot), or the same values widened to int16 once per matrix
// (the gemm's single-token path, which then skips widening them per row).
// Both give extmul_pairs_u's int16 pair sums for the 16 values at off of
// super-block i, so every later step is unchanged.
struct Q8KBytePairs {
    const block_q8_K* y;
    v128_t operator()(int64_t i, v128_t w, int off) const { return extmul_pairs_u(w, wasm_v128_load(y[i].qs + off)); }
    // Two groups' pair sums with their scales: lane j = s0 times the sum of
    // h0's int16 lanes 2j, 2j + 1, plus the same for h1 and s1.
    static v128_t scaled2(v128_t h0, int32_t s0, v128_t h1, int32_t s1) {
        return wasm_i32x4_add(wasm_i32x4_dot_i16x8(h0, wasm_i16x8_splat(int16_t(s0))),
                              wasm_i32x4_dot_i16x8(h1, wasm_i16x8_splat(int16_t(s1))));
    }
};
struct Q8KWidePairs {
    const int16_t* a;  // QK_K int16 per super-block
    v128_t operator()(int64_t i, v128_t w, int off) const {
        const int16_t* v = a + i * QK_K + off;
        return wasm_i16x8_add(wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(w), wasm_v128_load(v)),
                              wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(w), wasm_v128_load(v + 8)));
    }
    static v128_t scaled2(v128_t h0, int32_t s0, v128_t h1, int32_t s1) { return Q8KBytePairs::scaled2(h0, s0, h1, s1); }
};

#if defined(__wasm_relaxed_simd__)
// Relaxed SIMD, values in their own order: int16 lane k of a relaxed dot sums
// positions 2k, 2k+1, where the SIMD128 forms' lane k sums k, k+8. Both must
// give, in int32 lane j, positions 2j, 2j+1, 2j+8, 2j+9 times the scale:
// i32x4.dot_i16x8 adds the SIMD128 lanes 2j, 2j+1; here int16 lanes j and
// j+4 are added first (scaled2). Integer sums are exact, so every int32 lane,
// and all that follows, is the same.
struct Q8KRelaxedPairs {
    const block_q8_K* y;
    v128_t operator()(int64_t i, v128_t w, int off) const {
        return i16x8_relaxed_dot_i8_u7(wasm_v128_load(y[i].qs + off), w);
    }
    // Two groups at once: interleaving h0 and h1 by int16 lanes (low halves,
    // then high) and adding the two puts h0[j] + h0[j+4] in lane 2j and
    // h1[j] + h1[j+4] in lane 2j+1, and one i32x4.dot_i16x8 with (s0, s1) in
    // every 32-bit lane scales and sums them. The int16 sums hold at most
    // 8 products of a code < 32 (Q4_K, Q5_K: 31744) or 4 of a code < 64
    // (Q6_K: 32256) with |a| <= 128: no overflow.
    static v128_t scaled2(v128_t h0, int32_t s0, v128_t h1, int32_t s1) {
        const v128_t t = wasm_i16x8_add(wasm_i16x8_shuffle(h0, h1, 0, 8, 1, 9, 2, 10, 3, 11),
                                        wasm_i16x8_shuffle(h0, h1, 4, 12, 5, 13, 6, 14, 7, 15));
        const uint32_t pair = uint32_t(uint16_t(int16_t(s0))) | (uint32_t(uint16_t(int16_t(s1))) << 16);
        return wasm_i32x4_dot_i16x8(t, wasm_i32x4_splat(int32_t(pair)));
    }
};
#endif

// Block sums of 16 groups of 16 int8 given as one vector per group:
// pairwise widening, then three rounds of "add even and odd lanes" that
// halve the count while keeping group order.
inline void bsums_from_groups(const v128_t (&q)[16], int16_t* out) {
    v128_t s[16];
    for (int g = 0; g < 16; ++g) s[g] = wasm_i16x8_extadd_pairwise_i8x16(q[g]);
    for (int n = 16; n > 2; n /= 2) {
        for (int k = 0; k < n / 2; ++k) {
            const v128_t a = s[2 * k], b = s[2 * k + 1];
            const v128_t ev = wasm_i16x8_shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
            const v128_t od = wasm_i16x8_shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
            s[k] = wasm_i16x8_add(ev, od);
        }
    }
    wasm_v128_store(out, s[0]);
    wasm_v128_store(out + 8, s[1]);
}

// Packs four 2-bit planes: out[l] = a[l] | b[l] << 2 | c[l] << 4 | d[l] << 6.
inline v128_t pack2(v128_t a, v128_t b, v128_t c, v128_t d) {
    return wasm_v128_or(wasm_v128_or(a, wasm_i8x16_shl(b, 2)),
                        wasm_v128_or(wasm_i8x16_shl(c, 4), wasm_i8x16_shl(d, 6)));
}

// Narrows four i32x4 (values already within 0..255) to 16 bytes.
inline v128_t narrow_u8(v128_t a, v128_t b, v128_t c, v128_t d) {
    return wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
}

// 16 quants of the final pass: clamp(nearest_int(v) + bias, 0, hi) for four
// f32x4 v, as bytes (bias folds ggml's "+ nmax" offset into the clamp).
inline v128_t quantize16(const v128_t (&v)[4], int bias, int hi) {
    const v128_t vb = wasm_i32x4_splat(bias), vlo = wasm_i32x4_splat(0), vhi = wasm_i32x4_splat(hi);
    v128_t r[4];
    for (int k = 0; k < 4; ++k) {
        r[k] = wasm_i32x4_min(wasm_i32x4_max(wasm_i32x4_add(nearest_int_i32x4(v[k]), vb), vlo), vhi);
    }
    return narrow_u8(r[0], r[1], r[2], r[3]);
}

}  // namespace

// ================================================================ dequantizers

void dequantize_row_q2_K_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q2_K*>(vx);
    const int64_t nb = k / QK_K;
    const v128_t m3 = wasm_i8x16_splat(3);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const float mn = fp16_to_fp32(x[i].dmin);
        float* yb = y + i * QK_K;
        for (int h = 0; h < 2; ++h) {
            v128_t qa = wasm_v128_load(x[i].qs + 32 * h);
            v128_t qb = wasm_v128_load(x[i].qs + 32 * h + 16);
            for (int j = 0; j < 4; ++j) {
                const int g = 8 * h + 2 * j;
                const uint8_t sa = x[i].scales[g], sb = x[i].scales[g + 1];
                store_affine_u8(yb + 16 * g, wasm_v128_and(qa, m3), d * float(sa & 0xF), mn * float(sa >> 4));
                store_affine_u8(yb + 16 * g + 16, wasm_v128_and(qb, m3), d * float(sb & 0xF), mn * float(sb >> 4));
                qa = wasm_u8x16_shr(qa, 2);
                qb = wasm_u8x16_shr(qb, 2);
            }
        }
    }
}

void dequantize_row_q3_K_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q3_K*>(vx);
    const int64_t nb = k / QK_K;
    const v128_t m3 = wasm_i8x16_splat(3), four = wasm_i8x16_splat(4);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        int8_t sc[16];
        unpack_scales_q3(x[i].scales, sc);
        // A clear high bit means "minus 4": walk the inverted mask, bit 0 first.
        v128_t nh0 = wasm_v128_not(wasm_v128_load(x[i].hmask));
        v128_t nh1 = wasm_v128_not(wasm_v128_load(x[i].hmask + 16));
        float* yb = y + i * QK_K;
        for (int h = 0; h < 2; ++h) {
            v128_t qa = wasm_v128_load(x[i].qs + 32 * h);
            v128_t qb = wasm_v128_load(x[i].qs + 32 * h + 16);
            for (int j = 0; j < 4; ++j) {
                const int g = 8 * h + 2 * j;
                const v128_t va = wasm_i8x16_sub(wasm_v128_and(qa, m3), wasm_v128_and(wasm_i8x16_shl(nh0, 2), four));
                const v128_t vb = wasm_i8x16_sub(wasm_v128_and(qb, m3), wasm_v128_and(wasm_i8x16_shl(nh1, 2), four));
                store_scaled_i8(yb + 16 * g, va, d * float(sc[g]));
                store_scaled_i8(yb + 16 * g + 16, vb, d * float(sc[g + 1]));
                qa = wasm_u8x16_shr(qa, 2);
                qb = wasm_u8x16_shr(qb, 2);
                nh0 = wasm_u8x16_shr(nh0, 1);
                nh1 = wasm_u8x16_shr(nh1, 1);
            }
        }
    }
}

void dequantize_row_q4_K_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q4_K*>(vx);
    const int64_t nb = k / QK_K;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const float mn = fp16_to_fp32(x[i].dmin);
        uint8_t sm[16];
        unpack_scales_k4(x[i].scales, sm);
        float* yb = y + i * QK_K;
        for (int j = 0; j < 4; ++j) {
            const float d1 = d * float(sm[2 * j]), m1 = mn * float(sm[8 + 2 * j]);
            const float d2 = d * float(sm[2 * j + 1]), m2 = mn * float(sm[8 + 2 * j + 1]);
            for (int half = 0; half < 2; ++half) {
                const v128_t q = wasm_v128_load(x[i].qs + 32 * j + 16 * half);
                store_affine_u8(yb + 64 * j + 16 * half, wasm_v128_and(q, m4), d1, m1);
                store_affine_u8(yb + 64 * j + 32 + 16 * half, wasm_u8x16_shr(q, 4), d2, m2);
            }
        }
    }
}

void dequantize_row_q5_K_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q5_K*>(vx);
    const int64_t nb = k / QK_K;
    const v128_t m4 = wasm_i8x16_splat(0x0F), b4 = wasm_i8x16_splat(0x10);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const float mn = fp16_to_fp32(x[i].dmin);
        uint8_t sm[16];
        unpack_scales_k4(x[i].scales, sm);
        // qh walked two bits per 64-value chunk: bit 0 -> low half, bit 1 -> high half.
        v128_t qh[2] = {wasm_v128_load(x[i].qh), wasm_v128_load(x[i].qh + 16)};
        float* yb = y + i * QK_K;
        for (int j = 0; j < 4; ++j) {
            const float d1 = d * float(sm[2 * j]), m1 = mn * float(sm[8 + 2 * j]);
            const float d2 = d * float(sm[2 * j + 1]), m2 = mn * float(sm[8 + 2 * j + 1]);
            for (int half = 0; half < 2; ++half) {
                const v128_t q = wasm_v128_load(x[i].qs + 32 * j + 16 * half);
                const v128_t lo = wasm_v128_or(wasm_v128_and(q, m4), wasm_v128_and(wasm_i8x16_shl(qh[half], 4), b4));
                const v128_t hi = wasm_v128_or(wasm_u8x16_shr(q, 4), wasm_v128_and(wasm_i8x16_shl(qh[half], 3), b4));
                store_affine_u8(yb + 64 * j + 16 * half, lo, d1, m1);
                store_affine_u8(yb + 64 * j + 32 + 16 * half, hi, d2, m2);
                qh[half] = wasm_u8x16_shr(qh[half], 2);
            }
        }
    }
}

void dequantize_row_q6_K_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q6_K*>(vx);
    const int64_t nb = k / QK_K;
    const v128_t off = wasm_i8x16_splat(32);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = x[i].ql + 64 * h;
            const uint8_t* qh = x[i].qh + 32 * h;
            const int8_t* sc = x[i].scales + 8 * h;
            float* yb = y + i * QK_K + 128 * h;
            for (int part = 0; part < 2; ++part) {
                v128_t q[4];
                q6_rows(ql, qh, part, q);
                for (int r = 0; r < 4; ++r) {
                    // ref: d * sc * q, evaluated left to right
                    store_scaled_i8(yb + 32 * r + 16 * part, wasm_i8x16_sub(q[r], off), d * float(sc[2 * r + part]));
                }
            }
        }
    }
}

void dequantize_row_q8_K_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_K*>(vx);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        for (int j = 0; j < QK_K; j += 16) store_scaled_i8(y + i * QK_K + j, wasm_v128_load(x[i].qs + j), x[i].d);
    }
}

// ================================================================ dot products
// Integer sums per super-block, scaled once by the float super-block scales.
// Products are formed in int16 (extmul_pairs), pairs summed in int16, and the
// per-group scale applied by i32x4_dot_i16x8.

template <class Pairs>
float q2_K_dot(int64_t n, const block_q2_K* x, const block_q8_K* y, Pairs pairs) {
    const int64_t nb = n / QK_K;
    const v128_t m3 = wasm_i8x16_splat(3), m4 = wasm_i8x16_splat(0x0F);
    v128_t acc = wasm_f32x4_splat(0.0f), accm = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = y[i].d * fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
        const v128_t scv = wasm_v128_load(x[i].scales);
        const v128_t mins = wasm_u8x16_shr(scv, 4);
        const v128_t pm = wasm_i32x4_add(
            wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums), wasm_u16x8_extend_low_u8x16(mins)),
            wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums + 8), wasm_u16x8_extend_high_u8x16(mins)));
        accm = wasm_f32x4_add(accm, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(pm), wasm_f32x4_splat(dmin)));

        uint8_t sc[16];
        wasm_v128_store(sc, wasm_v128_and(scv, m4));
        v128_t sumi = wasm_i32x4_splat(0);
        for (int h = 0; h < 2; ++h) {
            v128_t qa = wasm_v128_load(x[i].qs + 32 * h);
            v128_t qb = wasm_v128_load(x[i].qs + 32 * h + 16);
            for (int j = 0; j < 4; ++j) {
                const int g = 8 * h + 2 * j;
                const v128_t pa = pairs(i, wasm_v128_and(qa, m3), 16 * g);
                const v128_t pb = pairs(i, wasm_v128_and(qb, m3), 16 * g + 16);
                qa = wasm_u8x16_shr(qa, 2);
                qb = wasm_u8x16_shr(qb, 2);
                sumi = wasm_i32x4_add(sumi, pairs.scaled2(pa, sc[g], pb, sc[g + 1]));
            }
        }
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc) - f32x4_hsum(accm);
}

float vec_dot_q2_K_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q2_K_dot(n, static_cast<const block_q2_K*>(vx), y, Q8KBytePairs{y});
}

float vec_dot_q2_K_q8_K_wide_simd128(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return q2_K_dot(n, static_cast<const block_q2_K*>(vx), static_cast<const block_q8_K*>(vy), Q8KWidePairs{a16});
}

#if defined(__wasm_relaxed_simd__)
float vec_dot_q2_K_q8_K_relaxed_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q2_K_dot(n, static_cast<const block_q2_K*>(vx), y, Q8KRelaxedPairs{y});
}
#endif

float vec_dot_q3_K_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q3_K*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    const v128_t m3 = wasm_i8x16_splat(3), four = wasm_i8x16_splat(4);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = y[i].d * fp16_to_fp32(x[i].d);
        int8_t sc[16];
        unpack_scales_q3(x[i].scales, sc);
        v128_t nh0 = wasm_v128_not(wasm_v128_load(x[i].hmask));
        v128_t nh1 = wasm_v128_not(wasm_v128_load(x[i].hmask + 16));
        const int8_t* q8 = y[i].qs;
        v128_t sumi = wasm_i32x4_splat(0);
        for (int h = 0; h < 2; ++h) {
            v128_t qa = wasm_v128_load(x[i].qs + 32 * h);
            v128_t qb = wasm_v128_load(x[i].qs + 32 * h + 16);
            for (int j = 0; j < 4; ++j) {
                const int g = 8 * h + 2 * j;
                const v128_t va = wasm_i8x16_sub(wasm_v128_and(qa, m3), wasm_v128_and(wasm_i8x16_shl(nh0, 2), four));
                const v128_t vb = wasm_i8x16_sub(wasm_v128_and(qb, m3), wasm_v128_and(wasm_i8x16_shl(nh1, 2), four));
                qa = wasm_u8x16_shr(qa, 2);
                qb = wasm_u8x16_shr(qb, 2);
                nh0 = wasm_u8x16_shr(nh0, 1);
                nh1 = wasm_u8x16_shr(nh1, 1);
                const v128_t pa = extmul_pairs(va, wasm_v128_load(q8 + 16 * g));
                const v128_t pb = extmul_pairs(vb, wasm_v128_load(q8 + 16 * g + 16));
                sumi = wasm_i32x4_add(sumi, wasm_i32x4_dot_i16x8(pa, wasm_i16x8_splat(sc[g])));
                sumi = wasm_i32x4_add(sumi, wasm_i32x4_dot_i16x8(pb, wasm_i16x8_splat(sc[g + 1])));
            }
        }
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

template <class Pairs>
float q4_K_dot(int64_t n, const block_q4_K* x, const block_q8_K* y, Pairs pairs) {
    const int64_t nb = n / QK_K;
    const v128_t m4 = wasm_i8x16_splat(0x0F), zero = wasm_i32x4_splat(0);
    v128_t acc = wasm_f32x4_splat(0.0f), accm = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = y[i].d * fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
        uint8_t sm[16];
        unpack_scales_k4(x[i].scales, sm);
        // Each min covers 32 values = two bsums: duplicate it into adjacent i16 lanes.
        const v128_t smv = wasm_v128_load(sm);
        const v128_t mlo = wasm_i8x16_shuffle(smv, zero, 8, 16, 8, 16, 9, 16, 9, 16, 10, 16, 10, 16, 11, 16, 11, 16);
        const v128_t mhi = wasm_i8x16_shuffle(smv, zero, 12, 16, 12, 16, 13, 16, 13, 16, 14, 16, 14, 16, 15, 16, 15, 16);
        const v128_t pm = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums), mlo),
                                         wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums + 8), mhi));
        accm = wasm_f32x4_add(accm, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(pm), wasm_f32x4_splat(dmin)));

        const uint8_t* q4 = x[i].qs;
        v128_t sumi = zero;
        for (int j = 0; j < 4; ++j) {
            const v128_t q0 = wasm_v128_load(q4 + 32 * j);
            const v128_t q1 = wasm_v128_load(q4 + 32 * j + 16);
            // Four products per i16 lane: at most 4 * 15 * 128, no overflow.
            const v128_t plo = wasm_i16x8_add(pairs(i, wasm_v128_and(q0, m4), 64 * j),
                                              pairs(i, wasm_v128_and(q1, m4), 64 * j + 16));
            const v128_t phi = wasm_i16x8_add(pairs(i, wasm_u8x16_shr(q0, 4), 64 * j + 32),
                                              pairs(i, wasm_u8x16_shr(q1, 4), 64 * j + 48));
            sumi = wasm_i32x4_add(sumi, pairs.scaled2(plo, sm[2 * j], phi, sm[2 * j + 1]));
        }
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc) - f32x4_hsum(accm);
}

float vec_dot_q4_K_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q4_K_dot(n, static_cast<const block_q4_K*>(vx), y, Q8KBytePairs{y});
}

float vec_dot_q4_K_q8_K_wide_simd128(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return q4_K_dot(n, static_cast<const block_q4_K*>(vx), static_cast<const block_q8_K*>(vy), Q8KWidePairs{a16});
}

#if defined(__wasm_relaxed_simd__)
float vec_dot_q4_K_q8_K_relaxed_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q4_K_dot(n, static_cast<const block_q4_K*>(vx), y, Q8KRelaxedPairs{y});
}
#endif

template <class Pairs>
float q5_K_dot(int64_t n, const block_q5_K* x, const block_q8_K* y, Pairs pairs) {
    const int64_t nb = n / QK_K;
    const v128_t m4 = wasm_i8x16_splat(0x0F), b4 = wasm_i8x16_splat(0x10), zero = wasm_i32x4_splat(0);
    v128_t acc = wasm_f32x4_splat(0.0f), accm = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = y[i].d * fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
        uint8_t sm[16];
        unpack_scales_k4(x[i].scales, sm);
        const v128_t smv = wasm_v128_load(sm);
        const v128_t mlo = wasm_i8x16_shuffle(smv, zero, 8, 16, 8, 16, 9, 16, 9, 16, 10, 16, 10, 16, 11, 16, 11, 16);
        const v128_t mhi = wasm_i8x16_shuffle(smv, zero, 12, 16, 12, 16, 13, 16, 13, 16, 14, 16, 14, 16, 15, 16, 15, 16);
        const v128_t pm = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums), mlo),
                                         wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums + 8), mhi));
        accm = wasm_f32x4_add(accm, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(pm), wasm_f32x4_splat(dmin)));

        const uint8_t* q5 = x[i].qs;
        v128_t h0 = wasm_v128_load(x[i].qh);
        v128_t h1 = wasm_v128_load(x[i].qh + 16);
        v128_t sumi = zero;
        for (int j = 0; j < 4; ++j) {
            const v128_t q0 = wasm_v128_load(q5 + 32 * j);
            const v128_t q1 = wasm_v128_load(q5 + 32 * j + 16);
            const v128_t lo0 = wasm_v128_or(wasm_v128_and(q0, m4), wasm_v128_and(wasm_i8x16_shl(h0, 4), b4));
            const v128_t lo1 = wasm_v128_or(wasm_v128_and(q1, m4), wasm_v128_and(wasm_i8x16_shl(h1, 4), b4));
            const v128_t hi0 = wasm_v128_or(wasm_u8x16_shr(q0, 4), wasm_v128_and(wasm_i8x16_shl(h0, 3), b4));
            const v128_t hi1 = wasm_v128_or(wasm_u8x16_shr(q1, 4), wasm_v128_and(wasm_i8x16_shl(h1, 3), b4));
            h0 = wasm_u8x16_shr(h0, 2);
            h1 = wasm_u8x16_shr(h1, 2);
            // Four products per i16 lane: at most 4 * 31 * 128 < 2^15.
            const v128_t plo = wasm_i16x8_add(pairs(i, lo0, 64 * j), pairs(i, lo1, 64 * j + 16));
            const v128_t phi = wasm_i16x8_add(pairs(i, hi0, 64 * j + 32), pairs(i, hi1, 64 * j + 48));
            sumi = wasm_i32x4_add(sumi, pairs.scaled2(plo, sm[2 * j], phi, sm[2 * j + 1]));
        }
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc) - f32x4_hsum(accm);
}

float vec_dot_q5_K_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q5_K_dot(n, static_cast<const block_q5_K*>(vx), y, Q8KBytePairs{y});
}

float vec_dot_q5_K_q8_K_wide_simd128(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return q5_K_dot(n, static_cast<const block_q5_K*>(vx), static_cast<const block_q8_K*>(vy), Q8KWidePairs{a16});
}

#if defined(__wasm_relaxed_simd__)
float vec_dot_q5_K_q8_K_relaxed_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q5_K_dot(n, static_cast<const block_q5_K*>(vx), y, Q8KRelaxedPairs{y});
}
#endif

template <class Pairs>
float q6_K_dot(int64_t n, const block_q6_K* x, const block_q8_K* y, Pairs pairs) {
    const int64_t nb = n / QK_K;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = y[i].d * fp16_to_fp32(x[i].d);
        // Quants are used unsigned (0..63); the "-32" comes back as
        // 32 * sum_g scale_g * bsum_g.
        const v128_t scv = wasm_v128_load(x[i].scales);
        const v128_t corr = wasm_i32x4_add(
            wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums), wasm_i16x8_extend_low_i8x16(scv)),
            wasm_i32x4_dot_i16x8(wasm_v128_load(y[i].bsums + 8), wasm_i16x8_extend_high_i8x16(scv)));
        v128_t sumi = wasm_i32x4_splat(0);
        for (int h = 0; h < 2; ++h) {
            const int8_t* sc = x[i].scales + 8 * h;
            for (int part = 0; part < 2; ++part) {
                v128_t q[4];
                q6_rows(x[i].ql + 64 * h, x[i].qh + 32 * h, part, q);
                for (int r = 0; r < 4; r += 2) {
                    // Two products per i16 lane: at most 2 * 63 * 128 < 2^15.
                    const v128_t p0 = pairs(i, q[r], 128 * h + 32 * r + 16 * part);
                    const v128_t p1 = pairs(i, q[r + 1], 128 * h + 32 * (r + 1) + 16 * part);
                    sumi = wasm_i32x4_add(sumi, pairs.scaled2(p0, sc[2 * r + part], p1, sc[2 * r + 2 + part]));
                }
            }
        }
        sumi = wasm_i32x4_sub(sumi, wasm_i32x4_shl(corr, 5));
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

float vec_dot_q6_K_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q6_K_dot(n, static_cast<const block_q6_K*>(vx), y, Q8KBytePairs{y});
}

float vec_dot_q6_K_q8_K_wide_simd128(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return q6_K_dot(n, static_cast<const block_q6_K*>(vx), static_cast<const block_q8_K*>(vy), Q8KWidePairs{a16});
}

#if defined(__wasm_relaxed_simd__)
float vec_dot_q6_K_q8_K_relaxed_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* y = static_cast<const block_q8_K*>(vy);
    return q6_K_dot(n, static_cast<const block_q6_K*>(vx), y, Q8KRelaxedPairs{y});
}
#endif

// ================================================================ quantizers

namespace {

inline v128_t fsplat(float v) { return wasm_f32x4_splat(v); }

// Horizontal max of non-negative lanes, with pmax (the scalar's "a > b" keep).
inline float hmax_pos(v128_t v) {
    v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

// Lane-wise "if (|x| > amax) { amax = |x|; max = x; }" over one value per lane.
inline void track_signed_max(v128_t x, v128_t& amax, v128_t& max) {
    const v128_t ax = wasm_f32x4_abs(x);
    const v128_t m = wasm_f32x4_gt(ax, amax);
    amax = select(m, ax, amax);
    max = select(m, x, max);
}

// ---- make_qx_quants(n = N, nmax, x, L, rmse_type = 1, qw = nullptr) for
// 4*G groups at once (Q6_K). The G vectors of one element are independent,
// which hides the latency of each lane's sequential sums.
template <int N, int G>
struct QxSearch {
    v128_t x[N][G];
    v128_t scale[G];   // the returned scale (0 for all-zero groups)
    v128_t iscale[G];  // the candidate whose rounding gives the group's L
    v128_t zero[G];    // amax < GROUP_MAX_EPS: L all zero

    void run(int nmax) {
        const v128_t fz = fsplat(0.0f);
        const RoundClamp rc(-nmax, nmax - 1);
        v128_t amax[G], mx[G];
        for (int g = 0; g < G; ++g) amax[g] = mx[g] = fz;
        for (int i = 0; i < N; ++i) {
            for (int g = 0; g < G; ++g) track_signed_max(x[i][g], amax[g], mx[g]);
        }
        // rmse_type 1: w = x^2, and "w * x * l" associates as (w * x) * l.
        v128_t w[N][G], wx[N][G];
        for (int i = 0; i < N; ++i) {
            for (int g = 0; g < G; ++g) {
                w[i][g] = wasm_f32x4_mul(x[i][g], x[i][g]);
                wx[i][g] = wasm_f32x4_mul(w[i][g], x[i][g]);
            }
        }
        v128_t isc[G], sumlx[G], suml2[G], sc[G], best[G];
        auto sums = [&]() {
            for (int g = 0; g < G; ++g) sumlx[g] = suml2[g] = fz;
            for (int i = 0; i < N; ++i) {
                for (int g = 0; g < G; ++g) {
                    const v128_t l = rc(wasm_f32x4_mul(isc[g], x[i][g]));
                    sumlx[g] = wasm_f32x4_add(sumlx[g], wasm_f32x4_mul(wx[i][g], l));
                    suml2[g] = wasm_f32x4_add(suml2[g], wasm_f32x4_mul(wasm_f32x4_mul(w[i][g], l), l));
                }
            }
        };
        for (int g = 0; g < G; ++g) isc[g] = wasm_f32x4_div(fsplat(float(-nmax)), mx[g]);
        sums();
        for (int g = 0; g < G; ++g) {
            sc[g] = select(wasm_f32x4_ne(suml2[g], fz), wasm_f32x4_div(sumlx[g], suml2[g]), fz);
            best[g] = wasm_f32x4_mul(sc[g], sumlx[g]);
            iscale[g] = isc[g];
        }
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            const float num = -(float(nmax) + 0.1f * float(is));
            for (int g = 0; g < G; ++g) isc[g] = wasm_f32x4_div(fsplat(num), mx[g]);
            sums();
            for (int g = 0; g < G; ++g) {
                const v128_t better = wasm_v128_and(
                    wasm_f32x4_gt(suml2[g], fz),
                    wasm_f32x4_gt(wasm_f32x4_mul(sumlx[g], sumlx[g]), wasm_f32x4_mul(best[g], suml2[g])));
                const v128_t ns = wasm_f32x4_div(sumlx[g], suml2[g]);
                sc[g] = select(better, ns, sc[g]);
                best[g] = select(better, wasm_f32x4_mul(ns, sumlx[g]), best[g]);
                iscale[g] = select(better, isc[g], iscale[g]);
            }
        }
        for (int g = 0; g < G; ++g) {
            zero[g] = wasm_f32x4_lt(amax[g], fsplat(kGroupMaxEps));
            scale[g] = wasm_v128_andnot(sc[g], zero[g]);
        }
    }
};

// ---- make_q3_quants(16, nmax = 4, x, L, do_rmse = true) for 4*G groups:
// the coordinate descent runs lane-parallel; a group that had a round without
// change stops (its lanes are masked) while the others go on.
template <int G>
struct Q3Search {
    v128_t x[16][G];
    v128_t L[16][G];  // the group's final L (offset +4; 0 in all-zero groups), as floats
    v128_t scale[G];

    void run() {
        const v128_t fz = fsplat(0.0f);
        const RoundClamp rc(-4, 3);
        v128_t amax[G], mx[G], zero[G], active[G], sumlx[G], suml2[G];
        for (int g = 0; g < G; ++g) amax[g] = mx[g] = fz;
        for (int i = 0; i < 16; ++i) {
            for (int g = 0; g < G; ++g) track_signed_max(x[i][g], amax[g], mx[g]);
        }
        v128_t w[16][G], wx[16][G];
        for (int g = 0; g < G; ++g) {
            zero[g] = wasm_f32x4_lt(amax[g], fsplat(kGroupMaxEps));
            active[g] = wasm_v128_not(zero[g]);
            const v128_t isc = wasm_f32x4_div(fsplat(-4.f), mx[g]);
            sumlx[g] = suml2[g] = fz;
            for (int i = 0; i < 16; ++i) {
                w[i][g] = wasm_f32x4_mul(x[i][g], x[i][g]);
                wx[i][g] = wasm_f32x4_mul(w[i][g], x[i][g]);
                const v128_t l = rc(wasm_f32x4_mul(isc, x[i][g]));
                L[i][g] = l;
                sumlx[g] = wasm_f32x4_add(sumlx[g], wasm_f32x4_mul(wx[i][g], l));
                suml2[g] = wasm_f32x4_add(suml2[g], wasm_f32x4_mul(wasm_f32x4_mul(w[i][g], l), l));
            }
        }
        for (int itry = 0; itry < 5; ++itry) {
            v128_t changed[G];
            for (int g = 0; g < G; ++g) changed[g] = wasm_i32x4_splat(0);
            for (int i = 0; i < 16; ++i) {
                for (int g = 0; g < G; ++g) {
                    const v128_t li = L[i][g];
                    const v128_t slx = wasm_f32x4_sub(sumlx[g], wasm_f32x4_mul(wx[i][g], li));
                    const v128_t sl2 = wasm_f32x4_sub(suml2[g], wasm_f32x4_mul(wasm_f32x4_mul(w[i][g], li), li));
                    const v128_t nl = rc(wasm_f32x4_div(wasm_f32x4_mul(x[i][g], sl2), slx));
                    const v128_t slx2 = wasm_f32x4_add(slx, wasm_f32x4_mul(wx[i][g], nl));
                    const v128_t sl22 = wasm_f32x4_add(sl2, wasm_f32x4_mul(wasm_f32x4_mul(w[i][g], nl), nl));
                    const v128_t gain = wasm_f32x4_gt(wasm_f32x4_mul(wasm_f32x4_mul(slx2, slx2), suml2[g]),
                                                      wasm_f32x4_mul(wasm_f32x4_mul(sumlx[g], sumlx[g]), sl22));
                    v128_t upd = wasm_v128_and(wasm_f32x4_gt(slx, fz), wasm_f32x4_ne(nl, li));
                    upd = wasm_v128_and(upd, wasm_v128_and(wasm_f32x4_gt(sl22, fz), gain));
                    upd = wasm_v128_and(upd, active[g]);
                    L[i][g] = select(upd, nl, li);
                    sumlx[g] = select(upd, slx2, sumlx[g]);
                    suml2[g] = select(upd, sl22, suml2[g]);
                    changed[g] = wasm_v128_or(changed[g], upd);
                }
            }
            v128_t any = wasm_i32x4_splat(0);
            for (int g = 0; g < G; ++g) {
                active[g] = wasm_v128_and(active[g], changed[g]);
                any = wasm_v128_or(any, active[g]);
            }
            if (!wasm_v128_any_true(any)) break;
        }
        for (int g = 0; g < G; ++g) {
            const v128_t s = select(wasm_f32x4_gt(suml2[g], fz), wasm_f32x4_div(sumlx[g], suml2[g]), fz);
            scale[g] = wasm_v128_andnot(s, zero[g]);
            for (int i = 0; i < 16; ++i) L[i][g] = wasm_v128_andnot(wasm_f32x4_add(L[i][g], fsplat(4.f)), zero[g]);
        }
    }
};

// ---- make_qkx2_quants(N, nmax, x, weights, L, &the_min, Laux, rmin, rdelta,
// nstep, use_mad = kMad) for 4*G groups. L itself is not tracked: it is the
// rounding of (x - min) * iscale for the winning candidate, so the search
// keeps that candidate's iscale and min and callers recompute L on demand.
template <int N, int G, bool kMad>
struct Qkx2Search {
    v128_t x[N][G];
    v128_t w[N][G];
    v128_t scale[G];     // returned scale (0 for flat groups)
    v128_t the_min[G];   // *the_min
    v128_t l_iscale[G];  // iscale and min that produced the group's L
    v128_t l_min[G];
    v128_t flat[G];      // max == min: L all zero

    void run(int nmax, float rmin, float rdelta, int nstep) {
        const v128_t fz = fsplat(0.0f);
        const RoundClamp rc(0, nmax);
        v128_t mn[G], mx[G], sum_w[G], sum_x[G], sc[G], best[G], isc[G];
        for (int g = 0; g < G; ++g) {
            mn[g] = mx[g] = x[0][g];
            sum_w[g] = w[0][g];
            sum_x[g] = wasm_f32x4_mul(w[0][g], x[0][g]);
        }
        for (int i = 1; i < N; ++i) {
            for (int g = 0; g < G; ++g) {
                // pmin/pmax are exactly "if (x < min) min = x" / "if (x > max) max = x".
                mn[g] = wasm_f32x4_pmin(mn[g], x[i][g]);
                mx[g] = wasm_f32x4_pmax(mx[g], x[i][g]);
                sum_w[g] = wasm_f32x4_add(sum_w[g], w[i][g]);
                sum_x[g] = wasm_f32x4_add(sum_x[g], wasm_f32x4_mul(w[i][g], x[i][g]));
            }
        }
        for (int g = 0; g < G; ++g) {
            mn[g] = wasm_v128_andnot(mn[g], wasm_f32x4_gt(mn[g], fz));
            flat[g] = wasm_f32x4_eq(mx[g], mn[g]);
            isc[g] = wasm_f32x4_div(fsplat(float(nmax)), wasm_f32x4_sub(mx[g], mn[g]));
            sc[g] = wasm_f32x4_div(fsplat(1.0f), isc[g]);
            l_iscale[g] = isc[g];
            l_min[g] = mn[g];
            best[g] = fz;
        }
        for (int i = 0; i < N; ++i) {
            for (int g = 0; g < G; ++g) {
                const v128_t l = rc(wasm_f32x4_mul(isc[g], wasm_f32x4_sub(x[i][g], mn[g])));
                v128_t diff = wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(sc[g], l), mn[g]), x[i][g]);
                diff = kMad ? wasm_f32x4_abs(diff) : wasm_f32x4_mul(diff, diff);
                best[g] = wasm_f32x4_add(best[g], wasm_f32x4_mul(w[i][g], diff));
            }
        }
        v128_t laux[N][G];
        for (int is = 0; is <= nstep; ++is) {
            const float num = rmin + rdelta * float(is) + float(nmax);
            v128_t sum_l[G], sum_l2[G], sum_xl[G];
            for (int g = 0; g < G; ++g) {
                isc[g] = wasm_f32x4_div(fsplat(num), wasm_f32x4_sub(mx[g], mn[g]));
                sum_l[g] = sum_l2[g] = sum_xl[g] = fz;
            }
            for (int i = 0; i < N; ++i) {
                for (int g = 0; g < G; ++g) {
                    const v128_t l = rc(wasm_f32x4_mul(isc[g], wasm_f32x4_sub(x[i][g], mn[g])));
                    laux[i][g] = l;
                    const v128_t wl = wasm_f32x4_mul(w[i][g], l);
                    sum_l[g] = wasm_f32x4_add(sum_l[g], wl);
                    sum_l2[g] = wasm_f32x4_add(sum_l2[g], wasm_f32x4_mul(wl, l));
                    sum_xl[g] = wasm_f32x4_add(sum_xl[g], wasm_f32x4_mul(wl, x[i][g]));
                }
            }
            v128_t D[G], ts[G], tm[G], cur[G];
            for (int g = 0; g < G; ++g) {
                D[g] = wasm_f32x4_sub(wasm_f32x4_mul(sum_w[g], sum_l2[g]), wasm_f32x4_mul(sum_l[g], sum_l[g]));
                ts[g] = wasm_f32x4_div(
                    wasm_f32x4_sub(wasm_f32x4_mul(sum_w[g], sum_xl[g]), wasm_f32x4_mul(sum_x[g], sum_l[g])), D[g]);
                tm[g] = wasm_f32x4_div(
                    wasm_f32x4_sub(wasm_f32x4_mul(sum_l2[g], sum_x[g]), wasm_f32x4_mul(sum_l[g], sum_xl[g])), D[g]);
                const v128_t pos = wasm_f32x4_gt(tm[g], fz);
                tm[g] = wasm_v128_andnot(tm[g], pos);
                ts[g] = select(pos, wasm_f32x4_div(sum_xl[g], sum_l2[g]), ts[g]);
                cur[g] = fz;
            }
            for (int i = 0; i < N; ++i) {
                for (int g = 0; g < G; ++g) {
                    v128_t diff = wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(ts[g], laux[i][g]), tm[g]), x[i][g]);
                    diff = kMad ? wasm_f32x4_abs(diff) : wasm_f32x4_mul(diff, diff);
                    cur[g] = wasm_f32x4_add(cur[g], wasm_f32x4_mul(w[i][g], diff));
                }
            }
            for (int g = 0; g < G; ++g) {
                v128_t upd = wasm_v128_and(wasm_f32x4_gt(D[g], fz), wasm_f32x4_lt(cur[g], best[g]));
                upd = wasm_v128_andnot(upd, flat[g]);
                l_iscale[g] = select(upd, isc[g], l_iscale[g]);
                l_min[g] = select(upd, mn[g], l_min[g]);
                best[g] = select(upd, cur[g], best[g]);
                sc[g] = select(upd, ts[g], sc[g]);
                mn[g] = select(upd, tm[g], mn[g]);
            }
        }
        for (int g = 0; g < G; ++g) {
            scale[g] = wasm_v128_andnot(sc[g], flat[g]);
            the_min[g] = wasm_f32x4_neg(mn[g]);
        }
    }
};

// Per-group results of a Qkx2Search, unpacked to scalars (group j = lane j%4 of vector j/4).
template <int NG>
struct Qkx2Groups {
    float scales[NG], mins[NG], l_iscale[NG], l_min[NG];
    int32_t flat[NG];

    template <int N, int G, bool kMad>
    void take(const Qkx2Search<N, G, kMad>& s, int g0) {
        for (int g = 0; g < G; ++g) {
            const int j = 4 * (g0 + g);
            wasm_v128_store(scales + j, s.scale[g]);
            wasm_v128_store(mins + j, s.the_min[g]);
            wasm_v128_store(l_iscale + j, s.l_iscale[g]);
            wasm_v128_store(l_min + j, s.l_min[g]);
            wasm_v128_store(flat + j, s.flat[g]);
        }
    }

    // The search's own L for group j (the ref keeps it where the final scale is 0).
    void search_L(int j, const float* xg, int n, int nmax, uint8_t* L) const {
        for (int i = 0; i < n; ++i) {
            L[i] = flat[j] ? 0 : uint8_t(qmax(0, qmin(nmax, nearest_int(l_iscale[j] * (xg[i] - l_min[j])))));
        }
    }
};

// ---------------------------------------------------------------- Q8_K

}  // namespace

void quantize_row_q8_K_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_K*>(vy);
    const int64_t nb = k / QK_K;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK_K;
        v128_t a[4] = {fsplat(0.0f), fsplat(0.0f), fsplat(0.0f), fsplat(0.0f)};
        for (int j = 0; j < QK_K; j += 16) {
            for (int u = 0; u < 4; ++u) a[u] = wasm_f32x4_pmax(a[u], wasm_f32x4_abs(wasm_v128_load(xb + j + 4 * u)));
        }
        const float amax = hmax_pos(wasm_f32x4_pmax(wasm_f32x4_pmax(a[0], a[1]), wasm_f32x4_pmax(a[2], a[3])));
        if (amax == 0.0f) {
            y[i].d = 0;
            std::memset(y[i].qs, 0, QK_K);
            std::memset(y[i].bsums, 0, sizeof y[i].bsums);
            continue;
        }
        // The ref keeps the first value of largest magnitude (strict >): only its sign matters.
        float max = amax;
        const v128_t va = fsplat(amax);
        for (int j = 0; j < QK_K; j += 4) {
            const int bits = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_f32x4_abs(wasm_v128_load(xb + j)), va));
            if (bits) {
                max = xb[j + __builtin_ctz(unsigned(bits))];
                break;
            }
        }
        const float iscale = -127.f / max;
        const v128_t vs = fsplat(iscale);
        // With a finite iscale |iscale * x| <= 127 (plus rounding), so the
        // saturating narrows are exactly the ref's int8_t(min(127, v)). A
        // denormal max makes iscale infinite and nearest_int wraps: then
        // replicate the min and the truncation to the low byte.
        const bool finite = std::fabs(iscale) <= 3.40282347e38f;
        const v128_t c127 = wasm_i32x4_splat(127), cff = wasm_i32x4_splat(0xFF);
        v128_t q[16];
        for (int g = 0; g < 16; ++g) {
            v128_t r[4];
            for (int u = 0; u < 4; ++u) {
                r[u] = nearest_int_i32x4(wasm_f32x4_mul(vs, wasm_v128_load(xb + 16 * g + 4 * u)));
                if (!finite) r[u] = wasm_v128_and(wasm_i32x4_min(r[u], c127), cff);
            }
            q[g] = finite ? wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(r[0], r[1]), wasm_i16x8_narrow_i32x4(r[2], r[3]))
                          : narrow_u8(r[0], r[1], r[2], r[3]);
            wasm_v128_store(y[i].qs + 16 * g, q[g]);
        }
        bsums_from_groups(q, y[i].bsums);
        y[i].d = 1 / iscale;
    }
}

// ---------------------------------------------------------------- Q2_K

void quantize_row_q2_K_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q2_K*>(vy);
    const int64_t nb = k / QK_K;
    constexpr int kG = 2;
    Qkx2Search<16, kG, true> s;
    Qkx2Groups<16> r;
    alignas(16) uint8_t L[QK_K];
    const float q4scale = 15.f;
    for (int64_t i = 0; i < nb; ++i, x += QK_K) {
        for (int g0 = 0; g0 < 4; g0 += kG) {
            for (int g = 0; g < kG; ++g) load_transposed<16, kG>(x + 64 * (g0 + g), s.x, g);
            for (int l = 0; l < 16; ++l) {
                for (int g = 0; g < kG; ++g) s.w[l][g] = wasm_f32x4_abs(s.x[l][g]);
            }
            s.run(3, -0.5f, 0.1f, 15);
            r.take(s, g0);
        }
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 16; ++j) {
            if (r.scales[j] > max_scale) max_scale = r.scales[j];
            if (r.mins[j] > max_min) max_min = r.mins[j];
        }
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int j = 0; j < 16; ++j) y[i].scales[j] = uint8_t(nearest_int(iscale * r.scales[j]));
            y[i].d = fp32_to_fp16(max_scale / q4scale);
        } else {
            for (int j = 0; j < 16; ++j) y[i].scales[j] = 0;
            y[i].d = fp32_to_fp16(0.f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int j = 0; j < 16; ++j) {
                const int l = nearest_int(iscale * r.mins[j]);
                y[i].scales[j] = uint8_t(y[i].scales[j] | (uint32_t(l) << 4));
            }
            y[i].dmin = fp32_to_fp16(max_min / q4scale);
        } else {
            y[i].dmin = fp32_to_fp16(0.f);
        }
        const float dd = fp16_to_fp32(y[i].d), dmm = fp16_to_fp32(y[i].dmin);
        for (int j = 0; j < 16; ++j) {
            const float d = dd * float(y[i].scales[j] & 0xF);
            if (!d) {
                r.search_L(j, x + 16 * j, 16, 3, L + 16 * j);
                continue;
            }
            const v128_t vd = fsplat(d), vm = fsplat(dmm * float(y[i].scales[j] >> 4));
            v128_t v[4];
            for (int u = 0; u < 4; ++u) v[u] = wasm_f32x4_div(wasm_f32x4_add(wasm_v128_load(x + 16 * j + 4 * u), vm), vd);
            wasm_v128_store(L + 16 * j, quantize16(v, 0, 3));
        }
        for (int h = 0; h < 2; ++h) {
            for (int part = 0; part < 2; ++part) {
                const uint8_t* Lb = L + 128 * h + 16 * part;
                wasm_v128_store(y[i].qs + 32 * h + 16 * part,
                                pack2(wasm_v128_load(Lb), wasm_v128_load(Lb + 32), wasm_v128_load(Lb + 64),
                                      wasm_v128_load(Lb + 96)));
            }
        }
    }
}

// ---------------------------------------------------------------- Q3_K

namespace {

void pack_q3_scales_simd(const int8_t* ls, uint8_t* scales) {
    std::memset(scales, 0, 12);
    for (int j = 0; j < 16; ++j) {
        int l = ls[j];
        if (j < 8) {
            scales[j] = uint8_t(l & 0xF);
        } else {
            scales[j - 8] = uint8_t(scales[j - 8] | ((l & 0xF) << 4));
        }
        l >>= 4;
        scales[j % 4 + 8] = uint8_t(scales[j % 4 + 8] | (l << (2 * (j / 4))));
    }
}

}  // namespace

void quantize_row_q3_K_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q3_K*>(vy);
    const int64_t nb = k / QK_K;
    constexpr int kG = 4;  // all 16 groups at once: the descent's chains are long
    Q3Search<kG> s;
    float scales[16];
    float Ls[16][16];  // [element][group]: the search's L
    alignas(16) uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i, x += QK_K) {
        for (int g0 = 0; g0 < 4; g0 += kG) {
            for (int g = 0; g < kG; ++g) load_transposed<16, kG>(x + 64 * (g0 + g), s.x, g);
            s.run();
            for (int g = 0; g < kG; ++g) {
                wasm_v128_store(scales + 4 * (g0 + g), s.scale[g]);
                for (int e = 0; e < 16; ++e) wasm_v128_store(&Ls[e][4 * (g0 + g)], s.L[e][g]);
            }
        }
        float max_scale = 0, amax = 0;
        for (int j = 0; j < 16; ++j) {
            const float a = std::fabs(scales[j]);
            if (a > amax) {
                amax = a;
                max_scale = scales[j];
            }
        }
        if (max_scale != 0.0f) {
            const float iscale = -32.f / max_scale;
            int8_t ls[16];
            for (int j = 0; j < 16; ++j) {
                const int8_t l = int8_t(nearest_int(iscale * scales[j]));  // narrowed before the clamp, as ggml
                ls[j] = int8_t(qmax<int>(-32, qmin<int>(31, l)) + 32);
            }
            pack_q3_scales_simd(ls, y[i].scales);
            y[i].d = fp32_to_fp16(1 / iscale);
        } else {
            std::memset(y[i].scales, 0, 12);
            y[i].d = fp32_to_fp16(0.f);
        }
        int8_t sc[16];
        unpack_scales_q3(y[i].scales, sc);
        const float dd = fp16_to_fp32(y[i].d);
        for (int j = 0; j < 16; ++j) {
            const float d = dd * float(sc[j]);
            if (!d) {
                for (int e = 0; e < 16; ++e) L[16 * j + e] = uint8_t(Ls[e][j]);
                continue;
            }
            const v128_t vd = fsplat(d);
            v128_t v[4];
            for (int u = 0; u < 4; ++u) v[u] = wasm_f32x4_div(wasm_v128_load(x + 16 * j + 4 * u), vd);
            wasm_v128_store(L + 16 * j, quantize16(v, 4, 7));
        }
        // Value 32*b + m: bit b of hmask[m] is its high bit; qs keeps the low two.
        const v128_t three = wasm_i8x16_splat(3);
        for (int part = 0; part < 2; ++part) {
            v128_t hm = wasm_i32x4_splat(0);
            for (int b = 0; b < 8; ++b) {
                uint8_t* Lb = L + 32 * b + 16 * part;
                const v128_t v = wasm_v128_load(Lb);
                hm = wasm_v128_or(hm, wasm_v128_and(wasm_u8x16_gt(v, three), wasm_i8x16_splat(int8_t(1u << b))));
                wasm_v128_store(Lb, wasm_v128_and(v, three));
            }
            wasm_v128_store(y[i].hmask + 16 * part, hm);
        }
        for (int h = 0; h < 2; ++h) {
            for (int part = 0; part < 2; ++part) {
                const uint8_t* Lb = L + 128 * h + 16 * part;
                wasm_v128_store(y[i].qs + 32 * h + 16 * part,
                                pack2(wasm_v128_load(Lb), wasm_v128_load(Lb + 32), wasm_v128_load(Lb + 64),
                                      wasm_v128_load(Lb + 96)));
            }
        }
    }
}

// ---------------------------------------------------------------- Q4_K / Q5_K

namespace {

// Group fits, 6-bit scales/mins and requantized L of one Q4_K/Q5_K super-block
// (ggml quantize_row_q4_K_ref / q5_K_ref up to the bit packing).
void quantize_k4_block(const float* x, int nmax, float rmin, int nstep, uint8_t* L, uint8_t* scales_out,
                       ggml_half* d_out, ggml_half* dmin_out) {
    Qkx2Search<32, 2, false> s;
    Qkx2Groups<8> r;
    for (int g = 0; g < 2; ++g) load_transposed<32, 2>(x + 128 * g, s.x, g);
    for (int g = 0; g < 2; ++g) {
        v128_t sum_x2 = fsplat(0.0f);
        for (int l = 0; l < 32; ++l) sum_x2 = wasm_f32x4_add(sum_x2, wasm_f32x4_mul(s.x[l][g], s.x[l][g]));
        const v128_t av_x = wasm_f32x4_sqrt(wasm_f32x4_div(sum_x2, fsplat(32.f)));
        for (int l = 0; l < 32; ++l) s.w[l][g] = wasm_f32x4_add(av_x, wasm_f32x4_abs(s.x[l][g]));
    }
    s.run(nmax, rmin, 0.1f, nstep);
    r.take(s, 0);

    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        if (r.scales[j] > max_scale) max_scale = r.scales[j];
        if (r.mins[j] > max_min) max_min = r.mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; ++j) {
        // narrowed to uint8_t before the clamp, as ggml
        uint8_t ls = uint8_t(nearest_int(inv_scale * r.scales[j]));
        uint8_t lm = uint8_t(nearest_int(inv_min * r.mins[j]));
        ls = qmin<uint8_t>(63, ls);
        lm = qmin<uint8_t>(63, lm);
        set_scale_min_k4(j, ls, lm, scales_out);
    }
    *d_out = fp32_to_fp16(max_scale / 63.f);
    *dmin_out = fp32_to_fp16(max_min / 63.f);

    const float dd = fp16_to_fp32(*d_out), dmm = fp16_to_fp32(*dmin_out);
    for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        get_scale_min_k4(j, scales_out, &sc, &m);
        const float d = dd * float(sc);
        if (!d) {
            r.search_L(j, x + 32 * j, 32, nmax, L + 32 * j);
            continue;
        }
        const v128_t vd = fsplat(d), vm = fsplat(dmm * float(m));
        for (int h = 0; h < 2; ++h) {
            v128_t v[4];
            for (int u = 0; u < 4; ++u) {
                v[u] = wasm_f32x4_div(wasm_f32x4_add(wasm_v128_load(x + 32 * j + 16 * h + 4 * u), vm), vd);
            }
            wasm_v128_store(L + 32 * j + 16 * h, quantize16(v, 0, nmax));
        }
    }
}

}  // namespace

void quantize_row_q4_K_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q4_K*>(vy);
    const int64_t nb = k / QK_K;
    alignas(16) uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i, x += QK_K) {
        quantize_k4_block(x, 15, -1.f, 20, L, y[i].scales, &y[i].d, &y[i].dmin);
        // byte l of chunk c: value 64c + l (low nibble), 64c + 32 + l (high)
        for (int c = 0; c < 4; ++c) {
            for (int h = 0; h < 2; ++h) {
                const v128_t a = wasm_v128_load(L + 64 * c + 16 * h);
                const v128_t b = wasm_v128_load(L + 64 * c + 32 + 16 * h);
                wasm_v128_store(y[i].qs + 32 * c + 16 * h, wasm_v128_or(a, wasm_i8x16_shl(b, 4)));
            }
        }
    }
}

void quantize_row_q5_K_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q5_K*>(vy);
    const int64_t nb = k / QK_K;
    alignas(16) uint8_t L[QK_K];
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i, x += QK_K) {
        quantize_k4_block(x, 31, -0.5f, 15, L, y[i].scales, &y[i].d, &y[i].dmin);
        // nibbles as Q4_K; bit 4 of value 64c + l goes to bit 2c of qh[l],
        // of value 64c + 32 + l to bit 2c + 1 (qh is built from chunk 3 down,
        // shifting by a constant 2 per chunk).
        for (int h = 0; h < 2; ++h) {
            v128_t qh = wasm_i32x4_splat(0);
            for (int c = 3; c >= 0; --c) {
                const v128_t a = wasm_v128_load(L + 64 * c + 16 * h);
                const v128_t b = wasm_v128_load(L + 64 * c + 32 + 16 * h);
                wasm_v128_store(y[i].qs + 32 * c + 16 * h, wasm_v128_or(wasm_v128_and(a, m4), wasm_i8x16_shl(b, 4)));
                const v128_t bits = wasm_v128_or(wasm_u8x16_shr(a, 4), wasm_i8x16_shl(wasm_u8x16_shr(b, 4), 1));
                qh = wasm_v128_or(wasm_i8x16_shl(qh, 2), bits);
            }
            wasm_v128_store(y[i].qh + 16 * h, qh);
        }
    }
}

// ---------------------------------------------------------------- Q6_K

void quantize_row_q6_K_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q6_K*>(vy);
    const int64_t nb = k / QK_K;
    constexpr int kG = 4;
    QxSearch<16, kG> s;
    float scales[16], isc[16];
    int32_t zero[16];
    alignas(16) uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; ++i, x += QK_K) {
        for (int g0 = 0; g0 < 4; g0 += kG) {
            for (int g = 0; g < kG; ++g) load_transposed<16, kG>(x + 64 * (g0 + g), s.x, g);
            s.run(32);
            for (int g = 0; g < kG; ++g) {
                wasm_v128_store(scales + 4 * (g0 + g), s.scale[g]);
                wasm_v128_store(isc + 4 * (g0 + g), s.iscale[g]);
                wasm_v128_store(zero + 4 * (g0 + g), s.zero[g]);
            }
        }
        float max_scale = 0, max_abs_scale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            const float a = std::fabs(scales[ib]);
            if (a > max_abs_scale) {
                max_abs_scale = a;
                max_scale = scales[ib];
            }
        }
        if (max_abs_scale < kGroupMaxEps) {
            std::memset(&y[i], 0, sizeof(block_q6_K));
            y[i].d = fp32_to_fp16(0.f);
            continue;
        }
        const float iscale = -128.f / max_scale;
        y[i].d = fp32_to_fp16(1 / iscale);
        for (int ib = 0; ib < 16; ++ib) y[i].scales[ib] = int8_t(qmin(127, nearest_int(iscale * scales[ib])));
        const float dd = fp16_to_fp32(y[i].d);
        for (int j = 0; j < 16; ++j) {
            const float d = dd * float(y[i].scales[j]);
            if (!d) {
                for (int e = 0; e < 16; ++e) {
                    const int l = qmax(-32, qmin(31, nearest_int(isc[j] * x[16 * j + e])));
                    L[16 * j + e] = zero[j] ? 0 : uint8_t(l + 32);
                }
                continue;
            }
            const v128_t vd = fsplat(d);
            v128_t v[4];
            for (int u = 0; u < 4; ++u) v[u] = wasm_f32x4_div(wasm_v128_load(x + 16 * j + 4 * u), vd);
            wasm_v128_store(L + 16 * j, quantize16(v, 32, 63));
        }
        const v128_t m4 = wasm_i8x16_splat(0x0F);
        for (int h = 0; h < 2; ++h) {
            for (int part = 0; part < 2; ++part) {
                const uint8_t* Lb = L + 128 * h + 16 * part;
                const v128_t a = wasm_v128_load(Lb), b = wasm_v128_load(Lb + 32);
                const v128_t c = wasm_v128_load(Lb + 64), e = wasm_v128_load(Lb + 96);
                wasm_v128_store(y[i].ql + 64 * h + 16 * part, wasm_v128_or(wasm_v128_and(a, m4), wasm_i8x16_shl(c, 4)));
                wasm_v128_store(y[i].ql + 64 * h + 32 + 16 * part,
                                wasm_v128_or(wasm_v128_and(b, m4), wasm_i8x16_shl(e, 4)));
                wasm_v128_store(y[i].qh + 32 * h + 16 * part,
                                pack2(wasm_u8x16_shr(a, 4), wasm_u8x16_shr(b, 4), wasm_u8x16_shr(c, 4),
                                      wasm_u8x16_shr(e, 4)));
            }
        }
    }
}

// ---------------------------------------------------------------- chunk quantizers
// ggml's quantize_<t> runs the reference row quantizer when there is no
// importance matrix; the imatrix searches (make_qkx3_quants, make_qp_quants)
// stay scalar.

namespace {

template <typename Block>
size_t quantize_chunk(QuantizeRowFn row, const float* src, void* dst, int64_t nrows, int64_t n_per_row) {
    const size_t row_bytes = size_t(n_per_row / QK_K) * sizeof(Block);
    return quantize_rows_with(row, row_bytes, src, dst, nrows, n_per_row);
}

}  // namespace

size_t quantize_q8_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    return quantize_chunk<block_q8_K>(quantize_row_q8_K_simd128, src, dst, nrows, n_per_row);
}

size_t quantize_q2_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix) return quantize_q2_K_ref(src, dst, nrows, n_per_row, imatrix);
    return quantize_chunk<block_q2_K>(quantize_row_q2_K_simd128, src, dst, nrows, n_per_row);
}

size_t quantize_q3_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix) return quantize_q3_K_ref(src, dst, nrows, n_per_row, imatrix);
    return quantize_chunk<block_q3_K>(quantize_row_q3_K_simd128, src, dst, nrows, n_per_row);
}

size_t quantize_q4_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix) return quantize_q4_K_ref(src, dst, nrows, n_per_row, imatrix);
    return quantize_chunk<block_q4_K>(quantize_row_q4_K_simd128, src, dst, nrows, n_per_row);
}

size_t quantize_q5_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix) return quantize_q5_K_ref(src, dst, nrows, n_per_row, imatrix);
    return quantize_chunk<block_q5_K>(quantize_row_q5_K_simd128, src, dst, nrows, n_per_row);
}

size_t quantize_q6_K_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix) return quantize_q6_K_ref(src, dst, nrows, n_per_row, imatrix);
    return quantize_chunk<block_q6_K>(quantize_row_q6_K_simd128, src, dst, nrows, n_per_row);
}

}  // namespace quantlab
