// SIMD128 kernels of IQ4_NL and IQ4_XS (see formats/ref/iq_quants_ref.cpp for
// the algorithms; these must reproduce them exactly).
//
// The scale search is where the time goes. Its nearest-level lookup runs on
// eight values per vector: the level index is the number of midpoints between
// table neighbours that 2x reaches, counted with int16 compares, and the level
// value then comes from one byte swizzle of the 16-entry table. The weighted
// sums that rank candidate scales stay strictly sequential float additions,
// because their rounding decides ties exactly as in ggml.
#include "formats/simd128/iq_quants_simd128.h"

#include <cmath>
#include <cstring>

#include "formats/block_types.h"
#include "formats/ref/iq_quants_ref.h"
#include "formats/simd128/simd128.h"

// Natively, SIMDe emulates i8x16.swizzle with a loop carrying a vectorize
// hint that clang cannot honour for baseline x86-64, and -Wpass-failed would
// then fail a -Werror build. The emulation stays correct; wasm builds use the
// real instruction.
#if defined(__clang__) && !defined(__wasm_simd128__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

namespace quantlab {

using namespace simd;

namespace {

// ggml's nearest_int; NaN gives 0 (see the reference).
inline int nearest_int(float fval) {
    const float val = fval + 12582912.0f;
    int32_t i;
    std::memcpy(&i, &val, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

constexpr float kGroupMaxEps = 1e-15f;

inline v128_t iq4_table() { return wasm_v128_load(kIq4nlValues); }

// floor(2x) as an int32 key, NaN mapped to INT32_MAX. For an integer s,
// 2x >= s exactly when floor(2x) >= s, and the saturating conversions keep
// the order of out-of-range values; NaN must land on the top level because
// the reference's binary search sends it there.
inline v128_t midpoint_key(v128_t x) {
    const v128_t x2 = wasm_f32x4_add(x, x);
    const v128_t k = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_floor(x2));
    const v128_t is_nan = wasm_f32x4_ne(x2, x2);
    return wasm_v128_bitselect(wasm_i32x4_splat(INT32_MAX), k, is_nan);
}

// Nearest-level indices (0..15) of 8 values, as best_index_int8 picks them
// (an exact midpoint goes up): count the neighbour sums val[k-1] + val[k]
// that 2x reaches.
inline v128_t best_index8(v128_t a, v128_t b) {
    const v128_t key = wasm_i16x8_narrow_i32x4(midpoint_key(a), midpoint_key(b));
    v128_t idx = wasm_i16x8_splat(0);
    for (int k = 1; k < 16; ++k) {
        const v128_t s = wasm_i16x8_splat(int16_t(kIq4nlValues[k - 1] + kIq4nlValues[k]));
        idx = wasm_i16x8_sub(idx, wasm_i16x8_ge(key, s));
    }
    return idx;
}

// Indices of 32 values scaled by id: bytes 0..15 of out[0] for values 0..15,
// of out[1] for values 16..31.
inline void block_indices(const v128_t* v, float id, v128_t* out) {
    const v128_t vid = wasm_f32x4_splat(id);
    for (int h = 0; h < 2; ++h) {
        const v128_t* vh = v + 4 * h;
        const v128_t i0 = best_index8(wasm_f32x4_mul(vid, vh[0]), wasm_f32x4_mul(vid, vh[1]));
        const v128_t i1 = best_index8(wasm_f32x4_mul(vid, vh[2]), wasm_f32x4_mul(vid, vh[3]));
        out[h] = wasm_u8x16_narrow_i16x8(i0, i1);
    }
}

// The table with 128 added to every level (the sign bit flipped), so a swizzle
// yields unsigned bytes ready for the float conversion below.
inline v128_t iq4_table_biased() { return wasm_v128_xor(iq4_table(), wasm_i8x16_splat(-128)); }

// Sixteen unsigned bytes as float(b[j]) - 128 in four vectors: zero-extended
// into the low mantissa bits of 2^23 each reads as 2^23 + b exactly, and
// 2^23 + 128 is subtracted exactly.
inline void biased_bytes_to_f32(v128_t b, v128_t* f) {
    const v128_t magic = wasm_i32x4_splat(0x4B000000);
    const v128_t off = wasm_f32x4_splat(8388608.0f + 128.0f);
    const v128_t lo = wasm_u16x8_extend_low_u8x16(b);
    const v128_t hi = wasm_u16x8_extend_high_u8x16(b);
    f[0] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_low_u16x8(lo), magic), off);
    f[1] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_high_u16x8(lo), magic), off);
    f[2] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_low_u16x8(hi), magic), off);
    f[3] = wasm_f32x4_sub(wasm_v128_or(wasm_u32x4_extend_high_u16x8(hi), magic), off);
}

// Level values of 16 indices as four float vectors.
inline void levels_f32(v128_t idx_bytes, v128_t* q) {
    biased_bytes_to_f32(wasm_i8x16_swizzle(iq4_table_biased(), idx_bytes), q);
}

// sum w*q*x and sum w*q*q over a block in index order, each product formed
// as (w*q)*x like the reference, so the sums round identically.
inline void weighted_sums(const v128_t* v, const v128_t* w, const v128_t* idx, float* sumqx_out, float* sumq2_out) {
    alignas(16) float pqx[32];
    alignas(16) float pq2[32];
    for (int h = 0; h < 2; ++h) {
        v128_t q[4];
        levels_f32(idx[h], q);
        for (int k = 0; k < 4; ++k) {
            const v128_t wq = wasm_f32x4_mul(w[4 * h + k], q[k]);
            wasm_v128_store(pqx + 16 * h + 4 * k, wasm_f32x4_mul(wq, v[4 * h + k]));
            wasm_v128_store(pq2 + 16 * h + 4 * k, wasm_f32x4_mul(wq, q[k]));
        }
    }
    float sumqx = 0.0f, sumq2 = 0.0f;
    for (int j = 0; j < 32; ++j) {
        sumqx += pqx[j];
        sumq2 += pq2[j];
    }
    *sumqx_out = sumqx;
    *sumq2_out = sumq2;
}

// The weighted sums of up to 16 candidate inverse scales at once: lane c of
// ids[g] / sqx[g] / sq2[g] is candidate 4g + c. Each lane accumulates over the
// 32 values in index order, so every lane's sums round exactly like the
// reference's scalar loop, and the 16 chains run side by side.
inline void candidate_sums16(const float* xb, const float* w, const v128_t* ids, v128_t* sqx, v128_t* sq2) {
    for (int g = 0; g < 4; ++g) sqx[g] = sq2[g] = wasm_f32x4_splat(0.0f);
    for (int j = 0; j < 32; ++j) {
        const v128_t xj = wasm_v128_load32_splat(xb + j);
        const v128_t wj = wasm_v128_load32_splat(w + j);
        const v128_t i01 = best_index8(wasm_f32x4_mul(ids[0], xj), wasm_f32x4_mul(ids[1], xj));
        const v128_t i23 = best_index8(wasm_f32x4_mul(ids[2], xj), wasm_f32x4_mul(ids[3], xj));
        v128_t q[4];
        levels_f32(wasm_u8x16_narrow_i16x8(i01, i23), q);
        for (int g = 0; g < 4; ++g) {
            const v128_t wq = wasm_f32x4_mul(wj, q[g]);
            sqx[g] = wasm_f32x4_add(sqx[g], wasm_f32x4_mul(wq, xj));
            sq2[g] = wasm_f32x4_add(sq2[g], wasm_f32x4_mul(wq, q[g]));
        }
    }
}

inline float signed_absmax32(const float* xb, const v128_t* v) {
    v128_t a = wasm_f32x4_abs(v[0]);
    for (int k = 1; k < 8; ++k) a = wasm_f32x4_max(a, wasm_f32x4_abs(v[k]));
    const float amax = f32x4_hmax(a);
    if (amax == 0.0f) return 0.0f;
    const v128_t va = wasm_f32x4_splat(amax);
    for (int k = 0; k < 8; ++k) {
        const int m = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_f32x4_abs(v[k]), va));
        if (m) return xb[4 * k + __builtin_ctz(unsigned(m))];
    }
    return amax;
}

// SIMD twin of the reference quantize_iq4_impl (ggml quantize_row_iq4_nl_impl);
// L holds the packed indices of the previous call for IQ4_NL's ntry <= 0
// all-zero-block case, two vectors per 32 values.
void quantize_iq4_impl_simd(int super_block_size, const float* x, ggml_half* dh, uint8_t* q4, uint16_t* scales_h,
                            uint8_t* scales_l, float* scales, v128_t* L, const float* quant_weights, int ntry) {
    const int8_t* values = kIq4nlValues;
    const int nblocks = super_block_size / 32;

    float sigma2 = 0.0f;
    for (int j = 0; j < super_block_size; ++j) sigma2 += x[j] * x[j];
    sigma2 *= 2.0f / float(super_block_size);
    const v128_t vsigma2 = wasm_f32x4_splat(sigma2);

    float max_scale = 0.0f, amax_scale = 0.0f;
    for (int ib = 0; ib < nblocks; ++ib) {
        const float* xb = x + 32 * ib;
        v128_t v[8], w[8];
        for (int k = 0; k < 8; ++k) v[k] = wasm_v128_load(xb + 4 * k);
        if (quant_weights) {
            const float* qw = quant_weights + 32 * ib;
            for (int k = 0; k < 8; ++k) {
                const v128_t s = wasm_f32x4_sqrt(wasm_f32x4_add(vsigma2, wasm_f32x4_mul(v[k], v[k])));
                w[k] = wasm_f32x4_mul(wasm_v128_load(qw + 4 * k), s);
            }
        } else {
            for (int k = 0; k < 8; ++k) w[k] = wasm_f32x4_mul(v[k], v[k]);
        }
        const float max = signed_absmax32(xb, v);
        if (std::fabs(max) < kGroupMaxEps) {
            scales[ib] = 0.0f;
            continue;
        }
        float d = ntry > 0 ? -max / float(values[0]) : max / float(values[0]);
        if (ntry > 0 && ntry <= 7) {
            // The first-pass scale and the 2*ntry+1 trial scales are candidates
            // 0 .. 2*ntry+1 of one lane-parallel pass (spare lanes repeat
            // candidate 0); only the choice among them is sequential, in the
            // reference's order with its strict comparison.
            alignas(16) float ids[16], wj[32], sx[16], s2[16];
            ids[0] = 1.0f / d;
            for (int c = 1; c < 16; ++c) ids[c] = c <= 2 * ntry + 1 ? float(c - 1 - ntry + values[0]) / max : ids[0];
            for (int k = 0; k < 8; ++k) wasm_v128_store(wj + 4 * k, w[k]);
            v128_t vid[4], vsx[4], vs2[4];
            for (int g = 0; g < 4; ++g) vid[g] = wasm_v128_load(ids + 4 * g);
            candidate_sums16(xb, wj, vid, vsx, vs2);
            for (int g = 0; g < 4; ++g) {
                wasm_v128_store(sx + 4 * g, vsx[g]);
                wasm_v128_store(s2 + 4 * g, vs2[g]);
            }
            d = sx[0] / s2[0];
            float best = d * sx[0];
            for (int c = 1; c <= 2 * ntry + 1; ++c) {
                if (s2[c] > 0.0f && sx[c] * sx[c] > best * s2[c]) {
                    d = sx[c] / s2[c];
                    best = d * sx[c];
                }
            }
        } else {
            // Without a search (ggml's reference row quantizer) the first
            // pass's indices are the result, so keep them.
            float sumqx, sumq2;
            block_indices(v, 1.0f / d, L + 2 * ib);
            weighted_sums(v, w, L + 2 * ib, &sumqx, &sumq2);
            d = sumqx / sumq2;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry) {
                const float id = float(itry + values[0]) / max;
                v128_t idx[2];
                block_indices(v, id, idx);
                weighted_sums(v, w, idx, &sumqx, &sumq2);
                if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
        }
        scales[ib] = d;
        const float abs_d = std::fabs(d);
        if (abs_d > amax_scale) {
            amax_scale = abs_d;
            max_scale = d;
        }
    }

    if (nblocks > 1) {
        *scales_h = 0;
        const float d = -max_scale / 32.0f;
        *dh = fp32_to_fp16(d);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int ib = 0; ib < nblocks; ++ib) {
            int l = nearest_int(id * scales[ib]);
            l = l < -32 ? -32 : (l > 31 ? 31 : l);
            const float dl = d * float(l);
            const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
            v128_t v[8];
            for (int k = 0; k < 8; ++k) v[k] = wasm_v128_load(x + 32 * ib + 4 * k);
            block_indices(v, idl, L + 2 * ib);
            l += 32;
            const uint8_t l_l = uint8_t(l & 0xf);
            const uint8_t l_h = uint8_t(l >> 4);
            if (ib % 2 == 0) scales_l[ib / 2] = l_l;
            else scales_l[ib / 2] |= uint8_t(l_l << 4);
            *scales_h |= uint16_t(l_h << 2 * (ib % 8));
        }
    } else {
        *dh = fp32_to_fp16(scales[0]);
        if (ntry > 0) {
            const float id = scales[0] != 0.0f ? 1.0f / scales[0] : 0.0f;
            v128_t v[8];
            for (int k = 0; k < 8; ++k) v[k] = wasm_v128_load(x + 4 * k);
            block_indices(v, id, L);
        }
    }

    for (int ib = 0; ib < nblocks; ++ib) {
        wasm_v128_store(q4 + 16 * ib, wasm_v128_or(L[2 * ib], wasm_i8x16_shl(L[2 * ib + 1], 4)));
    }
}

// Sum over 32 pairs of (table level of a nibble) * (int8 activation) into
// four int32 lanes: lo nibbles pair with y0, hi nibbles with y1. |level| <= 127
// and |y| <= 128, so two products fit int16 before the pairwise widening.
inline v128_t iq4_dot32(v128_t table, v128_t qs, v128_t y0, v128_t y1) {
    const v128_t xl = wasm_i8x16_swizzle(table, wasm_v128_and(qs, wasm_i8x16_splat(0x0F)));
    const v128_t xh = wasm_i8x16_swizzle(table, wasm_u8x16_shr(qs, 4));
    const v128_t pl = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(xl, y0), wasm_i16x8_extmul_high_i8x16(xl, y0));
    const v128_t ph = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(xh, y1), wasm_i16x8_extmul_high_i8x16(xh, y1));
    return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(pl), wasm_i32x4_extadd_pairwise_i16x8(ph));
}

// y[0..15] = d * level for sixteen biased level bytes (one rounding, as the
// reference's multiply of the exact float level).
inline void store_levels_scaled(float* y, v128_t biased_vals, v128_t d) {
    v128_t f[4];
    biased_bytes_to_f32(biased_vals, f);
    for (int k = 0; k < 4; ++k) wasm_v128_store(y + 4 * k, wasm_f32x4_mul(d, f[k]));
}

}  // namespace

// ---------------------------------------------------------------- IQ4_NL
void quantize_row_iq4_nl_simd128(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_iq4_nl*>(vy);
    const int64_t nb = k / QK4_NL;
    v128_t L[2] = {wasm_i8x16_splat(0), wasm_i8x16_splat(0)};  // carried over like the reference's
    float scale;
    for (int64_t ib = 0; ib < nb; ++ib) {
        quantize_iq4_impl_simd(QK4_NL, x + QK4_NL * ib, &y[ib].d, y[ib].qs, nullptr, nullptr, &scale, L, nullptr,
                               -1);
    }
}

size_t quantize_iq4_nl_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    const int64_t nb = n_per_row / QK4_NL;
    auto* y = static_cast<block_iq4_nl*>(dst);
    v128_t L[2];
    float scale;
    for (int64_t row = 0; row < nrows; ++row) {
        const float* x = src + row * n_per_row;
        block_iq4_nl* yr = y + row * nb;
        for (int64_t ib = 0; ib < nb; ++ib) {
            const float* qw = imatrix ? imatrix + QK4_NL * ib : nullptr;
            quantize_iq4_impl_simd(QK4_NL, x + QK4_NL * ib, &yr[ib].d, yr[ib].qs, nullptr, nullptr, &scale, L, qw,
                                   7);
            if (std::isnan(scale)) {
                // Same deliberate deviation from ggml as the reference: a block
                // with all-zero importance is quantized without the imatrix.
                quantize_iq4_impl_simd(QK4_NL, x + QK4_NL * ib, &yr[ib].d, yr[ib].qs, nullptr, nullptr, &scale, L,
                                       nullptr, 7);
            }
        }
    }
    return size_t(nrows * nb) * sizeof(block_iq4_nl);
}

void dequantize_row_iq4_nl_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq4_nl*>(vx);
    const int64_t nb = k / QK4_NL;
    const v128_t table = iq4_table_biased();
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t d = wasm_f32x4_splat(fp16_to_fp32(x[i].d));
        const v128_t q = wasm_v128_load(x[i].qs);
        store_levels_scaled(y + i * QK4_NL, wasm_i8x16_swizzle(table, wasm_v128_and(q, m4)), d);
        store_levels_scaled(y + i * QK4_NL + 16, wasm_i8x16_swizzle(table, wasm_u8x16_shr(q, 4)), d);
    }
}

float vec_dot_iq4_nl_q8_0_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_iq4_nl*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK4_NL;
    const v128_t table = iq4_table();
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        const v128_t s = iq4_dot32(table, wasm_v128_load(x[i].qs), wasm_v128_load(y[i].qs),
                                   wasm_v128_load(y[i].qs + 16));
        const float d = f16[y[i].d] * f16[x[i].d];
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

// ---------------------------------------------------------------- IQ4_XS
size_t quantize_iq4_xs_simd128(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    const int64_t nb = n_per_row / QK_K;
    auto* y = static_cast<block_iq4_xs*>(dst);
    v128_t L[QK_K / 16];
    float scales[QK_K / 32];
    for (int64_t row = 0; row < nrows; ++row) {
        const float* x = src + row * n_per_row;
        block_iq4_xs* yr = y + row * nb;
        for (int64_t ibl = 0; ibl < nb; ++ibl) {
            const float* qw = imatrix ? imatrix + QK_K * ibl : nullptr;
            quantize_iq4_impl_simd(QK_K, x + QK_K * ibl, &yr[ibl].d, yr[ibl].qs, &yr[ibl].scales_h,
                                   yr[ibl].scales_l, scales, L, qw, 7);
        }
    }
    return size_t(nrows * nb) * sizeof(block_iq4_xs);
}

void quantize_row_iq4_xs_simd128(const float* x, void* y, int64_t k) { quantize_iq4_xs_simd128(x, y, 1, k, nullptr); }

void dequantize_row_iq4_xs_simd128(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_iq4_xs*>(vx);
    const int64_t nb = k / QK_K;
    const v128_t table = iq4_table_biased();
    const v128_t m4 = wasm_i8x16_splat(0x0F);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = ((x[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((x[i].scales_h >> 2 * ib) & 3) << 4);
            const v128_t dl = wasm_f32x4_splat(d * float(ls - 32));
            const v128_t q = wasm_v128_load(x[i].qs + 16 * ib);
            float* yb = y + i * QK_K + 32 * ib;
            store_levels_scaled(yb, wasm_i8x16_swizzle(table, wasm_v128_and(q, m4)), dl);
            store_levels_scaled(yb + 16, wasm_i8x16_swizzle(table, wasm_u8x16_shr(q, 4)), dl);
        }
    }
}

float vec_dot_iq4_xs_q8_K_simd128(int64_t n, const void* vx, const void* vy) {
    const float* f16 = fp16_to_fp32_table();
    const auto* x = static_cast<const block_iq4_xs*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    const int64_t nb = n / QK_K;
    const v128_t table = iq4_table();
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int64_t i = 0; i < nb; ++i) {
        // Sub-block scales applied in int32: |sum| <= 8 * 32 * 32 * 127 * 128,
        // well inside int32, and exact where ggml rounds per sub-block.
        v128_t sumi = wasm_i32x4_splat(0);
        const uint16_t h = x[i].scales_h;
        for (int ib = 0; ib < QK_K / 32; ++ib) {
            const int ls = ((x[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((h >> 2 * ib) & 3) << 4);
            const int8_t* q8 = y[i].qs + 32 * ib;
            const v128_t s = iq4_dot32(table, wasm_v128_load(x[i].qs + 16 * ib), wasm_v128_load(q8),
                                       wasm_v128_load(q8 + 16));
            sumi = wasm_i32x4_add(sumi, wasm_i32x4_mul(s, wasm_i32x4_splat(ls - 32)));
        }
        const float d = f16[x[i].d] * y[i].d;
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), wasm_f32x4_splat(d)));
    }
    return f32x4_hsum(acc);
}

}  // namespace quantlab
