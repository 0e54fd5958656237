// SIMD128 kernels of IQ1_S and IQ1_M.
//
// Quantize: the reference's driver (formats/ref/iq1_search.h) with the split
// search vectorised across candidates. Four upper boundaries i2 are
// evaluated at once, each lane doing exactly the reference's float
// operations for its candidate (split_s_sums / split_m_sums, in the same
// order, no fused operations); the candidates' comparisons are then replayed
// one by one in ggml's order, but only for a vector that holds a candidate
// that beats the current best: while the best does not change every
// comparison is against the same best_score, so a vector whose lanes all
// fail changes nothing, and skipping it is exact. The bytes are the
// reference's (tests/formats/test_simd128_matches_ref.cpp, the libggml golden
// files on every variant).
//
// Dequantize: d * ls * (g + delta) per value, the reference's two float
// operations, eight values per grid point pair.
//
// vec_dot with Q8_K: the super-block unpacked to int16 (iq1_unpack_simd128.h)
// and dotted in four int32 lanes, acc += float(sumi) * (d_a * d_w / 8):
// the steps of the super-block gemm tile (gemm_superblock_simd128.h), so the
// gemm gives these floats bit for bit.
#include "formats/simd128/iq1_quants_simd128.h"

#include <cstring>

#include "core/error.h"
#include "formats/ref/iq1_search.h"
#include "formats/simd128/iq1_unpack_simd128.h"
#include "formats/simd128/simd128.h"
#include "formats/simd128/unpacked_superblock_dot_simd128.h"
#include "formats/type_traits.h"  // imatrix_required_message

namespace quantlab {

using namespace iq1;
using namespace simd;

namespace {

// Lanes (bits 0..3) of candidates that would replace a best of best_score:
// sumq2 > 0 and sumqx^2 > best_score * sumq2 (consider()'s test).
inline int beats(v128_t qx, v128_t q2, float best_score) {
    const v128_t ok = wasm_v128_and(wasm_f32x4_gt(q2, wasm_f32x4_splat(0.0f)),
                                    wasm_f32x4_gt(wasm_f32x4_mul(qx, qx),
                                                  wasm_f32x4_mul(wasm_f32x4_splat(best_score), q2)));
    return wasm_i32x4_bitmask(ok);
}

struct Iq1SimdSteps : RefSteps {
    // The indices sorted by value, ties in index order: what the reference's
    // std::stable_sort gives (the order is unique), by insertion, without the
    // stable sort's temporary buffer.
    static void order(const float* x, int n, int* idx) {
        for (int i = 0; i < n; ++i) {
            int j = i;
            while (j > 0 && x[i] < x[idx[j - 1]]) {
                idx[j] = idx[j - 1];
                --j;
            }
            idx[j] = i;
        }
    }

    // iq1_find_best_neighbour2 with a table: coordinate i at level l adds
    // w[i] * diff * diff, diff = scale * xg[l] - x[i], the reference's
    // operations on the same values, so each listed point's distance is the
    // reference's sum of table entries in coordinate order.
    static int neighbour(const IqLattice& lat, const uint16_t* list, const float* x, const float* w, float scale,
                         const float* xg, int8_t* L) {
        alignas(16) float t[3][8];
        const v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 4);
        const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
        for (int l = 0; l < 3; ++l) {
            const v128_t q = wasm_f32x4_splat(scale * xg[l]);
            const v128_t d0 = wasm_f32x4_sub(q, x0), d1 = wasm_f32x4_sub(q, x1);
            wasm_v128_store(t[l], wasm_f32x4_mul(wasm_f32x4_mul(w0, d0), d0));
            wasm_v128_store(t[l] + 4, wasm_f32x4_mul(wasm_f32x4_mul(w1, d1), d1));
        }
        float best_d2 = FLT_MAX;
        int best = -1;
        for (int j = 1; j <= int(list[0]); ++j) {
            const int8_t* pg = lat.point(list[j]);
            float d2 = 0;
            for (int i = 0; i < 8; ++i) d2 += t[pg[i] >> 1][i];
            if (d2 < best_d2) {
                best_d2 = d2;
                best = list[j];
            }
        }
        if (best < 0) best = neighbour_fallback(lat, list, x, w, scale, xg);
        levels_of_point(lat, best, L);
        return best;
    }

    // IQ1_S: for each i1, the candidates i2 = i1 .. 32 four at a time; per
    // i2 ggml tries x_p, then x_m.
    static Split split_s(const float* sumx, const float* sumw) {
        constexpr int n = kGroupS;
        Split best;
        float best_score = -FLT_MAX;
        alignas(16) float qx[2][4], q2[2][4];
        for (int i1 = 0; i1 <= n; ++i1) {
            int i2 = i1;
            // The terms that do not depend on i2, per level set (scalar, as the reference computes them).
            float a0[2], b0[2];
            const float* xs[2] = {kXp, kXm};
            for (int s = 0; s < 2; ++s) {
                a0[s] = (sumx[i1] - sumx[0]) * xs[s][0];
                b0[s] = (sumw[i1] - sumw[0]) * xs[s][0] * xs[s][0];
            }
            const v128_t sx1 = wasm_f32x4_splat(sumx[i1]), sw1 = wasm_f32x4_splat(sumw[i1]);
            const v128_t sxn = wasm_f32x4_splat(sumx[n]), swn = wasm_f32x4_splat(sumw[n]);
            for (; i2 + 4 <= n + 1; i2 += 4) {
                const v128_t sx2 = wasm_v128_load(sumx + i2), sw2 = wasm_v128_load(sumw + i2);
                const v128_t dx1 = wasm_f32x4_sub(sx2, sx1), dx2 = wasm_f32x4_sub(sxn, sx2);
                const v128_t dw1 = wasm_f32x4_sub(sw2, sw1), dw2 = wasm_f32x4_sub(swn, sw2);
                int any = 0;
                for (int s = 0; s < 2; ++s) {
                    const v128_t x1 = wasm_f32x4_splat(xs[s][1]), x2 = wasm_f32x4_splat(xs[s][2]);
                    const v128_t vqx = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_splat(a0[s]), wasm_f32x4_mul(dx1, x1)),
                                                      wasm_f32x4_mul(dx2, x2));
                    const v128_t vq2 = wasm_f32x4_add(
                        wasm_f32x4_add(wasm_f32x4_splat(b0[s]), wasm_f32x4_mul(wasm_f32x4_mul(dw1, x1), x1)),
                        wasm_f32x4_mul(wasm_f32x4_mul(dw2, x2), x2));
                    wasm_v128_store(qx[s], vqx);
                    wasm_v128_store(q2[s], vq2);
                    any |= beats(vqx, vq2, best_score);
                }
                if (!any) continue;
                for (int j = 0; j < 4; ++j) {
                    consider(qx[0][j], q2[0][j], i1, i2 + j, 1, best_score, best);
                    consider(qx[1][j], q2[1][j], i1, i2 + j, -1, best_score, best);
                }
            }
            for (; i2 <= n; ++i2) {
                float sqx, sq2;
                split_s_sums(sumx, sumw, i1, i2, kXp, &sqx, &sq2);
                consider(sqx, sq2, i1, i2, 1, best_score, best);
                split_s_sums(sumx, sumw, i1, i2, kXm, &sqx, &sq2);
                consider(sqx, sq2, i1, i2, -1, best_score, best);
            }
        }
        return best;
    }

    // IQ1_M: per (i1, i2) the four level-set pairs k = 0..3 of split_m_sums.
    static Split split_m(const HalfSums& hs) {
        constexpr int n = kGroupM;
        const SplitMConstants c;
        Split best;
        float best_score = -FLT_MAX;
        alignas(16) float qx[4][4], q2[4][4];
        for (int i1 = 0; i1 <= n; ++i1) {
            int i2 = i1;
            // Per half h: tx * v2 (scalar, as the reference), and the first two
            // terms of the weight sums, which do not depend on i2.
            float txp[2], txm[2], q2p0[2], q2m0[2];
            for (int h = 0; h < 2; ++h) {
                const float tx = hs.px[h][n], tw = hs.pw[h][n];
                txp[h] = tx * c.p2;
                txm[h] = tx * c.m2;
                q2p0[h] = tw * c.p2 * c.p2 + hs.pw[h][i1] * c.cp1;
                q2m0[h] = tw * c.m2 * c.m2 + hs.pw[h][i1] * c.cm1;
            }
            for (; i2 + 4 <= n + 1; i2 += 4) {
                v128_t qxp[2], qxm[2], q2p[2], q2m[2];
                for (int h = 0; h < 2; ++h) {
                    const v128_t sx = wasm_f32x4_add(wasm_f32x4_splat(hs.px[h][i1]), wasm_v128_load(hs.px[h] + i2));
                    const v128_t pw2 = wasm_v128_load(hs.pw[h] + i2);
                    qxp[h] = wasm_f32x4_sub(wasm_f32x4_splat(txp[h]), sx);
                    qxm[h] = wasm_f32x4_sub(wasm_f32x4_splat(txm[h]), sx);
                    q2p[h] = wasm_f32x4_add(wasm_f32x4_splat(q2p0[h]), wasm_f32x4_mul(pw2, wasm_f32x4_splat(c.cp2)));
                    q2m[h] = wasm_f32x4_add(wasm_f32x4_splat(q2m0[h]), wasm_f32x4_mul(pw2, wasm_f32x4_splat(c.cm2)));
                }
                const v128_t vqx[4] = {wasm_f32x4_add(qxp[0], qxp[1]), wasm_f32x4_add(qxp[0], qxm[1]),
                                       wasm_f32x4_add(qxm[0], qxp[1]), wasm_f32x4_add(qxm[0], qxm[1])};
                const v128_t vq2[4] = {wasm_f32x4_add(q2p[0], q2p[1]), wasm_f32x4_add(q2p[0], q2m[1]),
                                       wasm_f32x4_add(q2m[0], q2p[1]), wasm_f32x4_add(q2m[0], q2m[1])};
                int any = 0;
                for (int k = 0; k < 4; ++k) {
                    wasm_v128_store(qx[k], vqx[k]);
                    wasm_v128_store(q2[k], vq2[k]);
                    any |= beats(vqx[k], vq2[k], best_score);
                }
                if (!any) continue;
                for (int j = 0; j < 4; ++j) {
                    for (int k = 0; k < 4; ++k) consider(qx[k][j], q2[k][j], i1, i2 + j, k, best_score, best);
                }
            }
            for (; i2 <= n; ++i2) {
                float sqx[4], sq2[4];
                split_m_sums(hs, i1, i2, sqx, sq2);
                for (int k = 0; k < 4; ++k) consider(sqx[k], sq2[k], i1, i2, k, best_score, best);
            }
        }
        return best;
    }
};

template <class Block>
float vec_dot_iq1_simd(int64_t n, const void* vx, const void* vy, const int16_t* a16) {
    return vec_dot_unpacked_superblocks_simd128<Block>(
        n, vx, vy, a16, [](const Block& b, int16_t* w) { unpack_iq1_superblock(b, w); },
        [](const Block& b) { return iq1_unpacked_d(b); });
}

// Eight values dl * (g + delta) of grid point g: the reference's float steps.
inline void dequantize_point(int g, float dl, float delta, float* y) {
    const v128_t p = wasm_i64x2_splat(int64_t(kIq1sGrid[g]));
    const v128_t w16 = wasm_i16x8_extend_low_i8x16(p);
    const v128_t vd = wasm_f32x4_splat(delta), vl = wasm_f32x4_splat(dl);
    const v128_t lo = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w16));
    const v128_t hi = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w16));
    wasm_v128_store(y, wasm_f32x4_mul(vl, wasm_f32x4_add(lo, vd)));
    wasm_v128_store(y + 4, wasm_f32x4_mul(vl, wasm_f32x4_add(hi, vd)));
}

}  // namespace

size_t quantize_iq1_s_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    if (imatrix == nullptr) throw Error(ErrorCode::InvalidArgument, imatrix_required_message("iq1_s"));
    return quantize_rows<block_iq1_s>(src, dst, nrows, n_per_row, imatrix, quantize_row_iq1_s<Iq1SimdSteps>);
}

size_t quantize_iq1_m_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_rows<block_iq1_m>(src, dst, nrows, n_per_row, imatrix, quantize_row_iq1_m<Iq1SimdSteps>);
}

void dequantize_row_iq1_s_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq1_s*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const unsigned qh = x[i].qh[ib];
            const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
            const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
            const uint8_t* qs = x[i].qs + 4 * ib;
            for (int l = 0; l < 4; ++l) {
                dequantize_point(qs[l] | int((qh >> (3 * l)) & 7) << 8, dl, delta, y);
                y += 8;
            }
        }
    }
}

void dequantize_row_iq1_m_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq1_m*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i) {
        const float d = iq1m_scale(x[i]);
        uint16_t sc[4];
        std::memcpy(sc, x[i].scales, sizeof sc);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const unsigned s = sc[ib / 2] >> (6 * (ib % 2));
            const float dl[2] = {d * float(2 * (s & 7) + 1), d * float(2 * ((s >> 3) & 7) + 1)};
            const uint8_t* qs = x[i].qs + 4 * ib;
            for (int l = 0; l < 4; ++l) {
                const unsigned nib = unsigned(x[i].qh[2 * ib + l / 2]) >> (4 * (l % 2));
                dequantize_point(qs[l] | int(nib & 7) << 8, dl[l / 2], nib & 8 ? -kIq1Delta : kIq1Delta, y);
                y += 8;
            }
        }
    }
}

float vec_dot_iq1_s_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq1_simd<block_iq1_s>(n, x, y, nullptr);
}
float vec_dot_iq1_m_q8_K_simd128(int64_t n, const void* x, const void* y) {
    return vec_dot_iq1_simd<block_iq1_m>(n, x, y, nullptr);
}
float vec_dot_iq1_s_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq1_simd<block_iq1_s>(n, x, y, y16);
}
float vec_dot_iq1_m_q8_K_wide_simd128(int64_t n, const void* x, const void* y, const int16_t* y16) {
    return vec_dot_iq1_simd<block_iq1_m>(n, x, y, y16);
}

}  // namespace quantlab
