// The relaxed-SIMD form of gemm_superblock_simd128.h for the K-quants whose
// values are unsigned codes below 64 (Q4_K, Q5_K: 32-value sub-blocks;
// Q6_K: 16-value sub-blocks, its "-32" in the bsums term). Only in the
// relaxed-SIMD variant of the wasm module (__wasm_relaxed_simd__).
//
// Panels hold int8: the weights' unsigned codes (NOT pre-scaled: scale * q
// does not fit in a byte) and the Q8_K activations, both in the byte order
// of to_relaxed_order below, plus one int16 scale per 16 values. Each step
// takes 32 values (two vectors): two i16x8.relaxed_dot_i8x16_i7x16_s (one
// pmaddubsw each in x64 V8) give int16 pair sums of q * a, added in int16
// (at most 2 * 2 * 63 * 128 = 32256 in magnitude for codes below 64, so
// exact), and one i32x4.dot_i16x8 with the scales gives, in lane j,
//   Q4_K/Q5_K (one 32-value sub-block per step, its scale splat):
//     scale * (sum of q * a over the positions p = 2j, 2j+1 (mod 8));
//   Q6_K (two 16-value sub-blocks A, B per step, int16 lanes alternating
//     A, B, so the scale vector is sA, sB, sA, sB, ...):
//     sA * (A's sum over p = 2j, 2j+1 (mod 8)) + sB * (B's sum over the same).
// Either way, summed over the super-block, lane j holds the SIMD128 tile's
// sum of (scale * q) * a over the positions 2j, 2j+1 (mod 8) of every
// sub-block. Integer sums are exact, so each super-block's "sumi" lanes equal
// the SIMD128 tile's (and the vec_dot's); the bsums term and the float steps
// are the SIMD128 tile's own code: results identical bit for bit.
#pragma once

#if defined(__wasm_relaxed_simd__)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "formats/block_types.h"
#include "formats/prepared_activations.h"
#include "formats/simd128/gemm_superblock_simd128.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// q[n] bytes per row; scale[16 * nb] int16 (one per 16 values; weights only);
// d, dmin, aux[16 * nb] as in SuperblockRows.
struct SuperblockBytesRows {
    std::vector<int8_t> q;
    std::vector<int16_t> scale;
    std::vector<int16_t> aux;
    std::vector<float> d, dmin;
    void resize(size_t rows, int64_t n) {
        const size_t nb = size_t(n / QK_K);
        if (q.size() < rows * size_t(n)) q.resize(rows * size_t(n));
        if (d.size() < rows * nb) {
            d.resize(rows * nb);
            dmin.resize(rows * nb);
            aux.resize(rows * nb * 16);
            scale.resize(rows * nb * 16);
        }
    }
};

// 32 values (src) into the panel's byte order (dst).
//   Groups 2 (one scale per 32 values): each 16 in i8x16_to_relaxed_lanes
//     order, so int16 lane k of a pmaddubsw is positions (0,1), (8,9), (2,3),
//     (10,11), ... and pmaddwd's lane j those of p = 2j, 2j+1 (mod 8).
//   Groups 1 (Q6_K: a scale per 16 values, sub-blocks A = src[0..15] and
//     B = src[16..31]): 16-bit pairs of A and B interleaved, A's first
//     eight values with B's first eight, then the last eight of each, so
//     int16 lane 2j + 1 is B's pair wherever lane 2j is A's.
template <int Groups>
inline void to_relaxed_order(const void* src, int8_t* dst) {
    const auto* b = static_cast<const uint8_t*>(src);
    if constexpr (Groups == 2) {
        wasm_v128_store(dst, i8x16_to_relaxed_lanes(wasm_v128_load(b)));
        wasm_v128_store(dst + 16, i8x16_to_relaxed_lanes(wasm_v128_load(b + 16)));
    } else {
        const v128_t lo = wasm_v128_load(b), hi = wasm_v128_load(b + 16);
        wasm_v128_store(dst, wasm_i16x8_shuffle(lo, hi, 0, 8, 1, 9, 2, 10, 3, 11));
        wasm_v128_store(dst + 16, wasm_i16x8_shuffle(lo, hi, 4, 12, 5, 13, 6, 14, 7, 15));
    }
}

template <int Groups>
inline void unpack_q8_K_rows_relaxed(const void* a, size_t row_bytes, int64_t rows, int64_t n,
                                     SuperblockBytesRows& out) {
    const int64_t nb = n / QK_K;
    for (int64_t t = 0; t < rows; ++t) {
        const auto* b = reinterpret_cast<const block_q8_K*>(static_cast<const uint8_t*>(a) + size_t(t) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
            const size_t o = size_t(t * nb + i);
            int8_t* q = out.q.data() + QK_K * o;
            for (int k = 0; k < QK_K; k += 32) to_relaxed_order<Groups>(b[i].qs + k, q + k);
            out.d[o] = b[i].d;
            std::memcpy(out.aux.data() + 16 * o, b[i].bsums, sizeof b[i].bsums);
        }
    }
}

// R rows x T tokens over all super-blocks. Groups = 16-value groups per
// sub-block scale (2 for Q4_K/Q5_K, 1 for Q6_K).
template <int R, int T, SuperblockTerm Term, int Groups>
inline void superblock_tile_relaxed(int64_t n, const SuperblockBytesRows& W, int64_t r0, const SuperblockBytesRows& A,
                                    int64_t t0, float* y, size_t y_stride, int64_t y_row0) {
    static_assert(Term == SuperblockTerm::Mins || Term == SuperblockTerm::Q6, "unsigned-code K-quants only");
    const int64_t nb = n / QK_K;
    float totals[R][T] = {};  // BlockTotal formats do not come here
    v128_t acc[R][T], accm[R][T];
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) acc[r][t] = accm[r][t] = wasm_f32x4_splat(0.0f);
    }
    for (int64_t i = 0; i < nb; ++i) {
        const int8_t* wq[R];
        const int16_t* ws[R];
        const int8_t* aq[T];
        for (int r = 0; r < R; ++r) {
            wq[r] = W.q.data() + size_t((r0 + r) * n + QK_K * i);
            ws[r] = W.scale.data() + 16 * size_t((r0 + r) * nb + i);
        }
        for (int t = 0; t < T; ++t) aq[t] = A.q.data() + size_t((t0 + t) * n + QK_K * i);
        v128_t s[R][T];
        for (int r = 0; r < R; ++r) {
            for (int t = 0; t < T; ++t) s[r][t] = wasm_i32x4_splat(0);
        }
        for (int g = 0; g < 16; g += 2) {  // 32 values: the 16-value groups g, g + 1
            v128_t av[T][2];
            for (int t = 0; t < T; ++t) {
                for (int h = 0; h < 2; ++h) av[t][h] = wasm_v128_load(aq[t] + 16 * (g + h));
            }
            for (int r = 0; r < R; ++r) {
                v128_t wv[2];
                for (int h = 0; h < 2; ++h) wv[h] = wasm_v128_load(wq[r] + 16 * (g + h));
                // Groups 2: both groups share one scale; Groups 1: the
                // int16 pair (scale[g], scale[g + 1]) in every 32-bit lane.
                const v128_t sc = Groups == 2 ? wasm_v128_load16_splat(ws[r] + g) : wasm_v128_load32_splat(ws[r] + g);
                for (int t = 0; t < T; ++t) {
                    v128_t h = i16x8_relaxed_dot_i8_u7(av[t][0], wv[0]);
                    h = wasm_i16x8_add(h, i16x8_relaxed_dot_i8_u7(av[t][1], wv[1]));
                    s[r][t] = wasm_i32x4_add(s[r][t], wasm_i32x4_dot_i16x8(h, sc));
                }
            }
        }
        superblock_accumulate_tile<Term>(s, W, r0, A, t0, nb, i, acc, accm, totals);
    }
    superblock_store_results<Term>(acc, accm, totals, y, y_stride, t0, y_row0);
}

// 4 rows x 2 tokens, as the SIMD128 tile (measured against 2 x 2 and 4 x 1
// with the activations reloaded per row: no better, in a noisy run). 3 x 2,
// with or without a compiler barrier between rows to shorten V8's register
// live ranges, measured 0.93-1.03x its speed for Q4_K and 1.02x for Q6_K in
// Chromium: not worth a second tile shape (docs/benchmarks.md, "Issue 14,
// eleventh session").
constexpr int kRelaxedSuperblockTileRows = 4;
constexpr int kRelaxedSuperblockTileTokens = 2;

template <int R, int T, SuperblockTerm Term, int Groups>
inline void superblock_tile_relaxed_tokens(int64_t n, const SuperblockBytesRows& W, int64_t r0,
                                           const SuperblockBytesRows& A, int64_t t0, int64_t nt, float* y,
                                           size_t y_stride, int64_t y_row0) {
    if constexpr (T > 1) {
        if (nt < T) return superblock_tile_relaxed_tokens<R, T - 1, Term, Groups>(n, W, r0, A, t0, nt, y, y_stride, y_row0);
    }
    superblock_tile_relaxed<R, T, Term, Groups>(n, W, r0, A, t0, y, y_stride, y_row0);
}

template <int R, SuperblockTerm Term, int Groups>
inline void superblock_tile_relaxed_rows(int64_t n, const SuperblockBytesRows& W, int64_t r0, int64_t nr,
                                         const SuperblockBytesRows& A, int64_t t0, int64_t nt, float* y,
                                         size_t y_stride, int64_t y_row0) {
    if constexpr (R > 1) {
        if (nr < R) return superblock_tile_relaxed_rows<R - 1, Term, Groups>(n, W, r0, nr, A, t0, nt, y, y_stride, y_row0);
    }
    superblock_tile_relaxed_tokens<R, kRelaxedSuperblockTileTokens, Term, Groups>(n, W, r0, A, t0, nt, y, y_stride,
                                                                                  y_row0);
}

// unpack(block, q_u8[256], scale_i16[16], aux_i16[16], &d, &dmin): the
// super-block's unsigned codes in dequantized order, the scale of each
// 16-value group, and the SIMD128 unpack's aux, d and dmin. Callers run
// this for two or more tokens (one token takes the vec_dot_*_relaxed_simd128
// row by row: k_quants_simd128.h).
template <class Block, SuperblockTerm Term, int Groups, class UnpackU7>
void gemm_superblock_relaxed(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                             size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride, UnpackU7 unpack) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    static thread_local SuperblockBytesRows acts, panel;
    static thread_local PreparedActivations held;
    held.prepare(a, a_row_bytes, n_tokens, n, 0, [&] {
        acts.resize(size_t(n_tokens), n);
        unpack_q8_K_rows_relaxed<Groups>(a, a_row_bytes, n_tokens, n, acts);
    });
    constexpr int64_t RT = kRelaxedSuperblockTileRows;
    const int64_t nb = n / QK_K;
    const int64_t panel_rows = std::max<int64_t>(RT, (16384 / std::max<int64_t>(n, 1)) / RT * RT);
    panel.resize(size_t(panel_rows), n);
    const auto* wb = static_cast<const uint8_t*>(w);
    alignas(16) uint8_t codes[QK_K];
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = std::min(panel_rows, n_rows - p0);
        for (int64_t r = 0; r < pr; ++r) {
            const auto* b = reinterpret_cast<const Block*>(wb + size_t(p0 + r) * w_row_bytes);
            for (int64_t i = 0; i < nb; ++i) {
                const size_t o = size_t(r * nb + i);
                unpack(b[i], codes, panel.scale.data() + 16 * o, panel.aux.data() + 16 * o, panel.d.data() + o,
                       panel.dmin.data() + o);
                int8_t* q = panel.q.data() + QK_K * o;
                for (int k = 0; k < QK_K; k += 32) to_relaxed_order<Groups>(codes + k, q + k);
            }
        }
        for (int64_t t0 = 0; t0 < n_tokens; t0 += kRelaxedSuperblockTileTokens) {
            const int64_t nt = std::min<int64_t>(kRelaxedSuperblockTileTokens, n_tokens - t0);
            for (int64_t r = 0; r < pr; r += RT) {
                superblock_tile_relaxed_rows<RT, Term, Groups>(n, panel, r, std::min(RT, pr - r), acts, t0, nt, y,
                                                               y_stride, p0 + r);
            }
        }
    }
}

}  // namespace quantlab::simd

#endif  // __wasm_relaxed_simd__
