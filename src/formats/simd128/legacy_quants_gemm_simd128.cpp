// gemm kernels of the 32-value block formats: each unpacks its blocks to
// signed values and hands them to the shared tile loop in
// gemm_block32_simd128.h, which reproduces the format's vec_dot bit for bit.
#include "formats/simd128/legacy_quants_gemm_simd128.h"

#include <type_traits>

#include "formats/block_types.h"
#include "formats/simd128/gemm_block32_simd128.h"
#include "formats/simd128/qh_bits_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab {

using namespace simd;

namespace {

// Walks rows x blocks of a weight matrix, calling unpack(block, q16, &d, &m)
// for each block with q16 the 32 int16 slots of its values.
template <class Block, class UnpackBlock>
void unpack_weight_rows(const void* w, size_t row_bytes, int64_t rows, int64_t n, Block32Rows& out,
                        UnpackBlock unpack) {
    const int64_t nb = n / 32;
    for (int64_t r = 0; r < rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(static_cast<const uint8_t*>(w) + size_t(r) * row_bytes);
        int16_t* q = out.q.data() + size_t(r * n);
        float* d = out.d.data() + size_t(r * nb);
        float* m = out.m.data() + size_t(r * nb);
        for (int64_t i = 0; i < nb; ++i) unpack(b[i], q + 32 * i, d + i, m + i);
    }
}

// Values 0..15 (low nibbles first, then high) with an optional fifth bit and offset.
inline void store_nibbles(int16_t* q, v128_t qs, v128_t hl, v128_t hh, v128_t offset) {
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    store_i8x16_as_i16(q, wasm_i8x16_sub(wasm_v128_or(wasm_v128_and(qs, m4), hl), offset));
    store_i8x16_as_i16(q + 16, wasm_i8x16_sub(wasm_v128_or(wasm_u8x16_shr(qs, 4), hh), offset));
}

// One gemm of a format whose Block unpacks with
// unpack(block, q16, &d, &m) and whose activations are ActBlock (Q8_0 / Q8_1).
template <class Block, class ActBlock, class UnpackBlock>
void gemm_format(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride, UnpackBlock unpack) {
    auto rows = [&](const void* wp, size_t rb, int64_t nr, int64_t k, Block32Rows& out) {
        unpack_weight_rows<Block>(wp, rb, nr, k, out, unpack);
    };
    constexpr bool affine = std::is_same_v<ActBlock, block_q8_1>;
    gemm_block32<affine>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride, rows,
                         unpack_q8_rows<ActBlock>);
}

}  // namespace

#define QUANTLAB_GEMM_ARGS n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride

void gemm_q8_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q8_0, block_q8_0>(QUANTLAB_GEMM_ARGS, [](const block_q8_0& b, int16_t* q, float* d, float*) {
        store_i8x16_as_i16(q, wasm_v128_load(b.qs));
        store_i8x16_as_i16(q + 16, wasm_v128_load(b.qs + 16));
        *d = fp16_to_fp32(b.d);
    });
}

void gemm_q4_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q4_0, block_q8_0>(QUANTLAB_GEMM_ARGS, [](const block_q4_0& b, int16_t* q, float* d, float*) {
        const v128_t zero = wasm_i8x16_splat(0);
        store_nibbles(q, wasm_v128_load(b.qs), zero, zero, wasm_i8x16_splat(8));
        *d = fp16_to_fp32(b.d);
    });
}

void gemm_q4_1_q8_1_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q4_1, block_q8_1>(QUANTLAB_GEMM_ARGS, [](const block_q4_1& b, int16_t* q, float* d, float* m) {
        const v128_t zero = wasm_i8x16_splat(0);
        store_nibbles(q, wasm_v128_load(b.qs), zero, zero, zero);
        *d = fp16_to_fp32(b.d);
        *m = fp16_to_fp32(b.m);
    });
}

void gemm_q5_0_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q5_0, block_q8_0>(QUANTLAB_GEMM_ARGS, [](const block_q5_0& b, int16_t* q, float* d, float*) {
        v128_t hl, hh;
        load_qh(b.qh, &hl, &hh);
        store_nibbles(q, wasm_v128_load(b.qs), hl, hh, wasm_i8x16_splat(16));
        *d = fp16_to_fp32(b.d);
    });
}

void gemm_q5_1_q8_1_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                            size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_q5_1, block_q8_1>(QUANTLAB_GEMM_ARGS, [](const block_q5_1& b, int16_t* q, float* d, float* m) {
        v128_t hl, hh;
        load_qh(b.qh, &hl, &hh);
        store_nibbles(q, wasm_v128_load(b.qs), hl, hh, wasm_i8x16_splat(0));
        *d = fp16_to_fp32(b.d);
        *m = fp16_to_fp32(b.m);
    });
}

void gemm_iq4_nl_q8_0_simd128(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                              size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<block_iq4_nl, block_q8_0>(QUANTLAB_GEMM_ARGS, [](const block_iq4_nl& b, int16_t* q, float* d, float*) {
        const v128_t table = wasm_v128_load(kIq4nlValues), qs = wasm_v128_load(b.qs);
        store_i8x16_as_i16(q, wasm_i8x16_swizzle(table, wasm_v128_and(qs, wasm_i8x16_splat(0x0F))));
        store_i8x16_as_i16(q + 16, wasm_i8x16_swizzle(table, wasm_u8x16_shr(qs, 4)));
        *d = fp16_to_fp32(b.d);
    });
}

#undef QUANTLAB_GEMM_ARGS

}  // namespace quantlab
