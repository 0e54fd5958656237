// SIMD128 kernels of the ternary formats TQ1_0 and TQ2_0, equal to their
// _ref twins in formats/ref/ternary_quants_ref.cpp (which has the format and
// its sources). Sixteen values are handled per step: lane m of a digit vector
// is the digit of byte m, so the byte-wise packing of the reference becomes
// lane-wise arithmetic.
#include "formats/simd128/ternary_quants_simd128.h"

#include <cmath>
#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/ref/ternary_quants_ref.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// d = max |x| of a super-block (finite inputs: the order of max does not
// matter) stored as fp16 in *dh; *id = 1/d in every lane (0 when d is 0).
// False when 1/d overflows (d a float subnormal): such blocks take the
// reference path, which reproduces ggml's lroundf of inf and NaN.
bool block_scale(const float* x, ggml_half* dh, v128_t* id) {
    v128_t m = wasm_f32x4_splat(0.0f);
    for (int j = 0; j < QK_K; j += 4) m = wasm_f32x4_max(m, wasm_f32x4_abs(wasm_v128_load(x + j)));
    const float d = f32x4_hmax(m);
    *dh = fp32_to_fp16(d);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    *id = wasm_f32x4_splat(inv);
    return std::isfinite(inv);
}

// Digits (round(x * id) + 1, as i32 lanes) of four values, for a finite id:
// then |x * id| <= max|x| * (1 / max|x|) < 1.5, so rounding half away from
// zero gives 1 from 0.5 up and -1 from -0.5 down. (An infinite id, from a
// float-subnormal max, goes to the reference: see quantize_row_*_simd128.)
inline v128_t digits4(const float* x, v128_t id) {
    const v128_t v = wasm_f32x4_mul(wasm_v128_load(x), id);
    const v128_t up = wasm_f32x4_ge(v, wasm_f32x4_splat(0.5f)), down = wasm_f32x4_le(v, wasm_f32x4_splat(-0.5f));
    return wasm_i32x4_add(wasm_i32x4_sub(wasm_i32x4_splat(1), up), down);  // masks are -1
}

// Digits of the 16 consecutive values x[0..15], as two i16x8.
struct Digits16 {
    v128_t lo, hi;  // i16 lanes 0..7 and 8..15
};

inline Digits16 digits16(const float* x, v128_t id) {
    return {wasm_i16x8_narrow_i32x4(digits4(x, id), digits4(x + 4, id)),
            wasm_i16x8_narrow_i32x4(digits4(x + 8, id), digits4(x + 12, id))};
}

// ceil(v * 256 / 243) of base-3 numbers v <= 242 in i16 lanes: (v * 256 +
// 242) * 69043 >> 24 is the exact quotient for every such v (69043 =
// ceil(2^24 / 243); the product stays below 2^32).
inline v128_t pack_trits16(v128_t v) {
    const v128_t t = wasm_i16x8_add(wasm_i16x8_shl(v, 8), wasm_i16x8_splat(242));
    const v128_t m = wasm_i32x4_splat(69043);
    const v128_t lo = wasm_u32x4_shr(wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(t), m), 24);
    const v128_t hi = wasm_u32x4_shr(wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(t), m), 24);
    return wasm_i16x8_narrow_i32x4(lo, hi);
}

// 16 bytes of TQ1_0 qs: byte m holds values x[m + stride * t], t = 0..4.
inline v128_t pack_tq1_bytes(const float* x, int stride, v128_t id) {
    v128_t lo = wasm_i16x8_splat(0), hi = wasm_i16x8_splat(0);
    const v128_t three = wasm_i16x8_splat(3);
    for (int t = 0; t < 5; ++t) {
        const Digits16 d = digits16(x + stride * t, id);
        lo = wasm_i16x8_add(wasm_i16x8_mul(lo, three), d.lo);
        hi = wasm_i16x8_add(wasm_i16x8_mul(hi, three), d.hi);
    }
    return wasm_u8x16_narrow_i16x8(pack_trits16(lo), pack_trits16(hi));
}

// Digit t (0 = most significant) of 16 packed bytes as i16 lanes 0..2 (two vectors).
inline void trits16(v128_t bytes, int t, v128_t& lo, v128_t& hi) {
    static constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
    const v128_t p = wasm_i16x8_splat(kPow3[t]), ff = wasm_i16x8_splat(0xff), three = wasm_i16x8_splat(3);
    lo = wasm_u16x8_shr(wasm_i16x8_mul(wasm_v128_and(wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(bytes), p), ff), three), 8);
    hi = wasm_u16x8_shr(wasm_i16x8_mul(wasm_v128_and(wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(bytes), p), ff), three), 8);
}

// Small integers (|v| < 2^22) in i32 lanes to float, exactly: the value is
// placed in the mantissa of 1.5 * 2^23 and the bias subtracted.
inline v128_t small_i32_to_f32(v128_t v) {
    return wasm_f32x4_sub(wasm_i32x4_add(v, wasm_i32x4_splat(0x4b400000)), wasm_f32x4_splat(12582912.0f));
}

// y[0..7] = float(v - 1) * d for i16 digits v.
inline void store_digits8(float* y, v128_t v, v128_t d) {
    const v128_t s = wasm_i16x8_sub(v, wasm_i16x8_splat(1));
    wasm_v128_store(y, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_low_i16x8(s)), d));
    wasm_v128_store(y + 4, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_high_i16x8(s)), d));
}

// sum over 16 lanes of (digit - 1) * a for i16 digits (two vectors) and 16 int8 activations.
inline v128_t dot_digits16(v128_t lo, v128_t hi, const int8_t* a) {
    const v128_t av = wasm_v128_load(a);
    const v128_t one = wasm_i16x8_splat(1);
    return wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_sub(lo, one), wasm_i16x8_extend_low_i8x16(av)),
                          wasm_i32x4_dot_i16x8(wasm_i16x8_sub(hi, one), wasm_i16x8_extend_high_i8x16(av)));
}

}  // namespace

void quantize_row_tq1_0_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_tq1_0*>(vy);
    for (int64_t i = 0; i < k / QK_K; ++i, x += QK_K) {
        v128_t id;
        if (!block_scale(x, &y[i].d, &id)) {
            quantize_row_tq1_0_ref(x, &y[i], QK_K);
            continue;
        }
        wasm_v128_store(y[i].qs, pack_tq1_bytes(x, 32, id));
        wasm_v128_store(y[i].qs + 16, pack_tq1_bytes(x + 16, 32, id));
        wasm_v128_store(y[i].qs + 32, pack_tq1_bytes(x + 160, 16, id));
        // qh: byte j holds values 240 + j + 4t, t = 0..3, then a zero digit.
        v128_t v = wasm_i32x4_splat(0);
        for (int t = 0; t < 4; ++t) v = wasm_i32x4_add(wasm_i32x4_mul(v, wasm_i32x4_splat(3)), digits4(x + 240 + 4 * t, id));
        v = wasm_i32x4_mul(v, wasm_i32x4_splat(3));
        const v128_t packed = pack_trits16(wasm_i16x8_narrow_i32x4(v, v));
        const uint32_t qh = uint32_t(wasm_i32x4_extract_lane(wasm_u8x16_narrow_i16x8(packed, packed), 0));
        for (int j = 0; j < 4; ++j) y[i].qh[j] = uint8_t(qh >> (8 * j));
    }
}

void quantize_row_tq2_0_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_tq2_0*>(vy);
    for (int64_t i = 0; i < k / QK_K; ++i, x += QK_K) {
        v128_t id;
        if (!block_scale(x, &y[i].d, &id)) {
            quantize_row_tq2_0_ref(x, &y[i], QK_K);
            continue;
        }
        // Byte 32h + m holds values 128h + m + 32l at bits 2l.
        for (int h = 0; h < 2; ++h) {
            for (int m = 0; m < 32; m += 16) {
                v128_t q = wasm_i8x16_splat(0);
                for (int l = 0; l < 4; ++l) {
                    const Digits16 dg = digits16(x + 128 * h + m + 32 * l, id);
                    const v128_t bytes = wasm_v128_and(wasm_u8x16_narrow_i16x8(dg.lo, dg.hi), wasm_i8x16_splat(3));
                    q = wasm_v128_or(q, wasm_i8x16_shl(bytes, uint32_t(2 * l)));
                }
                wasm_v128_store(y[i].qs + 32 * h + m, q);
            }
        }
    }
}

void dequantize_row_tq1_0_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_tq1_0*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        // qs bytes 0..31: value b + 32t; bytes 32..47: value 160 + (b - 32) + 16t.
        for (int b0 = 0; b0 < 48; b0 += 16) {
            const v128_t bytes = wasm_v128_load(x[i].qs + b0);
            for (int t = 0; t < 5; ++t) {
                v128_t lo, hi;
                trits16(bytes, t, lo, hi);
                float* out = y + tq1_0_qs_value(b0, t);
                store_digits8(out, lo, d);
                store_digits8(out + 8, hi, d);
            }
        }
        // qh: byte j, trit t is value 240 + j + 4t; four bytes at a time.
        uint32_t qh;
        std::memcpy(&qh, x[i].qh, 4);
        const v128_t bytes = wasm_i32x4_splat(int32_t(qh));
        for (int t = 0; t < 4; ++t) {
            v128_t lo, hi;
            trits16(bytes, t, lo, hi);
            const v128_t s = wasm_i16x8_sub(lo, wasm_i16x8_splat(1));
            wasm_v128_store(y + 240 + 4 * t, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_low_i16x8(s)), d));
        }
    }
}

void dequantize_row_tq2_0_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_tq2_0*>(vx);
    const v128_t m3 = wasm_i8x16_splat(3);
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        for (int h = 0; h < 2; ++h) {
            for (int m = 0; m < 32; m += 16) {
                const v128_t bytes = wasm_v128_load(x[i].qs + 32 * h + m);
                for (int l = 0; l < 4; ++l) {
                    const v128_t q = wasm_v128_and(wasm_u8x16_shr(bytes, uint32_t(2 * l)), m3);
                    float* out = y + 128 * h + 32 * l + m;
                    store_digits8(out, wasm_u16x8_extend_low_u8x16(q), d);
                    store_digits8(out + 8, wasm_u16x8_extend_high_u8x16(q), d);
                }
            }
        }
    }
}

float vec_dot_tq1_0_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_tq1_0*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        v128_t acc = wasm_i32x4_splat(0);
        for (int b0 = 0; b0 < 48; b0 += 16) {
            const v128_t bytes = wasm_v128_load(x[i].qs + b0);
            for (int t = 0; t < 5; ++t) {
                v128_t lo, hi;
                trits16(bytes, t, lo, hi);
                acc = wasm_i32x4_add(acc, dot_digits16(lo, hi, y[i].qs + tq1_0_qs_value(b0, t)));
            }
        }
        int32_t sum = i32x4_hsum(acc);
        for (int j = 0; j < 4; ++j) {
            for (int t = 0; t < 4; ++t) {
                static constexpr uint8_t kPow3[4] = {1, 3, 9, 27};
                const int digit = (int(uint8_t(x[i].qh[j] * kPow3[t])) * 3) >> 8;
                sum += (digit - 1) * y[i].qs[240 + j + 4 * t];
            }
        }
        sumf += float(sum) * (fp16_to_fp32(x[i].d) * y[i].d);
    }
    return sumf;
}

float vec_dot_tq2_0_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_tq2_0*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const v128_t m3 = wasm_i8x16_splat(3), one = wasm_i8x16_splat(1);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        // (q - 1) as int8 (-1..2) times the activations, 16 at a time.
        v128_t acc = wasm_i32x4_splat(0);
        for (int h = 0; h < 2; ++h) {
            for (int m = 0; m < 32; m += 16) {
                const v128_t bytes = wasm_v128_load(x[i].qs + 32 * h + m);
                for (int l = 0; l < 4; ++l) {
                    const v128_t q = wasm_v128_and(wasm_u8x16_shr(bytes, uint32_t(2 * l)), m3);
                    const v128_t a = wasm_v128_load(y[i].qs + 128 * h + 32 * l + m);
                    acc = wasm_i32x4_add(acc, i8x16_dot_i32x4(wasm_i8x16_sub(q, one), a));
                }
            }
        }
        const int32_t sum = i32x4_hsum(acc);
        sumf += float(sum) * (y[i].d * fp16_to_fp32(x[i].d));
    }
    return sumf;
}

}  // namespace quantlab
