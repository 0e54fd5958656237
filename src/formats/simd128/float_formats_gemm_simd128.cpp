// gemm of the float formats. Their vec_dots (float_formats_simd128.cpp) sum
// exact double products in two f64x2 accumulators — values 4k, 4k+1 into the
// first, 4k+2, 4k+3 into the second — over the first n - n % G values (G = 4
// for F32, 8 for F16/BF16), add the four lanes as (a0 + b0) + (a1 + b1), then
// the tail in order. Every value here converts exactly (half and bfloat to
// float, float to double), and a product of two floats is exact in double,
// so doing the same additions on converted values gives the same bits.
//
// The weights of a panel of rows are converted to double once; activations to
// float once per call; tiles of 4 rows share each activation vector.
#include "formats/simd128/float_formats_gemm_simd128.h"

#include <algorithm>
#include <vector>

#include "core/half.h"
#include "formats/simd128/float_formats_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

namespace {

inline double f64x2_lane_sum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

template <class T>
inline float to_float(T v);
template <>
inline float to_float<float>(float v) { return v; }

struct Half { uint16_t bits; };
struct BFloat { uint16_t bits; };
template <>
inline float to_float<Half>(Half v) { return fp16_to_fp32(v.bits); }
template <>
inline float to_float<BFloat>(BFloat v) { return bf16_to_fp32(v.bits); }

// R rows of the double panel (row length n) against one float activation row.
template <int R>
void float_tile(int64_t n, int64_t main_end, const double* panel, const float* act, float* y) {
    v128_t acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = wasm_f64x2_splat(0.0);
    for (int64_t i = 0; i < main_end; i += 4) {
        const v128_t a = wasm_v128_load(act + i);
        const v128_t lo = wasm_f64x2_promote_low_f32x4(a);
        const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
        for (int r = 0; r < R; ++r) {
            const double* w = panel + r * n + i;
            acc[r][0] = wasm_f64x2_add(acc[r][0], wasm_f64x2_mul(wasm_v128_load(w), lo));
            acc[r][1] = wasm_f64x2_add(acc[r][1], wasm_f64x2_mul(wasm_v128_load(w + 2), hi));
        }
    }
    for (int r = 0; r < R; ++r) {
        double sum = f64x2_lane_sum(wasm_f64x2_add(acc[r][0], acc[r][1]));
        for (int64_t i = main_end; i < n; ++i) sum += panel[r * n + i] * double(act[i]);
        y[r] = float(sum);
    }
}

// A single token runs the vec_dot row by row: converting rows used once to
// double does not pay.
template <class T, int G, float (*VecDot)(int64_t, const void*, const void*)>
void gemm_float(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                int64_t n_tokens, float* y, size_t y_stride) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    if (n_tokens == 1) {
        for (int64_t r = 0; r < n_rows; ++r) y[r] = VecDot(n, static_cast<const uint8_t*>(w) + size_t(r) * w_row_bytes, a);
        return;
    }
    static thread_local std::vector<float> acts;
    static thread_local std::vector<double> panel;
    static thread_local std::vector<float> out;
    acts.resize(size_t(n_tokens * n));
    for (int64_t t = 0; t < n_tokens; ++t) {
        const T* src = reinterpret_cast<const T*>(static_cast<const uint8_t*>(a) + size_t(t) * a_row_bytes);
        for (int64_t i = 0; i < n; ++i) acts[size_t(t * n + i)] = to_float(src[i]);
    }
    const int64_t main_end = n - n % G;
    const int64_t panel_rows = std::max<int64_t>(4, (2048 / std::max<int64_t>(n, 1)) & ~int64_t(3));
    panel.resize(size_t(panel_rows * n));
    out.resize(size_t(panel_rows));
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = std::min(panel_rows, n_rows - p0);
        for (int64_t r = 0; r < pr; ++r) {
            const T* src =
                reinterpret_cast<const T*>(static_cast<const uint8_t*>(w) + size_t(p0 + r) * w_row_bytes);
            for (int64_t i = 0; i < n; ++i) panel[size_t(r * n + i)] = double(to_float(src[i]));
        }
        for (int64_t t = 0; t < n_tokens; ++t) {
            const float* act = acts.data() + t * n;
            int64_t r = 0;
            for (; r + 4 <= pr; r += 4) float_tile<4>(n, main_end, panel.data() + r * n, act, out.data() + r);
            for (; r < pr; ++r) float_tile<1>(n, main_end, panel.data() + r * n, act, out.data() + r);
            std::copy(out.begin(), out.begin() + pr, y + size_t(t) * y_stride + size_t(p0));
        }
    }
}

}  // namespace

void gemm_f32_f32_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                          size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_float<float, 4, vec_dot_f32_f32_simd128>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_f16_f16_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                          size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_float<Half, 8, vec_dot_f16_f16_simd128>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_bf16_bf16_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_float<BFloat, 8, vec_dot_bf16_bf16_simd128>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

}  // namespace quantlab
