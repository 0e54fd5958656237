// SIMD128 F16 and BF16 conversions and dot products. The conversions are the
// integer algorithms of core/half.h applied per lane, so they round (to
// nearest even), saturate to Inf and quiet NaNs exactly as the scalar ones;
// there are no f16x8 instructions to lean on in this toolchain.
#include "formats/simd128/float_formats_simd128.h"

#include "core/half.h"
#include "formats/ref/float_formats_ref.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// fp32_to_fp16 of four floats, results in the low 16 bits of each lane.
inline v128_t f32x4_to_f16_bits(v128_t x) {
    const v128_t sign = wasm_v128_and(wasm_u32x4_shr(x, 16), wasm_i32x4_splat(0x8000));
    const v128_t ax = wasm_v128_and(x, wasm_i32x4_splat(0x7fffffff));
    // Normal range: rebias the exponent and round the 13 dropped bits to even.
    const v128_t lsb = wasm_v128_and(wasm_u32x4_shr(ax, 13), wasm_i32x4_splat(1));
    const v128_t normal = wasm_u32x4_shr(
        wasm_i32x4_add(wasm_i32x4_add(ax, wasm_i32x4_splat(int32_t(0xc8000fffu))), lsb), 13);
    // Below the smallest normal half the FPU rounds ax + 0.5 to the 2^-24 grid.
    const v128_t subnormal =
        wasm_i32x4_sub(wasm_f32x4_add(ax, wasm_f32x4_splat(0.5f)), wasm_i32x4_splat(0x3f000000));
    // ax is at most 0x7fffffff, so signed compares order it correctly.
    v128_t r = wasm_v128_bitselect(subnormal, normal, wasm_i32x4_lt(ax, wasm_i32x4_splat(0x38800000)));
    r = wasm_v128_bitselect(wasm_i32x4_splat(0x7c00), r, wasm_i32x4_ge(ax, wasm_i32x4_splat(0x477ff000)));
    r = wasm_v128_bitselect(wasm_i32x4_splat(0x7e00), r, wasm_i32x4_gt(ax, wasm_i32x4_splat(0x7f800000)));
    return wasm_v128_or(r, sign);
}

// fp16_to_fp32 of four halves held in the low 16 bits of each lane.
inline v128_t f16_bits_to_f32x4(v128_t h) {
    const v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
    const v128_t em = wasm_v128_and(h, wasm_i32x4_splat(0x7fff));
    const v128_t exp = wasm_v128_and(h, wasm_i32x4_splat(0x7c00));
    const v128_t shifted = wasm_i32x4_shl(em, 13);
    const v128_t normal = wasm_i32x4_add(shifted, wasm_i32x4_splat(112 << 23));
    const v128_t infnan = wasm_v128_or(shifted, wasm_i32x4_splat(0x7f800000));
    // Subnormals and zero: mant * 2^-24 is exact in float.
    const v128_t subnormal = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(em), wasm_f32x4_splat(1.0f / 16777216.0f));
    v128_t r = wasm_v128_bitselect(infnan, normal, wasm_i32x4_eq(exp, wasm_i32x4_splat(0x7c00)));
    r = wasm_v128_bitselect(subnormal, r, wasm_i32x4_eq(exp, wasm_i32x4_splat(0)));
    return wasm_v128_or(r, sign);
}

// fp32_to_bf16 of four floats, results in the low 16 bits of each lane.
inline v128_t f32x4_to_bf16_bits(v128_t u) {
    const v128_t hi = wasm_u32x4_shr(u, 16);
    const v128_t rounded = wasm_u32x4_shr(
        wasm_i32x4_add(u, wasm_i32x4_add(wasm_i32x4_splat(0x7fff), wasm_v128_and(hi, wasm_i32x4_splat(1)))), 16);
    const v128_t quiet_nan = wasm_v128_or(hi, wasm_i32x4_splat(64));
    const v128_t is_nan =
        wasm_i32x4_gt(wasm_v128_and(u, wasm_i32x4_splat(0x7fffffff)), wasm_i32x4_splat(0x7f800000));
    return wasm_v128_bitselect(quiet_nan, rounded, is_nan);
}

// Eight widened 16-bit values from p (f16 or bf16 bit patterns) as two u32x4.
inline void load_u16x8(const uint16_t* p, v128_t* lo, v128_t* hi) {
    const v128_t v = wasm_v128_load(p);
    *lo = wasm_u32x4_extend_low_u16x8(v);
    *hi = wasm_u32x4_extend_high_u16x8(v);
}

inline double f64x2_hsum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

}  // namespace

// ---------------------------------------------------------------- F32
// Exact double products of float pairs, summed in double like the reference
// but in two f64x2 accumulators (values 4k, 4k+1 and 4k+2, 4k+3).
float vec_dot_f32_f32_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const float*>(vx);
    const auto* y = static_cast<const float*>(vy);
    v128_t acc0 = wasm_f64x2_splat(0.0), acc1 = wasm_f64x2_splat(0.0);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const v128_t a = wasm_v128_load(x + i), b = wasm_v128_load(y + i);
        acc0 = wasm_f64x2_add(acc0, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(a), wasm_f64x2_promote_low_f32x4(b)));
        acc1 = wasm_f64x2_add(acc1, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1)),
                                                   wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(b, b, 2, 3, 0, 1))));
    }
    double sum = f64x2_hsum(wasm_f64x2_add(acc0, acc1));
    for (; i < n; ++i) sum += double(x[i]) * double(y[i]);
    return float(sum);
}

// ---------------------------------------------------------------- F16
void quantize_row_f16_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<ggml_half*>(vy);
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const v128_t a = f32x4_to_f16_bits(wasm_v128_load(x + i));
        const v128_t b = f32x4_to_f16_bits(wasm_v128_load(x + i + 4));
        wasm_v128_store(y + i, wasm_u16x8_narrow_i32x4(a, b));
    }
    quantize_row_f16_ref(x + i, y + i, k - i);
}

size_t quantize_f16_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    quantize_row_f16_simd128(src, dst, nrows * n_per_row);
    return size_t(nrows * n_per_row) * sizeof(ggml_half);
}

void dequantize_row_f16_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const ggml_half*>(vx);
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        wasm_v128_store(y + i, f16_bits_to_f32x4(wasm_u32x4_load16x4(x + i)));
        wasm_v128_store(y + i + 4, f16_bits_to_f32x4(wasm_u32x4_load16x4(x + i + 4)));
    }
    dequantize_row_f16_ref(x + i, y + i, k - i);
}

// Products of two halves are exact in float (11-bit significands); they are
// summed in double like the reference, only in a different order.
float vec_dot_f16_f16_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const ggml_half*>(vx);
    const auto* y = static_cast<const ggml_half*>(vy);
    v128_t acc0 = wasm_f64x2_splat(0.0), acc1 = wasm_f64x2_splat(0.0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t xl, xh, yl, yh;
        load_u16x8(x + i, &xl, &xh);
        load_u16x8(y + i, &yl, &yh);
        const v128_t p0 = wasm_f32x4_mul(f16_bits_to_f32x4(xl), f16_bits_to_f32x4(yl));
        const v128_t p1 = wasm_f32x4_mul(f16_bits_to_f32x4(xh), f16_bits_to_f32x4(yh));
        acc0 = wasm_f64x2_add(acc0, wasm_f64x2_promote_low_f32x4(p0));
        acc1 = wasm_f64x2_add(acc1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(p0, p0, 2, 3, 0, 1)));
        acc0 = wasm_f64x2_add(acc0, wasm_f64x2_promote_low_f32x4(p1));
        acc1 = wasm_f64x2_add(acc1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(p1, p1, 2, 3, 0, 1)));
    }
    double sum = f64x2_hsum(wasm_f64x2_add(acc0, acc1));
    for (; i < n; ++i) sum += double(fp16_to_fp32(x[i])) * double(fp16_to_fp32(y[i]));
    return float(sum);
}

// ---------------------------------------------------------------- BF16
void quantize_row_bf16_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<ggml_bf16*>(vy);
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const v128_t a = f32x4_to_bf16_bits(wasm_v128_load(x + i));
        const v128_t b = f32x4_to_bf16_bits(wasm_v128_load(x + i + 4));
        wasm_v128_store(y + i, wasm_u16x8_narrow_i32x4(a, b));
    }
    quantize_row_bf16_ref(x + i, y + i, k - i);
}

size_t quantize_bf16_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    quantize_row_bf16_simd128(src, dst, nrows * n_per_row);
    return size_t(nrows * n_per_row) * sizeof(ggml_bf16);
}

void dequantize_row_bf16_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const ggml_bf16*>(vx);
    int64_t i = 0;
    // A bf16 is the top half of its float: zero-extending loads, then a shift.
    for (; i + 16 <= k; i += 16) {
        for (int j = 0; j < 16; j += 4) wasm_v128_store(y + i + j, wasm_i32x4_shl(wasm_u32x4_load16x4(x + i + j), 16));
    }
    dequantize_row_bf16_ref(x + i, y + i, k - i);
}

// bf16 products can overflow or underflow float, so they are formed in
// double, where 8-bit significands multiply exactly.
float vec_dot_bf16_bf16_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const ggml_bf16*>(vx);
    const auto* y = static_cast<const ggml_bf16*>(vy);
    v128_t acc0 = wasm_f64x2_splat(0.0), acc1 = wasm_f64x2_splat(0.0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t xl, xh, yl, yh;
        load_u16x8(x + i, &xl, &xh);
        load_u16x8(y + i, &yl, &yh);
        const v128_t fx[2] = {wasm_i32x4_shl(xl, 16), wasm_i32x4_shl(xh, 16)};
        const v128_t fy[2] = {wasm_i32x4_shl(yl, 16), wasm_i32x4_shl(yh, 16)};
        for (int h = 0; h < 2; ++h) {
            const v128_t xs = wasm_i32x4_shuffle(fx[h], fx[h], 2, 3, 0, 1);
            const v128_t ys = wasm_i32x4_shuffle(fy[h], fy[h], 2, 3, 0, 1);
            acc0 = wasm_f64x2_add(acc0, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(fx[h]),
                                                       wasm_f64x2_promote_low_f32x4(fy[h])));
            acc1 = wasm_f64x2_add(acc1, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(xs),
                                                       wasm_f64x2_promote_low_f32x4(ys)));
        }
    }
    double sum = f64x2_hsum(wasm_f64x2_add(acc0, acc1));
    for (; i < n; ++i) sum += double(bf16_to_fp32(x[i])) * double(bf16_to_fp32(y[i]));
    return float(sum);
}

}  // namespace quantlab
