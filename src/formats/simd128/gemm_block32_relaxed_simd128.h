// The relaxed-SIMD form of gemm_block32_simd128.h for the 32-value formats
// whose weights are an unsigned integer minus a fixed offset (Q4_0: q - 8,
// Q5_0: q - 16), paired with Q8_0 activations. Only in the relaxed-SIMD
// variant of the wasm module (__wasm_relaxed_simd__).
//
// Panels hold int8 instead of int16: the weights as their unsigned 0..31
// codes, the activations as they are, both in the byte order of
// i8x16_to_relaxed_lanes. Two chained i32x4.relaxed_dot_i8x16_i7x16_add_s
// do the work of eight widenings, four i32x4.dot_i16x8 and three adds, and
// put into lane j the same positions {2j, 2j+1, 2j+8, 2j+9} of both halves as
// the SIMD128 tile. V8 on x64 emits one vpdpbusd for each where the CPU has
// AVX-VNNI (Intel since Alder Lake, AMD since Zen 5), else pmaddubsw +
// pmaddwd + paddd: two instructions, or six without AVX-VNNI, against five
// on any x64 for the earlier form (two i16x8.relaxed_dot_i8x16_i7x16_s, an
// int16 add, one i32x4.dot_i16x8 with ones), which was 10-17 % slower at
// pp256 on a Zen 5 (docs/benchmarks.md, 2026-12-05). The
// codes are < 32, so no int16 pair sum can overflow on either path. The offset comes
// back exactly in the accumulator's start value: per lane,
//   sum (q - o) * a = sum q * a - o * sum a,
// with the activations' lane sums computed once per token. Integer sums are
// exact, so each block's int32 lanes equal the SIMD128 tile's, and the float
// steps after them are the same: results identical bit for bit.
#pragma once

#if defined(__wasm_relaxed_simd__)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/prepared_activations.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// Unpacked rows: q[n] bytes, d[nb] scales; for activations also c[4 * nb]:
// the start value of each block's lanes, -offset * (lane sums of the values).
struct Block32BytesRows {
    std::vector<int8_t> q;
    std::vector<float> d;
    std::vector<int32_t> c;
    void resize(size_t rows, int64_t n) {
        if (q.size() < rows * size_t(n)) q.resize(rows * size_t(n));
        if (d.size() < rows * size_t(n / 32)) {
            d.resize(rows * size_t(n / 32));
            c.resize(rows * size_t(n / 32) * 4);
        }
    }
};

inline void unpack_q8_0_rows_relaxed(const void* a, size_t row_bytes, int64_t rows, int64_t n, int offset,
                                     Block32BytesRows& out) {
    const int64_t nb = n / 32;
    const v128_t ones = wasm_i8x16_splat(1), neg_offset = wasm_i32x4_splat(-offset);
    for (int64_t t = 0; t < rows; ++t) {
        const auto* b = reinterpret_cast<const block_q8_0*>(static_cast<const uint8_t*>(a) + size_t(t) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
            const size_t o = size_t(t * nb + i);
            const v128_t lo = i8x16_to_relaxed_lanes(wasm_v128_load(b[i].qs));
            const v128_t hi = i8x16_to_relaxed_lanes(wasm_v128_load(b[i].qs + 16));
            wasm_v128_store(out.q.data() + 32 * o, lo);
            wasm_v128_store(out.q.data() + 32 * o + 16, hi);
            const v128_t sums = i32x4_relaxed_dot_i8_u7(hi, ones, i32x4_relaxed_dot_i8_u7(lo, ones, wasm_i32x4_splat(0)));
            wasm_v128_store(out.c.data() + 4 * o, wasm_i32x4_mul(sums, neg_offset));
            out.d[o] = fp16_to_fp32(b[i].d);
        }
    }
}

// R rows x T tokens over nb blocks (the SIMD128 tile's float steps, non-affine).
template <int R, int T>
inline void block32_tile_relaxed(int64_t n, const Block32BytesRows& W, int64_t r0, const Block32BytesRows& A,
                                 int64_t t0, float* y, size_t y_stride, int64_t y_row0) {
    const int64_t nb = n / 32;
    v128_t acc[R][T];
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) acc[r][t] = wasm_f32x4_splat(0.0f);
    }
    const int8_t* wq[R];
    const float* wd[R];
    for (int r = 0; r < R; ++r) {
        wq[r] = W.q.data() + size_t((r0 + r) * n);
        wd[r] = W.d.data() + size_t((r0 + r) * nb);
    }
    for (int64_t i = 0; i < nb; ++i) {
        const size_t o = size_t(32 * i);
        for (int t = 0; t < T; ++t) {
            const size_t ao = size_t((t0 + t) * nb + i);
            const v128_t a0 = wasm_v128_load(A.q.data() + 32 * ao), a1 = wasm_v128_load(A.q.data() + 32 * ao + 16);
            const v128_t c = wasm_v128_load(A.c.data() + 4 * ao);
            for (int r = 0; r < R; ++r) {
                // Lane j = c + the bytes 4j..4j+3 of both halves (pairs 2j, 2j+1 of the int16 form).
                const v128_t s = i32x4_relaxed_dot_i8_u7(
                    a1, wasm_v128_load(wq[r] + o + 16), i32x4_relaxed_dot_i8_u7(a0, wasm_v128_load(wq[r] + o), c));
                const float d = wd[r][i] * A.d[ao];
                acc[r][t] = wasm_f32x4_add(acc[r][t], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) y[size_t(t0 + t) * y_stride + size_t(y_row0 + r)] = f32x4_hsum(acc[r][t]);
    }
}

template <int R>
inline void block32_tile_relaxed_tokens(int64_t n, const Block32BytesRows& W, int64_t r0, const Block32BytesRows& A,
                                        int64_t t0, int64_t nt, float* y, size_t y_stride, int64_t y_row0) {
    switch (nt) {
        case 1: block32_tile_relaxed<R, 1>(n, W, r0, A, t0, y, y_stride, y_row0); break;
        case 2: block32_tile_relaxed<R, 2>(n, W, r0, A, t0, y, y_stride, y_row0); break;
        case 3: block32_tile_relaxed<R, 3>(n, W, r0, A, t0, y, y_stride, y_row0); break;
        default: block32_tile_relaxed<R, 4>(n, W, r0, A, t0, y, y_stride, y_row0); break;
    }
}

// Lane j of both halves' int16 relaxed-dot sums (int16 lane k holds positions
// 2k, 2k+1): int16 lanes j and j+4, widened and added, are positions 2j,
// 2j+1, 2j+8, 2j+9 of the block's halves, the SIMD128 tile's lane j.
inline v128_t natural_pairs_to_lanes(v128_t h) {
    return wasm_i32x4_add(wasm_i32x4_extend_low_i16x8(h), wasm_i32x4_extend_high_i16x8(h));
}

// A single token: each weight row is used once, so its blocks are decoded
// straight into registers (as the SIMD128 gemv_rows) and dotted with the
// activations in their own order, with no panels and no reordering. Per
// block, one relaxed dot per half (two products per int16 lane, at most
// 4 * 31 * 128 in the sum of both: exact) and natural_pairs_to_lanes give the
// SIMD128 lanes of sum q * a; the offset comes back as -offset times the same
// lanes of the activations, computed once per call. The float steps are the
// SIMD128 gemv's: results identical bit for bit.
template <class Block, class DecodeU7>
void gemv_block32_relaxed(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, int offset,
                          float* y, DecodeU7 decode_u7) {
    const int64_t nb = n / 32;
    const auto* ab = static_cast<const block_q8_0*>(a);
    static thread_local std::vector<int32_t> c;  // [nb][4]: -offset * lane sums of the activations
    static thread_local std::vector<float> da;   // [nb]
    c.resize(size_t(4 * nb));
    da.resize(size_t(nb));
    const v128_t ones = wasm_i8x16_splat(1), neg_offset = wasm_i32x4_splat(-offset);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t h = wasm_i16x8_add(i16x8_relaxed_dot_i8_u7(wasm_v128_load(ab[i].qs), ones),
                                        i16x8_relaxed_dot_i8_u7(wasm_v128_load(ab[i].qs + 16), ones));
        wasm_v128_store(c.data() + 4 * i, wasm_i32x4_mul(natural_pairs_to_lanes(h), neg_offset));
        da[size_t(i)] = fp16_to_fp32(ab[i].d);
    }
    for (int64_t r = 0; r < n_rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(static_cast<const uint8_t*>(w) + size_t(r) * w_row_bytes);
        v128_t acc = wasm_f32x4_splat(0.0f);
        for (int64_t i = 0; i < nb; ++i) {
            v128_t lo, hi;
            float dx;
            decode_u7(b[i], &lo, &hi, &dx);
            const v128_t h = wasm_i16x8_add(i16x8_relaxed_dot_i8_u7(wasm_v128_load(ab[i].qs), lo),
                                            i16x8_relaxed_dot_i8_u7(wasm_v128_load(ab[i].qs + 16), hi));
            const v128_t s = wasm_i32x4_add(wasm_v128_load(c.data() + 4 * i), natural_pairs_to_lanes(h));
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(dx * da[size_t(i)])));
        }
        y[r] = f32x4_hsum(acc);
    }
}

// 2 rows x 4 tokens, weights read from L1 at each use: few values live
// at once (V8 has 16 vector registers on x64). Chromium gemm, Q4_0 1536 x 512
// x 256 tokens, median of 30 interleaved pairs against the SIMD128 build:
// 1.71x at 2 rows, 1.48x at 3, 1.32x at 4 (a busy machine: rough).
constexpr int kRelaxedTileRows = 2;

// decode_u7(block, &lo, &hi, &d): the block's unsigned codes (positions
// 0..15, 16..31, each < 128) and its scale; the weight is code - offset.
template <class Block, class DecodeU7>
void gemm_block32_relaxed(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                          size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride, int offset,
                          DecodeU7 decode_u7) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    if (n_tokens == 1) return gemv_block32_relaxed<Block>(n, w, w_row_bytes, n_rows, a, offset, y, decode_u7);
    static thread_local Block32BytesRows acts, panel;
    static thread_local PreparedActivations held;
    held.prepare(a, a_row_bytes, n_tokens, n, offset, [&] {
        acts.resize(size_t(n_tokens), n);
        unpack_q8_0_rows_relaxed(a, a_row_bytes, n_tokens, n, offset, acts);
    });
    // About 16 KB of int8 rows stay in L1 while every token tile passes.
    constexpr int64_t RT = kRelaxedTileRows;
    const int64_t nb = n / 32;
    const int64_t panel_rows = std::max<int64_t>(RT, (16384 / std::max<int64_t>(n, 1)) / RT * RT);
    panel.resize(size_t(panel_rows), n);
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = std::min(panel_rows, n_rows - p0);
        for (int64_t r = 0; r < pr; ++r) {
            const auto* b = reinterpret_cast<const Block*>(wb + size_t(p0 + r) * w_row_bytes);
            for (int64_t i = 0; i < nb; ++i) {
                v128_t lo, hi;
                decode_u7(b[i], &lo, &hi, panel.d.data() + size_t(r * nb + i));
                wasm_v128_store(panel.q.data() + size_t(r * n + 32 * i), i8x16_to_relaxed_lanes(lo));
                wasm_v128_store(panel.q.data() + size_t(r * n + 32 * i + 16), i8x16_to_relaxed_lanes(hi));
            }
        }
        for (int64_t t0 = 0; t0 < n_tokens; t0 += 4) {
            const int64_t nt = std::min<int64_t>(4, n_tokens - t0);
            int64_t r = 0;
            for (; r + RT <= pr; r += RT) block32_tile_relaxed_tokens<RT>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r);
            switch (pr - r) {
                case 1: block32_tile_relaxed_tokens<1>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r); break;
                case 2: block32_tile_relaxed_tokens<2>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r); break;
                case 3: block32_tile_relaxed_tokens<3>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r); break;
                default: break;
            }
        }
    }
}

}  // namespace quantlab::simd

#endif  // __wasm_relaxed_simd__
