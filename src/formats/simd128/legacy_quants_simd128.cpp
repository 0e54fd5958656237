// SIMD128 kernels of the 32-value block formats (see the _ref twins for the
// algorithms; these must reproduce them exactly).
#include "formats/simd128/legacy_quants_simd128.h"

#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

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
            const v128_t a = wasm_i32x4_trunc_sat_f32x4(f32x4_round_half_away(wasm_f32x4_mul(v[j], vid)));
            const v128_t b = wasm_i32x4_trunc_sat_f32x4(f32x4_round_half_away(wasm_f32x4_mul(v[j + 1], vid)));
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
            wasm_v128_store(yb + j + 0, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo)), d));
            wasm_v128_store(yb + j + 4, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo)), d));
            wasm_v128_store(yb + j + 8, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi)), d));
            wasm_v128_store(yb + j + 12, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi)), d));
        }
    }
}

float vec_dot_q8_0_q8_0_simd128(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q8_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t s0 = i8x16_dot_i32x4(wasm_v128_load(x[i].qs), wasm_v128_load(y[i].qs));
        const v128_t s1 = i8x16_dot_i32x4(wasm_v128_load(x[i].qs + 16), wasm_v128_load(y[i].qs + 16));
        const float d = fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_add(s0, s1)), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

}  // namespace quantlab
