// The matrix-multiply loop shared by every weight format whose blocks hold 32
// values and pair with Q8_0 or Q8_1 activations (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// IQ4_NL, MXFP4). Each format only says how to unpack one block to 32 signed values
// (formats/simd128/legacy_quants_gemm_simd128.cpp); this loop does the rest:
//
//   1. Activations: every token's Q8 row is widened once to int16 plus float
//      scales (and Q8_1's s = d * sum).
//   2. Weights: a panel of rows small enough to stay in L1 is unpacked to
//      int16 plus float scales (and Q4_1/Q5_1's m).
//   3. A tile of up to 4 rows x 4 tokens walks the blocks; each int16 weight
//      vector meets 4 tokens and each activation vector 4 rows.
//
// Bit-exactness with the format's vec_dot: every vec_dot of this family sums
// block products into four int32 lanes, lane j holding positions
// {2j, 2j+1, 2j+8, 2j+9} of each 16-value half, then accumulates
// lane-wise acc += float(lane) * (dx * dy) and returns hsum(acc) (+ the sum of
// m * s in block order for Q8_1 pairs). i32x4.dot_i16x8 over the int16
// vectors [0..7], [8..15], [16..23], [24..31] makes the same lanes, and
// integer sums are exact, so the floats that follow are the same operations
// on the same values: the results are identical, not merely close.
// With Total (MXFP4), the vec_dot instead adds each block's lanes into one
// int32 and takes one scalar float step, total += (dx * dy) * float(sum), in
// block order (ggml's scalar order); the tile then does the same.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/prepared_activations.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// One unpacked row: q[n] int16 values, d[nb] scales, m[nb] offsets (Q8_1
// pairs only; Q8_1 activations keep s here).
struct Block32Rows {
    std::vector<int16_t> q;
    std::vector<float> d, m;
    void resize(size_t rows, int64_t n) {
        if (q.size() < rows * size_t(n)) q.resize(rows * size_t(n));
        if (d.size() < rows * size_t(n / 32)) {
            d.resize(rows * size_t(n / 32));
            m.resize(rows * size_t(n / 32));
        }
    }
};

// Sixteen int8 values widened into two int16 vectors at dst[0..7], dst[8..15].
inline void store_i8x16_as_i16(int16_t* dst, v128_t v) {
    wasm_v128_store(dst, wasm_i16x8_extend_low_i8x16(v));
    wasm_v128_store(dst + 8, wasm_i16x8_extend_high_i8x16(v));
}

// Q8_0 / Q8_1 activation rows to int16 + scales (+ Q8_1's s in m).
template <class Block>
inline void unpack_q8_rows(const void* a, size_t row_bytes, int64_t rows, int64_t n, Block32Rows& out) {
    const int64_t nb = n / 32;
    for (int64_t t = 0; t < rows; ++t) {
        const auto* b = reinterpret_cast<const Block*>(static_cast<const uint8_t*>(a) + size_t(t) * row_bytes);
        int16_t* q = out.q.data() + size_t(t * n);
        float* d = out.d.data() + size_t(t * nb);
        float* s = out.m.data() + size_t(t * nb);
        for (int64_t i = 0; i < nb; ++i) {
            store_i8x16_as_i16(q + 32 * i, wasm_v128_load(b[i].qs));
            store_i8x16_as_i16(q + 32 * i + 16, wasm_v128_load(b[i].qs + 16));
            d[i] = fp16_to_fp32(b[i].d);
            if constexpr (std::is_same_v<Block, block_q8_1>) s[i] = fp16_to_fp32(b[i].s);
        }
    }
}

// R rows x T tokens over nb blocks. w/a point at the first row/token of the
// tile inside unpacked panels of row length n.
template <int R, int T, bool Affine, bool Total = false>
inline void block32_tile(int64_t n, const Block32Rows& W, int64_t r0, const Block32Rows& A, int64_t t0, float* y,
                         size_t y_stride, int64_t y_row0) {
    const int64_t nb = n / 32;
    v128_t acc[R][T];
    float summs[R][T], total[R][T];
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) {
            acc[r][t] = wasm_f32x4_splat(0.0f);
            summs[r][t] = total[r][t] = 0.0f;
        }
    }
    const int16_t* wq[R];
    const float* wd[R];
    const float* wm[R];
    for (int r = 0; r < R; ++r) {
        wq[r] = W.q.data() + size_t((r0 + r) * n);
        wd[r] = W.d.data() + size_t((r0 + r) * nb);
        wm[r] = W.m.data() + size_t((r0 + r) * nb);
    }
    const int16_t* aq[T];
    const float* ad[T];
    const float* as[T];
    for (int t = 0; t < T; ++t) {
        aq[t] = A.q.data() + size_t((t0 + t) * n);
        ad[t] = A.d.data() + size_t((t0 + t) * nb);
        as[t] = A.m.data() + size_t((t0 + t) * nb);
    }
    for (int64_t i = 0; i < nb; ++i) {
        const size_t o = size_t(32 * i);
        for (int t = 0; t < T; ++t) {
            const v128_t a0 = wasm_v128_load(aq[t] + o), a1 = wasm_v128_load(aq[t] + o + 8);
            const v128_t a2 = wasm_v128_load(aq[t] + o + 16), a3 = wasm_v128_load(aq[t] + o + 24);
            for (int r = 0; r < R; ++r) {
                const v128_t s = wasm_i32x4_add(
                    wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(wq[r] + o), a0),
                                   wasm_i32x4_dot_i16x8(wasm_v128_load(wq[r] + o + 8), a1)),
                    wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(wq[r] + o + 16), a2),
                                   wasm_i32x4_dot_i16x8(wasm_v128_load(wq[r] + o + 24), a3)));
                const float d = wd[r][i] * ad[t][i];
                if (Total) {
                    total[r][t] += d * float(i32x4_hsum(s));
                    continue;
                }
                acc[r][t] = wasm_f32x4_add(acc[r][t], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
                if (Affine) summs[r][t] += wm[r][i] * as[t][i];
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) {
            const float v = Total ? total[r][t] : f32x4_hsum(acc[r][t]);
            y[size_t(t0 + t) * y_stride + size_t(y_row0 + r)] = Affine ? v + summs[r][t] : v;
        }
    }
}

template <int R, bool Affine, bool Total = false>
inline void block32_tile_tokens(int64_t n, const Block32Rows& W, int64_t r0, const Block32Rows& A, int64_t t0,
                                int64_t nt, float* y, size_t y_stride, int64_t y_row0) {
    switch (nt) {
        case 1: block32_tile<R, 1, Affine, Total>(n, W, r0, A, t0, y, y_stride, y_row0); break;
        case 2: block32_tile<R, 2, Affine, Total>(n, W, r0, A, t0, y, y_stride, y_row0); break;
        case 3: block32_tile<R, 3, Affine, Total>(n, W, r0, A, t0, y, y_stride, y_row0); break;
        default: block32_tile<R, 4, Affine, Total>(n, W, r0, A, t0, y, y_stride, y_row0); break;
    }
}

// Rows per tile, tuned per target (pp256 on synth512-q4_0): V8's register
// allocation favours 3 rows x 4 tokens (+8 % over 4 x 4 in Node), native
// SSE4.1 code 4 x 4 (+4 % over 3 x 4).
#if defined(__wasm_simd128__)
constexpr int kTileRows = 3;
#else
constexpr int kTileRows = 4;
#endif

// UnpackRows(w, row_bytes, rows, n, out) writes rows weight rows to int16.
// UnpackActs does the same for the activation rows (Q8_0 or Q8_1).
template <bool Affine, class UnpackRows, class UnpackActs, bool Total = false>
void gemm_block32(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                  int64_t n_tokens, float* y, size_t y_stride, UnpackRows unpack_rows, UnpackActs unpack_acts) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    static thread_local Block32Rows acts, panel;
    static thread_local PreparedActivations held;
    held.prepare(a, a_row_bytes, n_tokens, n, 0, [&] {
        acts.resize(size_t(n_tokens), n);
        unpack_acts(a, a_row_bytes, n_tokens, n, acts);
    });
    // A panel of int16 rows of about 16 KB stays in L1 while every token tile
    // passes over it.
    // A whole number of tiles, so no panel ends in a narrower tile (3-row
    // wasm tiles on 16-row panels left a 1-row tile per panel).
    const int64_t panel_rows =
        std::max<int64_t>(kTileRows, (8192 / std::max<int64_t>(n, 1)) / kTileRows * kTileRows);
    panel.resize(size_t(panel_rows), n);
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = std::min(panel_rows, n_rows - p0);
        unpack_rows(wb + size_t(p0) * w_row_bytes, w_row_bytes, pr, n, panel);
        for (int64_t t0 = 0; t0 < n_tokens; t0 += 4) {
            const int64_t nt = std::min<int64_t>(4, n_tokens - t0);
            int64_t r = 0;
            for (; r + kTileRows <= pr; r += kTileRows) {
                block32_tile_tokens<kTileRows, Affine, Total>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r);
            }
            switch (pr - r) {
                case 1: block32_tile_tokens<1, Affine, Total>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r); break;
                case 2: block32_tile_tokens<2, Affine, Total>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r); break;
                case 3: block32_tile_tokens<3, Affine, Total>(n, panel, r, acts, t0, nt, y, y_stride, p0 + r); break;
                default: break;
            }
        }
    }
}

}  // namespace quantlab::simd
