// SIMD128 kernels of MXFP4, equal to formats/ref/mxfp4_ref.cpp (which names
// ggml's sources). The quantizer finds each value's code by thresholds
// (equal to the reference's search, see threshold_codes4) or, for blocks of
// extreme scale, by that search itself, four values at a time; the
// dequantizer and the dot product look the doubled e2m1 values up with a
// byte swizzle. The gemm is the shared 32-value one (gemm_block32_simd128.h)
// with its Total float step, the vec_dot's.
#include "formats/simd128/mxfp4_simd128.h"

#include <cmath>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/mxfp4_tables.h"
#include "formats/simd128/gemm_block32_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// Codes of four values by the reference's search: the first of the 16 with
// the smallest |value * d - x| (blocks whose scale is outside [2^-100, 2^100]).
inline v128_t searched_codes4(v128_t x, const float (&candidates)[16]) {
    v128_t best = wasm_i32x4_splat(0);
    v128_t best_err = wasm_f32x4_abs(wasm_f32x4_sub(wasm_f32x4_splat(candidates[0]), x));
    for (int i = 1; i < 16; ++i) {
        const v128_t err = wasm_f32x4_abs(wasm_f32x4_sub(wasm_f32x4_splat(candidates[i]), x));
        const v128_t better = wasm_f32x4_lt(err, best_err);
        best = wasm_v128_bitselect(wasm_i32x4_splat(i), best, better);
        best_err = wasm_v128_bitselect(err, best_err, better);
    }
    return best;
}

// The same codes by thresholds, for a scale d = 2^k in [2^-100, 2^100]. The
// candidates are exact multiples of d, the nearest two are within a factor
// of two of |x| (so their distances to it are exact), and every other is
// farther by at least d/2: the search picks the nearest magnitude, the lower
// one on an exact tie, i.e. magnitude m = the number of midpoints
// (0.5, 1.5, 2.5, 3.5, 5, 7, 10 times d) that |x| exceeds. Its negative
// codes 9..15 come after all the positive ones, so they win only for x < 0,
// where each is nearer than its positive twin; zero stays code 0.
inline v128_t threshold_codes4(v128_t x, v128_t inv_d) {
    static constexpr float kMid[7] = {0.5f, 1.5f, 2.5f, 3.5f, 5.0f, 7.0f, 10.0f};
    const v128_t t = wasm_f32x4_mul(wasm_f32x4_abs(x), inv_d);  // exact: inv_d is a power of two
    v128_t m = wasm_i32x4_splat(0);
    for (float mid : kMid) m = wasm_i32x4_sub(m, wasm_f32x4_gt(t, wasm_f32x4_splat(mid)));
    const v128_t negative = wasm_v128_and(wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)), wasm_i32x4_gt(m, wasm_i32x4_splat(0)));
    return wasm_v128_or(m, wasm_v128_and(negative, wasm_i32x4_splat(8)));
}

// Codes of 16 consecutive values as bytes.
template <class Codes4>
inline v128_t codes16(const float* x, Codes4 codes4) {
    const v128_t a = wasm_i16x8_narrow_i32x4(codes4(wasm_v128_load(x)), codes4(wasm_v128_load(x + 4)));
    const v128_t b = wasm_i16x8_narrow_i32x4(codes4(wasm_v128_load(x + 8)), codes4(wasm_v128_load(x + 12)));
    return wasm_u8x16_narrow_i16x8(a, b);
}

// The doubled e2m1 values of 32 codes: low nibbles (values 0..15), high nibbles (16..31).
inline void block_values(const block_mxfp4& b, v128_t& lo, v128_t& hi) {
    const v128_t table = wasm_v128_load(kMxfp4Values), qs = wasm_v128_load(b.qs);
    lo = wasm_i8x16_swizzle(table, wasm_v128_and(qs, wasm_i8x16_splat(0x0F)));
    hi = wasm_i8x16_swizzle(table, wasm_u8x16_shr(qs, 4));
}

// Small integers (|v| < 2^22) in i32 lanes to float, exactly.
inline v128_t small_i32_to_f32(v128_t v) {
    return wasm_f32x4_sub(wasm_i32x4_add(v, wasm_i32x4_splat(0x4b400000)), wasm_f32x4_splat(12582912.0f));
}

// y[0..15] = float(v) * d for 16 int8 values.
inline void store_values_scaled(float* y, v128_t v, v128_t d) {
    const v128_t lo = wasm_i16x8_extend_low_i8x16(v), hi = wasm_i16x8_extend_high_i8x16(v);
    wasm_v128_store(y, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_low_i16x8(lo)), d));
    wasm_v128_store(y + 4, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_high_i16x8(lo)), d));
    wasm_v128_store(y + 8, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_low_i16x8(hi)), d));
    wasm_v128_store(y + 12, wasm_f32x4_mul(small_i32_to_f32(wasm_i32x4_extend_high_i16x8(hi)), d));
}

}  // namespace

void quantize_row_mxfp4_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_mxfp4*>(vy);
    for (int64_t i = 0; i < k / QK_MXFP4; ++i, x += QK_MXFP4) {
        v128_t m = wasm_f32x4_splat(0.0f);
        for (int j = 0; j < QK_MXFP4; j += 4) m = wasm_f32x4_max(m, wasm_f32x4_abs(wasm_v128_load(x + j)));
        y[i].e = mxfp4_scale_exponent(f32x4_hmax(m));
        const float d = mxfp4_scale_half(y[i].e);
        v128_t lo, hi;
        if (d >= 0x1p-100f && d <= 0x1p100f) {
            const v128_t inv_d = wasm_f32x4_splat(1.0f / d);
            auto codes4 = [inv_d](v128_t v) { return threshold_codes4(v, inv_d); };
            lo = codes16(x, codes4);
            hi = codes16(x + 16, codes4);
        } else {
            float candidates[16];
            for (int c = 0; c < 16; ++c) candidates[c] = float(kMxfp4Values[c]) * d;
            auto codes4 = [&candidates](v128_t v) { return searched_codes4(v, candidates); };
            lo = codes16(x, codes4);
            hi = codes16(x + 16, codes4);
        }
        wasm_v128_store(y[i].qs, wasm_v128_or(lo, wasm_i8x16_shl(hi, 4)));
    }
}

void dequantize_row_mxfp4_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_mxfp4*>(vx);
    for (int64_t i = 0; i < k / QK_MXFP4; ++i, y += QK_MXFP4) {
        v128_t lo, hi;
        block_values(x[i], lo, hi);
        const v128_t d = wasm_f32x4_splat(mxfp4_scale_half(x[i].e));
        store_values_scaled(y, lo, d);
        store_values_scaled(y + 16, hi, d);
    }
}

float vec_dot_mxfp4_q8_0_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_mxfp4*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / QK_MXFP4; ++i) {
        v128_t lo, hi;
        block_values(x[i], lo, hi);
        const v128_t s = wasm_i32x4_add(i8x16_dot_i32x4(lo, wasm_v128_load(y[i].qs)),
                                        i8x16_dot_i32x4(hi, wasm_v128_load(y[i].qs + 16)));
        const float d = f16[y[i].d] * mxfp4_scale_half(x[i].e);
        sumf += d * float(i32x4_hsum(s));
    }
    return sumf;
}

void gemm_mxfp4_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    if (n_tokens == 1) {
        // One token: the vec_dot itself, row by row (unpacking rows used once does not pay).
        for (int64_t r = 0; r < n_rows; ++r) {
            y[r] = vec_dot_mxfp4_q8_0_simd128(n, static_cast<const uint8_t*>(w) + size_t(r) * w_row_bytes, a);
        }
        return;
    }
    auto rows = [](const void* wp, size_t rb, int64_t nr, int64_t k, Block32Rows& out) {
        const int64_t nb = k / QK_MXFP4;
        for (int64_t r = 0; r < nr; ++r) {
            const auto* b = reinterpret_cast<const block_mxfp4*>(static_cast<const uint8_t*>(wp) + size_t(r) * rb);
            for (int64_t i = 0; i < nb; ++i) {
                v128_t lo, hi;
                block_values(b[i], lo, hi);
                int16_t* q = out.q.data() + size_t(r * k + QK_MXFP4 * i);
                store_i8x16_as_i16(q, lo);
                store_i8x16_as_i16(q + 16, hi);
                out.d[size_t(r * nb + i)] = mxfp4_scale_half(b[i].e);
            }
        }
    };
    gemm_block32<false, decltype(rows), decltype(&unpack_q8_rows<block_q8_0>), true>(
        n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows, unpack_q8_rows<block_q8_0>);
}

}  // namespace quantlab
