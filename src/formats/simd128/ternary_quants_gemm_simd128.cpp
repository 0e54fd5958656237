// gemm of the ternary formats: a super-block is unpacked to its digits minus
// one (-1, 0, 1; TQ2_0's fourth code gives 2), in the dequantized order the
// vec_dots pair with Q8_K's values, and handed to the shared super-block tile
// loop with the BlockTotal float steps (gemm_superblock_simd128.h): the
// integer sum per super-block is exact, so it equals the vec_dot's, and the
// float step is the vec_dot's.
#include "formats/simd128/ternary_quants_gemm_simd128.h"

#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/ref/ternary_quants_ref.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/simd128.h"
#include "formats/simd128/ternary_quants_simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// Digit t (0 = most significant) of 16 TQ1_0 bytes, minus one, as int16 at q[0..15].
inline void store_tq1_values(int16_t* q, v128_t bytes, int t) {
    static constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
    const v128_t p = wasm_i16x8_splat(kPow3[t]), ff = wasm_i16x8_splat(0xff), three = wasm_i16x8_splat(3),
                 one = wasm_i16x8_splat(1);
    const v128_t lo = wasm_v128_and(wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(bytes), p), ff);
    const v128_t hi = wasm_v128_and(wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(bytes), p), ff);
    wasm_v128_store(q, wasm_i16x8_sub(wasm_u16x8_shr(wasm_i16x8_mul(lo, three), 8), one));
    wasm_v128_store(q + 8, wasm_i16x8_sub(wasm_u16x8_shr(wasm_i16x8_mul(hi, three), 8), one));
}

void unpack_tq1_0(const block_tq1_0& b, int16_t* q, int16_t*, float* d, float*) {
    for (int b0 = 0; b0 < 48; b0 += 16) {
        const v128_t bytes = wasm_v128_load(b.qs + b0);
        for (int t = 0; t < 5; ++t) store_tq1_values(q + tq1_0_qs_value(b0, t), bytes, t);
    }
    // qh: byte j, digit t is value 240 + j + 4t; the four bytes repeated fill a vector.
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    int16_t tmp[16];
    for (int t = 0; t < 4; ++t) {
        store_tq1_values(tmp, wasm_i32x4_splat(int32_t(qh)), t);
        std::memcpy(q + 240 + 4 * t, tmp, 4 * sizeof(int16_t));
    }
    *d = fp16_to_fp32(b.d);
}

void unpack_tq2_0(const block_tq2_0& b, int16_t* q, int16_t*, float* d, float*) {
    const v128_t m3 = wasm_i8x16_splat(3), one = wasm_i8x16_splat(1);
    for (int h = 0; h < 2; ++h) {
        for (int m = 0; m < 32; m += 16) {
            const v128_t bytes = wasm_v128_load(b.qs + 32 * h + m);
            for (int l = 0; l < 4; ++l) {
                const v128_t v = wasm_i8x16_sub(wasm_v128_and(wasm_u8x16_shr(bytes, uint32_t(2 * l)), m3), one);
                int16_t* out = q + 128 * h + 32 * l + m;
                wasm_v128_store(out, wasm_i16x8_extend_low_i8x16(v));
                wasm_v128_store(out + 8, wasm_i16x8_extend_high_i8x16(v));
            }
        }
    }
    *d = fp16_to_fp32(b.d);
}

template <class Block, void (*Unpack)(const Block&, int16_t*, int16_t*, float*, float*),
          float (*VecDot)(int64_t, const void*, const void*)>
void gemm_tq(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
             int64_t n_tokens, float* y, size_t y_stride) {
    auto rows = [](const void* wp, size_t rb, int64_t nr, int64_t k, SuperblockRows& out) {
        unpack_superblock_rows<Block>(wp, rb, nr, k, out, Unpack);
    };
    gemm_superblock<SuperblockTerm::BlockTotal>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride,
                                                rows, VecDot);
}

}  // namespace

void gemm_tq1_0_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_tq<block_tq1_0, unpack_tq1_0, vec_dot_tq1_0_q8_K_simd128>(n, w, w_row_bytes, n_rows, a, a_row_bytes,
                                                                   n_tokens, y, y_stride);
}

void gemm_tq2_0_q8_K_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_tq<block_tq2_0, unpack_tq2_0, vec_dot_tq2_0_q8_K_simd128>(n, w, w_row_bytes, n_rows, a, a_row_bytes,
                                                                   n_tokens, y, y_stride);
}

}  // namespace quantlab
