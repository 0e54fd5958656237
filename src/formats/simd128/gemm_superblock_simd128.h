// The matrix-multiply loop shared by the 256-value super-block formats that
// pair with Q8_K activations (Q2_K .. Q6_K, IQ4_XS, TQ1_0, TQ2_0). Each format only says
// how to unpack one super-block (k_quants_gemm_simd128.cpp,
// iq_quants_gemm_simd128.cpp); this loop does the rest, in the shape of
// gemm_block32_simd128.h:
//
//   1. Activations: every token's Q8_K row is widened once to int16, with its
//      float d and its 16 bsums.
//   2. Weights: a panel of rows small enough to stay in L1 is unpacked to
//      int16 values ALREADY MULTIPLIED by their sub-block scale, plus the
//      float d (and dmin) and 16 int16 of per-sub-block data for the
//      bsums term (mins, or Q6_K's scales).
//   3. A tile of up to 4 rows x 2 tokens sums a whole super-block in int32
//      registers (each weight vector meets 2 tokens, each activation vector
//      4 rows), then applies the format's float steps.
//
// Bit-exactness with the format's vec_dot: those vec_dots form products of
// 16 weights with 16 activations (extmul, pairs added in int16 without
// overflow), fold them into four int32 lanes, lane j holding positions
// {2j, 2j+1, 2j+8, 2j+9} of the group, multiply by the sub-block scale in
// int32 and add all groups of the super-block into one i32x4 "sumi". So lane
// j of sumi is the exact sum over positions p = 2j, 2j+1 (mod 8) of
// scale(p) * q(p) * a(p). i32x4.dot_i16x8 of the pre-scaled int16 weights
// with the int16 activations, eight positions at a time, adds exactly the
// same products into the same lanes (|scale * q| <= 8064 and |a| <= 128, so
// every product and pair fits int32). The bsums term (the mins of
// Q2_K/Q4_K/Q5_K, Q6_K's "-32") is computed with the vec_dot's own
// dot_i16x8 on the same vectors. Integer sums are exact (and wrap the same
// way if they ever did), so every int32 lane equals the vec_dot's, and the
// float steps that follow are the same operations in the same order:
//   acc  += float(sumi) * (d_a * d_w)          every format but BlockTotal's
//   accm += float(pm) * (d_a * dmin_w)         Q2_K, Q4_K, Q5_K
//   result = hsum(acc) [- hsum(accm)]
//   total += float(hsum(sumi)) * (d_a * d_w)   BlockTotal (TQ1_0, TQ2_0): result = total
// Results are identical, not merely close.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "formats/block_types.h"
#include "formats/prepared_activations.h"
#include "formats/simd128/simd128.h"

namespace quantlab::simd {

// How the bsums of the activations enter a super-block's result, and how
// the float steps go.
enum class SuperblockTerm {
    None,  // Q3_K, IQ4_XS: signed values, nothing else
    Mins,  // Q2_K, Q4_K, Q5_K: accm += float(dot(bsums, mins)) * (d_a * dmin)
    Q6,    // Q6_K: sumi -= dot(bsums, scales) << 5 (values stored unsigned 0..63)
    // TQ1_0, TQ2_0: signed values; the vec_dot (like ggml's scalar one) adds
    // the whole super-block into one int32 and takes one scalar float step,
    // total += float(sum) * (d_a * d_w), so the four lanes are added first.
    BlockTotal,
};

// Unpacked rows (weights or activations) of n values, nb = n / 256:
// q[n] int16 per row, d[nb] and dmin[nb] floats, aux[16 * nb] int16.
// Weights: q pre-scaled, aux = the 16 int16 that meet the bsums.
// Activations: q = the int8 values, d = Q8_K's d, aux = its bsums.
struct SuperblockRows {
    std::vector<int16_t> q, aux;
    std::vector<float> d, dmin;
    void resize(size_t rows, int64_t n) {
        const size_t nb = size_t(n / QK_K);
        if (q.size() < rows * size_t(n)) q.resize(rows * size_t(n));
        if (d.size() < rows * nb) {
            d.resize(rows * nb);
            dmin.resize(rows * nb);
            aux.resize(rows * nb * 16);
        }
    }
};

// Walks rows x super-blocks of a weight matrix, calling
// unpack(block, q16, aux16, &d, &dmin) for each super-block.
template <class Block, class UnpackBlock>
void unpack_superblock_rows(const void* w, size_t row_bytes, int64_t rows, int64_t n, SuperblockRows& out,
                            UnpackBlock unpack) {
    const int64_t nb = n / QK_K;
    for (int64_t r = 0; r < rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(static_cast<const uint8_t*>(w) + size_t(r) * row_bytes);
        const size_t o = size_t(r * nb);
        for (int64_t i = 0; i < nb; ++i) {
            unpack(b[i], out.q.data() + size_t(r * n + QK_K * i), out.aux.data() + 16 * (o + size_t(i)),
                   out.d.data() + o + size_t(i), out.dmin.data() + o + size_t(i));
        }
    }
}

// Q8_K activation rows to int16 + d + bsums.
inline void unpack_q8_K_rows(const void* a, size_t row_bytes, int64_t rows, int64_t n, SuperblockRows& out) {
    const int64_t nb = n / QK_K;
    for (int64_t t = 0; t < rows; ++t) {
        const auto* b = reinterpret_cast<const block_q8_K*>(static_cast<const uint8_t*>(a) + size_t(t) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
            int16_t* q = out.q.data() + size_t(t * n + QK_K * i);
            for (int k = 0; k < QK_K; k += 16) {
                const v128_t v = wasm_v128_load(b[i].qs + k);
                wasm_v128_store(q + k, wasm_i16x8_extend_low_i8x16(v));
                wasm_v128_store(q + k + 8, wasm_i16x8_extend_high_i8x16(v));
            }
            const size_t o = size_t(t * nb + i);
            out.d[o] = b[i].d;
            std::memcpy(out.aux.data() + 16 * o, b[i].bsums, sizeof b[i].bsums);
        }
    }
}

// Sixteen bytes (unsigned or signed) times an int16 scale, stored as two
// i16x8 at dst[0..7], dst[8..15]. Callers keep |byte * scale| < 2^15.
inline void store_u8x16_scaled(int16_t* dst, v128_t v, v128_t scale) {
    wasm_v128_store(dst, wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(v), scale));
    wasm_v128_store(dst + 8, wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(v), scale));
}

inline void store_i8x16_scaled(int16_t* dst, v128_t v, v128_t scale) {
    wasm_v128_store(dst, wasm_i16x8_mul(wasm_i16x8_extend_low_i8x16(v), scale));
    wasm_v128_store(dst + 8, wasm_i16x8_mul(wasm_i16x8_extend_high_i8x16(v), scale));
}

// The float steps after one super-block's int32 "sumi" (the header's
// comment): the bsums term on the vec_dot's own two vector pairs, then the
// format's accumulation. Shared by the SIMD128 and relaxed-SIMD tiles, so
// both apply the same operations in the same order.
// d_a, d_w, dmin_w arrive as splats: the tile loads each once per
// super-block and multiplies them in four lanes, which rounds exactly as the
// scalar d_a * d_w then splat would (and saves a multiply and a broadcast per
// row x token in V8).
template <SuperblockTerm Term>
inline void superblock_accumulate(v128_t sumi, const int16_t* bsums, const int16_t* wx, v128_t d_a, v128_t d_w,
                                  v128_t dmin_w, v128_t& acc, v128_t& accm, float& total) {
    if constexpr (Term == SuperblockTerm::BlockTotal) {
        total += float(i32x4_hsum(sumi)) * wasm_f32x4_extract_lane(wasm_f32x4_mul(d_a, d_w), 0);
        return;
    }
    if constexpr (Term != SuperblockTerm::None) {
        const v128_t b = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(bsums), wasm_v128_load(wx)),
                                        wasm_i32x4_dot_i16x8(wasm_v128_load(bsums + 8), wasm_v128_load(wx + 8)));
        if constexpr (Term == SuperblockTerm::Mins) {
            accm = wasm_f32x4_add(accm, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(b), wasm_f32x4_mul(d_a, dmin_w)));
        } else {  // Q6_K: values were stored unsigned; take back 32 * scale * bsum
            sumi = wasm_i32x4_sub(sumi, wasm_i32x4_shl(b, 5));
        }
    }
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_mul(d_a, d_w)));
}

// superblock_accumulate for every row x token of a tile after super-block i
// (Rows: SuperblockRows or the relaxed SuperblockBytesRows).
template <SuperblockTerm Term, int R, int T, class Rows>
inline void superblock_accumulate_tile(v128_t (&s)[R][T], const Rows& W, int64_t r0, const Rows& A, int64_t t0,
                                       int64_t nb, int64_t i, v128_t (&acc)[R][T], v128_t (&accm)[R][T],
                                       float (&total)[R][T]) {
    v128_t da[T];
    for (int t = 0; t < T; ++t) da[t] = wasm_v128_load32_splat(&A.d[size_t((t0 + t) * nb + i)]);
    for (int r = 0; r < R; ++r) {
        const size_t wo = size_t((r0 + r) * nb + i);
        const v128_t dw = wasm_v128_load32_splat(&W.d[wo]);
        const v128_t dmin = wasm_v128_load32_splat(&W.dmin[wo]);
        for (int t = 0; t < T; ++t) {
            const size_t ao = size_t((t0 + t) * nb + i);
            superblock_accumulate<Term>(s[r][t], A.aux.data() + 16 * ao, W.aux.data() + 16 * wo, da[t], dw, dmin,
                                        acc[r][t], accm[r][t], total[r][t]);
        }
    }
}

template <SuperblockTerm Term>
inline float superblock_result(v128_t acc, v128_t accm, float total) {
    if constexpr (Term == SuperblockTerm::BlockTotal) return total;
    if constexpr (Term == SuperblockTerm::Mins) return f32x4_hsum(acc) - f32x4_hsum(accm);
    return f32x4_hsum(acc);
}

// Writes a tile's results: y[(t0 + t) * y_stride + y_row0 + r]. Four rows
// of a token are adjacent in y, so a 4-row tile sums them horizontally
// together (f32x4_hsum4, the same bits) and stores them at once: with
// 512-value rows a tile runs only two super-blocks, and the per-pair sums
// and stores were a noticeable share of it.
template <SuperblockTerm Term, int R, int T>
inline void superblock_store_results(const v128_t (&acc)[R][T], const v128_t (&accm)[R][T], const float (&total)[R][T],
                                     float* y, size_t y_stride, int64_t t0, int64_t y_row0) {
    for (int t = 0; t < T; ++t) {
        float* yt = y + size_t(t0 + t) * y_stride + size_t(y_row0);
        if constexpr (R == 4 && Term != SuperblockTerm::BlockTotal) {
            v128_t v = f32x4_hsum4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]);
            if constexpr (Term == SuperblockTerm::Mins) {
                v = wasm_f32x4_sub(v, f32x4_hsum4(accm[0][t], accm[1][t], accm[2][t], accm[3][t]));
            }
            wasm_v128_store(yt, v);
        } else {
            for (int r = 0; r < R; ++r) yt[r] = superblock_result<Term>(acc[r][t], accm[r][t], total[r][t]);
        }
    }
}

// R rows x T tokens over all super-blocks. The rows start at r0 of panel W,
// the tokens at t0 of A; row r0 + r is output column y_row0 + r.
template <int R, int T, SuperblockTerm Term>
inline void superblock_tile(int64_t n, const SuperblockRows& W, int64_t r0, const SuperblockRows& A, int64_t t0,
                            float* y, size_t y_stride, int64_t y_row0) {
    const int64_t nb = n / QK_K;
    v128_t acc[R][T], accm[R][T];
    float total[R][T];
    for (int r = 0; r < R; ++r) {
        for (int t = 0; t < T; ++t) {
            acc[r][t] = accm[r][t] = wasm_f32x4_splat(0.0f);
            total[r][t] = 0.0f;
        }
    }
    for (int64_t i = 0; i < nb; ++i) {
        const int16_t* wq[R];
        const int16_t* aq[T];
        for (int r = 0; r < R; ++r) wq[r] = W.q.data() + size_t((r0 + r) * n + QK_K * i);
        for (int t = 0; t < T; ++t) aq[t] = A.q.data() + size_t((t0 + t) * n + QK_K * i);
        v128_t s[R][T];
        for (int r = 0; r < R; ++r) {
            for (int t = 0; t < T; ++t) s[r][t] = wasm_i32x4_splat(0);
        }
        // Eight positions per step; lane j of each sum gets positions 2j, 2j+1.
        for (int k = 0; k < QK_K; k += 8) {
            v128_t av[T];
            for (int t = 0; t < T; ++t) av[t] = wasm_v128_load(aq[t] + k);
            for (int r = 0; r < R; ++r) {
                const v128_t wv = wasm_v128_load(wq[r] + k);
                for (int t = 0; t < T; ++t) s[r][t] = wasm_i32x4_add(s[r][t], wasm_i32x4_dot_i16x8(wv, av[t]));
            }
        }
        superblock_accumulate_tile<Term>(s, W, r0, A, t0, nb, i, acc, accm, total);
    }
    superblock_store_results<Term>(acc, accm, total, y, y_stride, t0, y_row0);
}

// 4 x 2 keeps the eight int32 sums, two activation vectors and a weight
// vector in 16 SSE registers (SIMDe's target; V8 maps SIMD128 onto the
// same); wider tiles measured slower because the sums spill.
constexpr int kSuperblockTileRows = 4;
constexpr int kSuperblockTileTokens = 2;

// Runs the tile of R rows x nt tokens (1 <= nt <= T) with nt as a template argument.
template <int R, int T, SuperblockTerm Term>
inline void superblock_tile_tokens(int64_t n, const SuperblockRows& W, int64_t r0, const SuperblockRows& A, int64_t t0,
                                   int64_t nt, float* y, size_t y_stride, int64_t y_row0) {
    if constexpr (T > 1) {
        if (nt < T) return superblock_tile_tokens<R, T - 1, Term>(n, W, r0, A, t0, nt, y, y_stride, y_row0);
    }
    superblock_tile<R, T, Term>(n, W, r0, A, t0, y, y_stride, y_row0);
}

// The same for nr rows (1 <= nr <= R).
template <int R, SuperblockTerm Term>
inline void superblock_tile_rows(int64_t n, const SuperblockRows& W, int64_t r0, int64_t nr, const SuperblockRows& A,
                                 int64_t t0, int64_t nt, float* y, size_t y_stride, int64_t y_row0) {
    if constexpr (R > 1) {
        if (nr < R) return superblock_tile_rows<R - 1, Term>(n, W, r0, nr, A, t0, nt, y, y_stride, y_row0);
    }
    superblock_tile_tokens<R, kSuperblockTileTokens, Term>(n, W, r0, A, t0, nt, y, y_stride, y_row0);
}

// UnpackRows(w, row_bytes, rows, n, out) writes rows weight rows to a panel.
// A single token runs the format's vec_dot row by row instead (vec_dot is
// what the gemm reproduces, and unpacking rows used once does not pay). When
// the format has a "wide" vec_dot, the activation row is widened to int16
// once here instead of once per row inside vec_dot.
using WideVecDotFn = float (*)(int64_t, const void*, const void*, const int16_t*);

template <SuperblockTerm Term, class UnpackRows>
void gemm_superblock(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                     int64_t n_tokens, float* y, size_t y_stride, UnpackRows unpack_rows,
                     float (*vec_dot)(int64_t, const void*, const void*), WideVecDotFn wide_vec_dot = nullptr) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    static thread_local SuperblockRows acts, panel;
    static thread_local PreparedActivations held;
    if (n_tokens == 1) {
        const auto* wb = static_cast<const uint8_t*>(w);
        if (wide_vec_dot) {
            held.prepare(a, a_row_bytes, 1, n, 0, [&] {
                acts.resize(1, n);
                unpack_q8_K_rows(a, a_row_bytes, 1, n, acts);
            });
            for (int64_t r = 0; r < n_rows; ++r) y[r] = wide_vec_dot(n, wb + size_t(r) * w_row_bytes, a, acts.q.data());
        } else {
            for (int64_t r = 0; r < n_rows; ++r) y[r] = vec_dot(n, wb + size_t(r) * w_row_bytes, a);
        }
        return;
    }
    held.prepare(a, a_row_bytes, n_tokens, n, 0, [&] {
        acts.resize(size_t(n_tokens), n);
        unpack_q8_K_rows(a, a_row_bytes, n_tokens, n, acts);
    });
    // A panel of int16 rows of about 16 KB stays in L1 while every token tile
    // passes over it.
    constexpr int64_t RT = kSuperblockTileRows;
    const int64_t panel_rows = std::max<int64_t>(RT, (8192 / std::max<int64_t>(n, 1)) / RT * RT);
    panel.resize(size_t(panel_rows), n);
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = std::min(panel_rows, n_rows - p0);
        unpack_rows(wb + size_t(p0) * w_row_bytes, w_row_bytes, pr, n, panel);
        for (int64_t t0 = 0; t0 < n_tokens; t0 += kSuperblockTileTokens) {
            const int64_t nt = std::min<int64_t>(kSuperblockTileTokens, n_tokens - t0);
            for (int64_t r = 0; r < pr; r += RT) {
                superblock_tile_rows<RT, Term>(n, panel, r, std::min(RT, pr - r), acts, t0, nt, y, y_stride, p0 + r);
            }
        }
    }
}

}  // namespace quantlab::simd
