// gemm kernels of the 32-value block formats: each unpacks its blocks to
// signed values and hands them to the shared tile loop in
// gemm_block32_simd128.h, which reproduces the format's vec_dot bit for bit.
#include "formats/simd128/legacy_quants_gemm_simd128.h"

#include <type_traits>

#include "formats/block_types.h"
#include "formats/simd128/gemm_block32_relaxed_simd128.h"
#include "formats/simd128/gemm_block32_simd128.h"
#include "formats/simd128/qh_bits_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// decode(block, &lo, &hi, &d, &m) gives a block's 32 signed values as two
// int8 vectors (positions 0..15 and 16..31), its scale d and (Q4_1/Q5_1) m.

// Rows x blocks of a weight matrix to the int16 panel of the tile loop.
template <class Block, class Decode>
void unpack_weight_rows(const void* w, size_t row_bytes, int64_t rows, int64_t n, Block32Rows& out, Decode decode) {
    const int64_t nb = n / 32;
    for (int64_t r = 0; r < rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(static_cast<const uint8_t*>(w) + size_t(r) * row_bytes);
        int16_t* q = out.q.data() + size_t(r * n);
        float* d = out.d.data() + size_t(r * nb);
        float* m = out.m.data() + size_t(r * nb);
        for (int64_t i = 0; i < nb; ++i) {
            v128_t lo, hi;
            decode(b[i], &lo, &hi, d + i, m + i);
            store_i8x16_as_i16(q + 32 * i, lo);
            store_i8x16_as_i16(q + 32 * i + 16, hi);
        }
    }
}

// A single token: each weight row is used once, so its blocks are decoded
// straight into registers instead of a panel, while the activation row is
// widened once for all rows. Same lanes and float steps as the vec_dot.
template <bool Affine, class Block, class Decode>
void gemv_rows(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const Block32Rows& act, float* y,
               Decode decode) {
    const int64_t nb = n / 32;
    const int16_t* aq = act.q.data();
    for (int64_t r = 0; r < n_rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(static_cast<const uint8_t*>(w) + size_t(r) * w_row_bytes);
        v128_t acc = wasm_f32x4_splat(0.0f);
        float summs = 0.0f;
        for (int64_t i = 0; i < nb; ++i) {
            v128_t lo, hi;
            float dx, mx = 0.0f;
            decode(b[i], &lo, &hi, &dx, &mx);
            const int16_t* at = aq + 32 * i;
            const v128_t s = wasm_i32x4_add(
                wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(lo), wasm_v128_load(at)),
                               wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(lo), wasm_v128_load(at + 8))),
                wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(hi), wasm_v128_load(at + 16)),
                               wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(hi), wasm_v128_load(at + 24))));
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(dx * act.d[size_t(i)])));
            if (Affine) summs += mx * act.m[size_t(i)];
        }
        const float v = f32x4_hsum(acc);
        y[r] = Affine ? v + summs : v;
    }
}

// Values 0..15 (low nibbles first, then high) with an optional fifth bit and offset.
inline void decode_nibbles(v128_t qs, v128_t hl, v128_t hh, v128_t offset, v128_t* lo, v128_t* hi) {
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    *lo = wasm_i8x16_sub(wasm_v128_or(wasm_v128_and(qs, m4), hl), offset);
    *hi = wasm_i8x16_sub(wasm_v128_or(wasm_u8x16_shr(qs, 4), hh), offset);
}

// One gemm of a format whose blocks decode with decode(...) and whose
// activations are ActBlock (Q8_0 / Q8_1).
template <class Block, class ActBlock, class Decode>
void gemm_format(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride, Decode decode) {
    constexpr bool affine = std::is_same_v<ActBlock, block_q8_1>;
    if (n_tokens == 1 && n_rows > 0) {
        static thread_local Block32Rows act;
        act.resize(1, n);
        unpack_q8_rows<ActBlock>(a, a_row_bytes, 1, n, act);
        gemv_rows<affine, Block>(n, w, w_row_bytes, n_rows, act, y, decode);
        return;
    }
    auto rows = [&](const void* wp, size_t rb, int64_t nr, int64_t k, Block32Rows& out) {
        unpack_weight_rows<Block>(wp, rb, nr, k, out, decode);
    };
    gemm_block32<affine>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows,
                         unpack_q8_rows<ActBlock>);
}

}  // namespace

#define QUANTLAB_GEMM_ARGS n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride

void gemm_q8_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q8_0, block_q8_0>(
        QUANTLAB_GEMM_ARGS, [](const block_q8_0& b, v128_t* lo, v128_t* hi, float* d, float*) {
            *lo = wasm_v128_load(b.qs);
            *hi = wasm_v128_load(b.qs + 16);
            *d = fp16_to_fp32(b.d);
        });
}

void gemm_q4_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
#if defined(__wasm_relaxed_simd__)
    gemm_block32_relaxed<block_q4_0>(
        QUANTLAB_GEMM_ARGS, 8, [](const block_q4_0& b, v128_t* lo, v128_t* hi, float* d) {
            const v128_t zero = wasm_i8x16_splat(0);
            decode_nibbles(wasm_v128_load(b.qs), zero, zero, zero, lo, hi);
            *d = fp16_to_fp32(b.d);
        });
#else
    gemm_format<block_q4_0, block_q8_0>(
        QUANTLAB_GEMM_ARGS, [](const block_q4_0& b, v128_t* lo, v128_t* hi, float* d, float*) {
            const v128_t zero = wasm_i8x16_splat(0);
            decode_nibbles(wasm_v128_load(b.qs), zero, zero, wasm_i8x16_splat(8), lo, hi);
            *d = fp16_to_fp32(b.d);
        });
#endif
}

void gemm_q4_1_q8_1_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q4_1, block_q8_1>(
        QUANTLAB_GEMM_ARGS, [](const block_q4_1& b, v128_t* lo, v128_t* hi, float* d, float* m) {
            const v128_t zero = wasm_i8x16_splat(0);
            decode_nibbles(wasm_v128_load(b.qs), zero, zero, zero, lo, hi);
            *d = fp16_to_fp32(b.d);
            *m = fp16_to_fp32(b.m);
        });
}

void gemm_q5_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
#if defined(__wasm_relaxed_simd__)
    gemm_block32_relaxed<block_q5_0>(
        QUANTLAB_GEMM_ARGS, 16, [](const block_q5_0& b, v128_t* lo, v128_t* hi, float* d) {
            v128_t hl, hh;
            load_qh(b.qh, &hl, &hh);
            decode_nibbles(wasm_v128_load(b.qs), hl, hh, wasm_i8x16_splat(0), lo, hi);
            *d = fp16_to_fp32(b.d);
        });
#else
    gemm_format<block_q5_0, block_q8_0>(
        QUANTLAB_GEMM_ARGS, [](const block_q5_0& b, v128_t* lo, v128_t* hi, float* d, float*) {
            v128_t hl, hh;
            load_qh(b.qh, &hl, &hh);
            decode_nibbles(wasm_v128_load(b.qs), hl, hh, wasm_i8x16_splat(16), lo, hi);
            *d = fp16_to_fp32(b.d);
        });
#endif
}

void gemm_q5_1_q8_1_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q5_1, block_q8_1>(
        QUANTLAB_GEMM_ARGS, [](const block_q5_1& b, v128_t* lo, v128_t* hi, float* d, float* m) {
            v128_t hl, hh;
            load_qh(b.qh, &hl, &hh);
            decode_nibbles(wasm_v128_load(b.qs), hl, hh, wasm_i8x16_splat(0), lo, hi);
            *d = fp16_to_fp32(b.d);
            *m = fp16_to_fp32(b.m);
        });
}

void gemm_iq4_nl_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_iq4_nl, block_q8_0>(
        QUANTLAB_GEMM_ARGS, [](const block_iq4_nl& b, v128_t* lo, v128_t* hi, float* d, float*) {
            const v128_t table = wasm_v128_load(kIq4nlValues), qs = wasm_v128_load(b.qs);
            *lo = wasm_i8x16_swizzle(table, wasm_v128_and(qs, wasm_i8x16_splat(0x0F)));
            *hi = wasm_i8x16_swizzle(table, wasm_u8x16_shr(qs, 4));
            *d = fp16_to_fp32(b.d);
        });
}

#undef QUANTLAB_GEMM_ARGS

}  // namespace quantlab
