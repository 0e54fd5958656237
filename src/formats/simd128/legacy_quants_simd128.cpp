// SIMD128 kernels of the 32-value block formats (see the _ref twins for the
// algorithms; these must reproduce them exactly).
#include "formats/simd128/legacy_quants_simd128.h"

#include <cfloat>
#include <cstring>

#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/ref/legacy_quants_ref.h"
#include "formats/simd128/qh_bits_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {
inline v128_t trunc_i32_x86(v128_t v);  // the reference's x86 float -> int cast, per lane (below)
}  // namespace

// ---------------------------------------------------------------- Q8_0
void quantize_row_q8_0_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_0*>(vy);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK8_0;
        v128_t v[8];
        v128_t amax = wasm_f32x4_splat(0.0f);
        for (int j = 0; j < 8; ++j) {
            v[j] = wasm_v128_load(xb + 4 * j);
            amax = wasm_f32x4_max(amax, wasm_f32x4_abs(v[j]));
        }
        const float d = f32x4_hmax(amax) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        const v128_t vid = wasm_f32x4_splat(id);
        for (int j = 0; j < 8; j += 2) {
            // Round two groups of four, then pack the eight int32 down to int8.
            const v128_t a = trunc_i32_x86(f32x4_round_half_away(wasm_f32x4_mul(v[j], vid)));
            const v128_t b = trunc_i32_x86(f32x4_round_half_away(wasm_f32x4_mul(v[j + 1], vid)));
            const v128_t i16 = wasm_i16x8_narrow_i32x4(a, b);
            const v128_t i8 = wasm_i8x16_narrow_i16x8(i16, i16);
            wasm_v128_store64_lane(y[i].qs + 4 * j, i8, 0);
        }
    }
}

size_t quantize_q8_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    const size_t row_bytes = size_t(n_per_row / QK8_0) * sizeof(block_q8_0);
    return quantize_rows_with(quantize_row_q8_0_simd128, row_bytes, src, dst, nrows, n_per_row);
}

// int32 lanes (|v| < 2^22) to float: adding v to the bits of 1.5 * 2^23 puts
// v in the mantissa; subtracting 1.5 * 2^23 leaves exactly float(v). clang 14
// scalarizes extend + f32x4.convert chains, which this avoids.
static inline v128_t small_i32x4_to_f32x4(v128_t v) {
    return wasm_f32x4_sub(wasm_i32x4_add(v, wasm_i32x4_splat(0x4B400000)), wasm_f32x4_splat(12582912.0f));
}

void dequantize_row_q8_0_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_0*>(vx);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        float* yb = y + i * QK8_0;
        for (int j = 0; j < QK8_0; j += 16) {
            const v128_t q = wasm_v128_load(x[i].qs + j);
            const v128_t lo = wasm_i16x8_extend_low_i8x16(q);
            const v128_t hi = wasm_i16x8_extend_high_i8x16(q);
            wasm_v128_store(yb + j + 0, wasm_f32x4_mul(small_i32x4_to_f32x4(wasm_i32x4_extend_low_i16x8(lo)), d));
            wasm_v128_store(yb + j + 4, wasm_f32x4_mul(small_i32x4_to_f32x4(wasm_i32x4_extend_high_i16x8(lo)), d));
            wasm_v128_store(yb + j + 8, wasm_f32x4_mul(small_i32x4_to_f32x4(wasm_i32x4_extend_low_i16x8(hi)), d));
            wasm_v128_store(yb + j + 12, wasm_f32x4_mul(small_i32x4_to_f32x4(wasm_i32x4_extend_high_i16x8(hi)), d));
        }
    }
}

float vec_dot_q8_0_q8_0_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_q8_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t s0 = i8x16_dot_i32x4(wasm_v128_load(x[i].qs), wasm_v128_load(y[i].qs));
        const v128_t s1 = i8x16_dot_i32x4(wasm_v128_load(x[i].qs + 16), wasm_v128_load(y[i].qs + 16));
        const float d = f16[x[i].d] * f16[y[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_add(s0, s1)), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

// ---------------------------------------------------------------- shared helpers
namespace {

// Per-lane twin of the reference's x86 float -> int8 cast: truncate, and give
// 0 (the low byte of cvttss2si's 0x80000000) for NaN and out-of-range lanes,
// where trunc_sat alone would saturate.
inline v128_t trunc_i32_x86(v128_t v) {
    const v128_t in_range = wasm_f32x4_lt(wasm_f32x4_abs(v), wasm_f32x4_splat(2147483648.0f));
    return wasm_v128_and(wasm_i32x4_trunc_sat_f32x4(v), in_range);
}

inline void load_block32(const float* x, v128_t* v) {
    for (int k = 0; k < 8; ++k) v[k] = wasm_v128_load(x + 4 * k);
}

inline float f32x4_hmin(v128_t v) {
    v = wasm_f32x4_min(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_min(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

// The signed value of largest magnitude, first one on ties (the reference's
// strict scan): the vector max finds the magnitude, a bitmask scan the first
// lane holding it.
inline float signed_absmax32(const float* xb, const v128_t* v) {
    v128_t a = wasm_f32x4_abs(v[0]);
    for (int k = 1; k < 8; ++k) a = wasm_f32x4_max(a, wasm_f32x4_abs(v[k]));
    const float amax = f32x4_hmax(a);
    if (amax == 0.0f) return 0.0f;  // the scan never moves off its +0 start
    const v128_t va = wasm_f32x4_splat(amax);
    for (int k = 0; k < 8; ++k) {
        const int m = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_f32x4_abs(v[k]), va));
        if (m) return xb[4 * k + __builtin_ctz(unsigned(m))];
    }
    return amax;
}

// Min and max as the reference's sequential "v < min" / "v > max" scan finds
// them. The vector reduction agrees except on the sign of a zero extreme
// (+0 and -0 compare equal, the scan keeps the first), so that case rescans.
inline void block_min_max32(const float* xb, const v128_t* v, float* min_out, float* max_out) {
    v128_t mn = v[0], mx = v[0];
    for (int k = 1; k < 8; ++k) {
        mn = wasm_f32x4_min(mn, v[k]);
        mx = wasm_f32x4_max(mx, v[k]);
    }
    float min = f32x4_hmin(mn), max = f32x4_hmax(mx);
    if (min == 0.0f || max == 0.0f) {
        min = FLT_MAX;
        max = -FLT_MAX;
        for (int j = 0; j < 32; ++j) {
            if (xb[j] < min) min = xb[j];
            if (xb[j] > max) max = xb[j];
        }
    }
    *min_out = min;
    *max_out = max;
}

// Sixteen int32 lanes holding 0..255 packed to bytes.
inline v128_t pack_u8(v128_t a, v128_t b, v128_t c, v128_t d) {
    return wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
}

// Sixteen int32 lanes holding -128..127 packed to bytes.
inline v128_t pack_i8(v128_t a, v128_t b, v128_t c, v128_t d) {
    return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
}

// Fifth bits: bit 4 of byte j of lo goes to qh bit j, of hi to bit j+16.
inline void store_qh(v128_t lo, v128_t hi, uint8_t* qh_bytes) {
    const uint32_t qh = uint32_t(wasm_i8x16_bitmask(wasm_i8x16_shl(lo, 3))) |
                        (uint32_t(wasm_i8x16_bitmask(wasm_i8x16_shl(hi, 3))) << 16);
    std::memcpy(qh_bytes, &qh, sizeof qh);
}

// Sixteen unsigned bytes as float(b[j]) - off in four vectors: zero-extended
// into the low mantissa bits of 2^23 (0x4B000000) each reads as 2^23 + b
// exactly, and subtracting off = 2^23 + bias leaves b - bias exactly. This
// beats sign extension plus int-to-float conversion both in V8 and natively.
inline void bytes_to_f32(v128_t b, float off, v128_t* f) {
    const v128_t magic = wasm_i32x4_splat(0x4B000000);
    const v128_t voff = wasm_f32x4_splat(off);
    const v128_t lo = wasm_u16x8_extend_low_u8x16(b);
    const v128_t hi = wasm_u16x8_extend_high_u8x16(b);
    f[0] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_low_u16x8(lo), magic), voff);
    f[1] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_high_u16x8(lo), magic), voff);
    f[2] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_low_u16x8(hi), magic), voff);
    f[3] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_high_u16x8(hi), magic), voff);
}

constexpr float kMagic = 8388608.0f;  // 2^23

// y[0..15] = float(b[j] - bias) * d: the same single rounding as the
// reference's int-to-float then multiply, since b - bias is exact.
inline void store_scaled(float* y, v128_t b, float bias, v128_t d) {
    v128_t f[4];
    bytes_to_f32(b, kMagic + bias, f);
    for (int k = 0; k < 4; ++k) wasm_v128_store(y + 4 * k, wasm_f32x4_mul(f[k], d));
}

// y[0..15] = float(b[j]) * d + m, the multiply and add rounded separately.
inline void store_affine(float* y, v128_t b, v128_t d, v128_t m) {
    v128_t f[4];
    bytes_to_f32(b, kMagic, f);
    for (int k = 0; k < 4; ++k) wasm_v128_store(y + 4 * k, wasm_f32x4_add(wasm_f32x4_mul(f[k], d), m));
}

// Sum of x[j]*y[j] over 32 byte pairs into four int32 lanes (lane j: pairs
// 2j, 2j+1, 2j+8, 2j+9 of each half). Widening to int16 and i32x4.dot_i16x8
// takes fewer instructions than extmul + extadd on x86 (pmovsxbw + pmaddwd).
inline v128_t dot32_small(v128_t x0, v128_t x1, v128_t y0, v128_t y1) {
    return wasm_i32x4_add(i8x16_dot_i32x4(x0, y0), i8x16_dot_i32x4(x1, y1));
}

template <class Block>
size_t quantize_chunk_simd(QuantizeRowFn simd_row, QuantizeFn ref_chunk, const float* src, void* dst,
                           int64_t nrows, int64_t n_per_row, const float* imatrix) {
    // The imatrix searches stay scalar: they are sequential float sums that
    // must round exactly as ggml's, and llama-quantize is not the hot path.
    if (imatrix != nullptr) return ref_chunk(src, dst, nrows, n_per_row, imatrix);
    simd_row(src, dst, nrows * n_per_row);
    return size_t(nrows) * size_t(n_per_row / 32) * sizeof(Block);
}

}  // namespace

// ---------------------------------------------------------------- Q4_0
void quantize_row_q4_0_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q4_0*>(vy);
    const int64_t nb = k / QK4_0;
    const v128_t k85 = wasm_f32x4_splat(8.5f);
    const v128_t k15 = wasm_i32x4_splat(15);
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK4_0;
        v128_t v[8];
        load_block32(xb, v);
        const float d = signed_absmax32(xb, v) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        const v128_t vid = wasm_f32x4_splat(id);
        v128_t t[8];
        for (int j = 0; j < 8; ++j) {
            t[j] = wasm_i32x4_min(trunc_i32_x86(wasm_f32x4_add(wasm_f32x4_mul(v[j], vid), k85)), k15);
        }
        const v128_t lo = pack_u8(t[0], t[1], t[2], t[3]);
        const v128_t hi = pack_u8(t[4], t[5], t[6], t[7]);
        wasm_v128_store(y[i].qs, wasm_v128_or(lo, wasm_i8x16_shl(hi, 4)));
    }
}

size_t quantize_q4_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk_simd<block_q4_0>(quantize_row_q4_0_simd128, quantize_q4_0_ref, src, dst, nrows, n_per_row,
                                           imatrix);
}

void dequantize_row_q4_0_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q4_0*>(vx);
    const int64_t nb = k / QK4_0;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        const v128_t q = wasm_v128_load(x[i].qs);
        store_scaled(y + i * QK4_0, wasm_v128_and(q, m4), 8.0f, d);
        store_scaled(y + i * QK4_0 + 16, wasm_u8x16_shr(q, 4), 8.0f, d);
    }
}

float vec_dot_q4_0_q8_0_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_q4_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    const v128_t s8 = wasm_i8x16_splat(8);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t q = wasm_v128_load(x[i].qs);
        const v128_t xl = wasm_i8x16_sub(wasm_v128_and(q, m4), s8);
        const v128_t xh = wasm_i8x16_sub(wasm_u8x16_shr(q, 4), s8);
        const v128_t s = dot32_small(xl, xh, wasm_v128_load(y[i].qs), wasm_v128_load(y[i].qs + 16));
        const float d = f16[x[i].d] * f16[y[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

// ---------------------------------------------------------------- Q4_1
void quantize_row_q4_1_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q4_1*>(vy);
    const int64_t nb = k / QK4_1;
    const v128_t half = wasm_f32x4_splat(0.5f);
    const v128_t k15 = wasm_i32x4_splat(15);
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK4_1;
        v128_t v[8];
        load_block32(xb, v);
        float min, max;
        block_min_max32(xb, v, &min, &max);
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(min);
        const v128_t vid = wasm_f32x4_splat(id);
        const v128_t vmin = wasm_f32x4_splat(min);
        v128_t t[8];
        for (int j = 0; j < 8; ++j) {
            const v128_t s = wasm_f32x4_mul(wasm_f32x4_sub(v[j], vmin), vid);
            t[j] = wasm_i32x4_min(trunc_i32_x86(wasm_f32x4_add(s, half)), k15);
        }
        const v128_t lo = pack_u8(t[0], t[1], t[2], t[3]);
        const v128_t hi = pack_u8(t[4], t[5], t[6], t[7]);
        wasm_v128_store(y[i].qs, wasm_v128_or(lo, wasm_i8x16_shl(hi, 4)));
    }
}

size_t quantize_q4_1_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk_simd<block_q4_1>(quantize_row_q4_1_simd128, quantize_q4_1_ref, src, dst, nrows, n_per_row,
                                           imatrix);
}

void dequantize_row_q4_1_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q4_1*>(vx);
    const int64_t nb = k / QK4_1;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        const v128_t m = wasm_f32x4_splat(fp16_to_fp32(x[i].m));
        const v128_t q = wasm_v128_load(x[i].qs);
        store_affine(y + i * QK4_1, wasm_v128_and(q, m4), d, m);
        store_affine(y + i * QK4_1 + 16, wasm_u8x16_shr(q, 4), d, m);
    }
}

float vec_dot_q4_1_q8_1_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_q4_1*>(vx);
    const auto* y = static_cast<const block_q8_1*>(vy);
    const int64_t nb = n / QK8_1;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    v128_t acc = wasm_f32x4_splat(0.0f);
    float summs = 0.0f;
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t q = wasm_v128_load(x[i].qs);
        const v128_t s = dot32_small(wasm_v128_and(q, m4), wasm_u8x16_shr(q, 4), wasm_v128_load(y[i].qs),
                                     wasm_v128_load(y[i].qs + 16));
        const float d = f16[x[i].d] * f16[y[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
        summs += f16[x[i].m] * f16[y[i].s];
    }
    return f32x4_hsum(acc) + summs;
}

// ---------------------------------------------------------------- Q5_0
void quantize_row_q5_0_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q5_0*>(vy);
    const int64_t nb = k / QK5_0;
    const v128_t k165 = wasm_f32x4_splat(16.5f);
    const v128_t k31 = wasm_i32x4_splat(31);
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK5_0;
        v128_t v[8];
        load_block32(xb, v);
        const float d = signed_absmax32(xb, v) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        const v128_t vid = wasm_f32x4_splat(id);
        v128_t t[8];
        for (int j = 0; j < 8; ++j) {
            t[j] = wasm_i32x4_min(trunc_i32_x86(wasm_f32x4_add(wasm_f32x4_mul(v[j], vid), k165)), k31);
        }
        const v128_t lo = pack_u8(t[0], t[1], t[2], t[3]);
        const v128_t hi = pack_u8(t[4], t[5], t[6], t[7]);
        wasm_v128_store(y[i].qs, wasm_v128_or(wasm_v128_and(lo, m4), wasm_i8x16_shl(hi, 4)));
        store_qh(lo, hi, y[i].qh);
    }
}

size_t quantize_q5_0_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk_simd<block_q5_0>(quantize_row_q5_0_simd128, quantize_q5_0_ref, src, dst, nrows, n_per_row,
                                           imatrix);
}

void dequantize_row_q5_0_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q5_0*>(vx);
    const int64_t nb = k / QK5_0;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        v128_t hl, hh;
        load_qh(x[i].qh, &hl, &hh);
        const v128_t q = wasm_v128_load(x[i].qs);
        store_scaled(y + i * QK5_0, wasm_v128_or(wasm_v128_and(q, m4), hl), 16.0f, d);
        store_scaled(y + i * QK5_0 + 16, wasm_v128_or(wasm_u8x16_shr(q, 4), hh), 16.0f, d);
    }
}

float vec_dot_q5_0_q8_0_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_q5_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    const v128_t s16 = wasm_i8x16_splat(16);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        v128_t hl, hh;
        load_qh(x[i].qh, &hl, &hh);
        const v128_t q = wasm_v128_load(x[i].qs);
        const v128_t xl = wasm_i8x16_sub(wasm_v128_or(wasm_v128_and(q, m4), hl), s16);
        const v128_t xh = wasm_i8x16_sub(wasm_v128_or(wasm_u8x16_shr(q, 4), hh), s16);
        const v128_t s = dot32_small(xl, xh, wasm_v128_load(y[i].qs), wasm_v128_load(y[i].qs + 16));
        const float d = f16[x[i].d] * f16[y[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

// ---------------------------------------------------------------- Q5_1
void quantize_row_q5_1_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q5_1*>(vy);
    const int64_t nb = k / QK5_1;
    const v128_t half = wasm_f32x4_splat(0.5f);
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK5_1;
        v128_t v[8];
        load_block32(xb, v);
        float min, max;
        block_min_max32(xb, v, &min, &max);
        const float d = (max - min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(min);
        const v128_t vid = wasm_f32x4_splat(id);
        const v128_t vmin = wasm_f32x4_splat(min);
        v128_t t[8];
        for (int j = 0; j < 8; ++j) {
            // No upper clamp, as in the reference: the scale bounds it to 31.
            t[j] = trunc_i32_x86(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(v[j], vmin), vid), half));
        }
        const v128_t lo = pack_u8(t[0], t[1], t[2], t[3]);
        const v128_t hi = pack_u8(t[4], t[5], t[6], t[7]);
        wasm_v128_store(y[i].qs, wasm_v128_or(wasm_v128_and(lo, m4), wasm_i8x16_shl(hi, 4)));
        store_qh(lo, hi, y[i].qh);
    }
}

size_t quantize_q5_1_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk_simd<block_q5_1>(quantize_row_q5_1_simd128, quantize_q5_1_ref, src, dst, nrows, n_per_row,
                                           imatrix);
}

void dequantize_row_q5_1_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q5_1*>(vx);
    const int64_t nb = k / QK5_1;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        const v128_t m = wasm_f32x4_splat(fp16_to_fp32(x[i].m));
        v128_t hl, hh;
        load_qh(x[i].qh, &hl, &hh);
        const v128_t q = wasm_v128_load(x[i].qs);
        store_affine(y + i * QK5_1, wasm_v128_or(wasm_v128_and(q, m4), hl), d, m);
        store_affine(y + i * QK5_1 + 16, wasm_v128_or(wasm_u8x16_shr(q, 4), hh), d, m);
    }
}

float vec_dot_q5_1_q8_1_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_q5_1*>(vx);
    const auto* y = static_cast<const block_q8_1*>(vy);
    const int64_t nb = n / QK8_1;
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    v128_t acc = wasm_f32x4_splat(0.0f);
    float summs = 0.0f;
    for (int64_t i = 0; i < nb; ++i) {
        v128_t hl, hh;
        load_qh(x[i].qh, &hl, &hh);
        const v128_t q = wasm_v128_load(x[i].qs);
        const v128_t xl = wasm_v128_or(wasm_v128_and(q, m4), hl);
        const v128_t xh = wasm_v128_or(wasm_u8x16_shr(q, 4), hh);
        const v128_t s = dot32_small(xl, xh, wasm_v128_load(y[i].qs), wasm_v128_load(y[i].qs + 16));
        const float d = f16[x[i].d] * f16[y[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
        summs += f16[x[i].m] * f16[y[i].s];
    }
    return f32x4_hsum(acc) + summs;
}

// ---------------------------------------------------------------- Q8_1
void quantize_row_q8_1_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_1*>(vy);
    const int64_t nb = k / QK8_1;
    for (int64_t i = 0; i < nb; ++i) {
        v128_t v[8];
        load_block32(x + i * QK8_1, v);
        v128_t amax = wasm_f32x4_abs(v[0]);
        for (int j = 1; j < 8; ++j) amax = wasm_f32x4_max(amax, wasm_f32x4_abs(v[j]));
        const float d = f32x4_hmax(amax) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        const v128_t vid = wasm_f32x4_splat(id);
        v128_t t[8];
        v128_t sum = wasm_i32x4_splat(0);
        for (int j = 0; j < 8; ++j) {
            t[j] = trunc_i32_x86(f32x4_round_half_away(wasm_f32x4_mul(v[j], vid)));
            sum = wasm_i32x4_add(sum, t[j]);
        }
        wasm_v128_store(y[i].qs, pack_i8(t[0], t[1], t[2], t[3]));
        wasm_v128_store(y[i].qs + 16, pack_i8(t[4], t[5], t[6], t[7]));
        y[i].s = fp32_to_fp16(float(i32x4_hsum(sum)) * d);
    }
}

size_t quantize_q8_1_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    const size_t row_bytes = size_t(n_per_row / QK8_1) * sizeof(block_q8_1);
    return quantize_rows_with(quantize_row_q8_1_simd128, row_bytes, src, dst, nrows, n_per_row);
}

void dequantize_row_q8_1_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_1*>(vx);
    const int64_t nb = k / QK8_1;
    const v128_t sign = wasm_i8x16_splat(-128);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        // Flipping the sign bit maps int8 s to the unsigned byte s + 128.
        store_scaled(y + i * QK8_1, wasm_v128_xor(wasm_v128_load(x[i].qs), sign), 128.0f, d);
        store_scaled(y + i * QK8_1 + 16, wasm_v128_xor(wasm_v128_load(x[i].qs + 16), sign), 128.0f, d);
    }
}

}  // namespace quantlab
