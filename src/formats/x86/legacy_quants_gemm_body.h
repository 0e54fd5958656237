// The gemm of the 32-value formats (Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4 with
// Q8_0 activations, Q4_1 and Q5_1 with Q8_1), written once over the x86 vector
// layer (vec_x86.h) and compiled per level by legacy_quants_gemm_<level>.cpp.
//
// Why the results equal the SIMD128 kernels bit for bit: the SIMD128 vec_dot
// and gemm of these formats (formats/simd128/gemm_block32_simd128.h) sum each
// block's products into four int32 lanes, lane j holding block positions
// P(j) = {2j, 2j+1, 2j+8, 2j+9, 16+2j, 17+2j, 24+2j, 25+2j}, then do
// acc_j += float(lane_j) * (d_w * d_a) and return (acc_0 + acc_2) + (acc_1 + acc_3)
// (plus, for Q4_1/Q5_1, the block-by-block float sum of m_w * s_a).
// Here both operands are permuted within each 16-value half so that the four
// bytes one dot_us lane sums are positions of the same P(j): two dot_us
// (positions 0..15 and 16..31) give exactly lane_j, because integer sums are
// exact in any order. Weights enter as u = w + kOffset (each lane starting
// from -kOffset * its activations' sum), or, where u could exceed 128 on a
// level without VNNI, signed (vec_x86.h). The float steps are then the same
// operations on the same values, one 128-bit group per (row, token).
// MXFP4 (kTotal): its SIMD128 kernels add each block's four lanes into one
// int32 and take one scalar step, total += (d_w * d_a) * float(sum), in
// block order; here sum_in_groups_i32 puts that sum in every lane of the
// group, so each lane does the same float steps and lane 0 is the total.
//
// Layout: a register holds V::kGroups tokens (gemm) or block i of V::kGroups
// rows (single token) x the 4 lanes. Sources for the method:
// ggml's AVX2 / AVX-512 VNNI dot products and llamafile's tinyBLAS (tiles of
// rows x tokens); the lane bookkeeping is ours.
#pragma once

#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/kernel_types.h"
#include "formats/prepared_activations.h"
#include "formats/x86/gemm_common.h"
#include "formats/ggml_type.h"
#include "formats/mxfp4_tables.h"

namespace quantlab::x86 {
namespace {
namespace legacy {

// ---- weight formats: decode<V>(blocks, &lo, &hi) puts u = w + kOffset of
// positions 0..15 / 16..31 of blocks[k] into group k of lo / hi. kMaxU is
// the largest u.

// Register r, group k = the fp16 `field` of block b[r G + k] as float, all
// lanes, for R registers. Two registers at 256 bits take one F16C conversion
// of the four halves gathered in a general register (halves_to_groups_x2).
template <class V, int R, class Block>
inline void fp16_groups(const Block* const* b, uint16_t Block::*field, typename V::F* out) {
    constexpr int G = V::kGroups;
    const uint16_t* h[R * G];
    for (int k = 0; k < R * G; ++k) h[k] = &(b[k]->*field);
    if constexpr (R == 2 && G == 2) {
        V::halves_to_groups_x2(h, out);
    } else {
        for (int r = 0; r < R; ++r) out[r] = V::halves_to_groups(h + r * G);
    }
}

// What a format has unless it says otherwise: Q8_0 activations, no minimum,
// SIMD128's lane-wise float steps, an fp16 d. F16C converts d exactly (the
// value SIMD128's fp16_to_fp32_table() holds); a lookup in that 256 KB table
// missed the cache often enough to be the single-token kernels' hot spot.
template <class B>
struct Block32 {
    using Block = B;
    using Act = block_q8_0;
    // kSignedBytes: the block's bytes are the signed weights themselves
    // (decode_signed<V> loads them; decode<V> gives u = w + 128).
    static constexpr bool kAffine = false, kTotal = false, kSignedBytes = false;
    static float d(const B& b, const float*) { return _cvtsh_ss(b.d); }
    // Register r, group k = d of block b[r G + k], all lanes.
    template <class V, int R>
    static void d_groups(const B* const* b, typename V::F* out) {
        fp16_groups<V, R>(b, &B::d, out);
    }
};

template <class V, class Block>
inline void nibbles(const Block* const* b, typename V::I* lo, typename V::I* hi) {
    const void* p[V::kGroups];
    for (int k = 0; k < V::kGroups; ++k) p[k] = b[k]->qs;
    const auto q = V::load_groups(p), m4 = V::set1_i8(0x0F);
    *lo = V::and_(q, m4);
    *hi = V::and_(V::template srli_i16<4>(q), m4);
}

// Q5_0/Q5_1's qh: bit j of block k -> 0x10 in byte j (lo: bits 0..15, hi: 16..31).
template <class V, class Block>
inline void fifth_bits(const Block* const* b, typename V::I* lo, typename V::I* hi) {
    uint32_t qh[V::kGroups];
    for (int k = 0; k < V::kGroups; ++k) std::memcpy(&qh[k], b[k]->qh, sizeof qh[k]);
    const auto all = V::set_groups_u32(qh);
    const auto bit = V::set1_i64(int64_t(0x8040201008040201ULL)), h = V::set1_i8(0x10);
    const auto bl = V::shuffle_i8(all, V::bcast128(_mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)));
    const auto bh = V::shuffle_i8(all, V::bcast128(_mm_setr_epi8(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)));
    *lo = V::select_bits_i8(bl, bit, h);
    *hi = V::select_bits_i8(bh, bit, h);
}

template <class V, class Block>
inline void five_bit(const Block* const* b, typename V::I* lo, typename V::I* hi) {
    typename V::I l, h, fl, fh;
    nibbles<V>(b, &l, &h);
    fifth_bits<V>(b, &fl, &fh);
    *lo = V::or_(l, fl);
    *hi = V::or_(h, fh);
}

struct Q8_0 : Block32<block_q8_0> {
    static constexpr GgmlType kType = GgmlType::Q8_0;
    static constexpr int kOffset = 128, kMaxU = 255;
    static constexpr bool kSignedBytes = true;
    template <class V>
    static void decode_signed(const Block* const* b, typename V::I* lo, typename V::I* hi) {
        const void* p[V::kGroups];
        for (int k = 0; k < V::kGroups; ++k) p[k] = b[k]->qs;
        V::load_halves32(p, lo, hi);
    }
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) {
        decode_signed<V>(b, lo, hi);
        const auto flip = V::set1_i8(int8_t(0x80));
        *lo = V::xor_(*lo, flip);
        *hi = V::xor_(*hi, flip);
    }
};

struct Q4_0 : Block32<block_q4_0> {
    static constexpr GgmlType kType = GgmlType::Q4_0;
    static constexpr int kOffset = 8, kMaxU = 15;  // nibble = w + 8
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) { nibbles<V>(b, lo, hi); }
};

struct Q5_0 : Block32<block_q5_0> {
    static constexpr GgmlType kType = GgmlType::Q5_0;
    static constexpr int kOffset = 16, kMaxU = 31;
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) { five_bit<V>(b, lo, hi); }
};

// Nibbles looked up in 16 levels (already offset).
template <class V, class Block>
inline void nibble_levels(const Block* const* b, __m128i levels, typename V::I* lo, typename V::I* hi) {
    typename V::I l, h;
    nibbles<V>(b, &l, &h);
    const auto table = V::bcast128(levels);
    *lo = V::shuffle_i8(table, l);
    *hi = V::shuffle_i8(table, h);
}

struct IQ4_NL : Block32<block_iq4_nl> {
    static constexpr GgmlType kType = GgmlType::IQ4_NL;
    static constexpr int kOffset = 128, kMaxU = 241;  // levels -127..113
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) {
        nibble_levels<V>(b, _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues)), _mm_set1_epi8(int8_t(0x80))),
                         lo, hi);
    }
};

// MXFP4: doubled e2m1 levels -12..12 (kMxfp4Values) per nibble, entered as
// level + 12; a power-of-two scale from the exponent byte (already halved).
struct MXFP4 : Block32<block_mxfp4> {
    static constexpr GgmlType kType = GgmlType::MXFP4;
    static constexpr int kOffset = 12, kMaxU = 24;
    static constexpr bool kTotal = true;
    static float d(const Block& b, const float*) { return mxfp4_scale_half(b.e); }
    template <class V, int R>
    static void d_groups(const Block* const* b, typename V::F* out) {
        for (int r = 0; r < R; ++r) {
            float d[V::kGroups];
            for (int k = 0; k < V::kGroups; ++k) d[k] = mxfp4_scale_half(b[r * V::kGroups + k]->e);
            out[r] = V::group_floats(d);
        }
    }
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) {
        nibble_levels<V>(b, _mm_add_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kMxfp4Values)), _mm_set1_epi8(12)),
                         lo, hi);
    }
};

// Q4_1/Q5_1: unsigned values times d plus a minimum m; they pair with Q8_1
// activations, whose s = d_a * sum(a) carries the m term
// (result = sum(acc) + sum over blocks of m * s, as the SIMD128 vec_dot).
struct Q4_1 : Block32<block_q4_1> {
    static constexpr GgmlType kType = GgmlType::Q4_1;
    using Act = block_q8_1;
    static constexpr int kOffset = 0, kMaxU = 15;
    static constexpr bool kAffine = true;
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) { nibbles<V>(b, lo, hi); }
};

struct Q5_1 : Block32<block_q5_1> {
    static constexpr GgmlType kType = GgmlType::Q5_1;
    using Act = block_q8_1;
    static constexpr int kOffset = 0, kMaxU = 31;
    static constexpr bool kAffine = true;
    template <class V>
    static void decode(const Block* const* b, typename V::I* lo, typename V::I* hi) { five_bit<V>(b, lo, hi); }
};

// The weight operands of blocks b[k] in lane-class order, as Meet<V, F>
// wants them (signed weights loaded as they are when the format stores them
// so, instead of u = w + 128 flipped back).
template <class W, class M, class F>
inline void weight_operands(const typename F::Block* const* b, typename W::I* lo, typename W::I* hi) {
    if constexpr (M::kSigned && F::kSignedBytes) {
        F::template decode_signed<W>(b, lo, hi);
        *lo = W::lane_class_order(*lo);
        *hi = W::lane_class_order(*hi);
    } else {
        F::template decode<W>(b, lo, hi);
        *lo = M::template operand<W>(W::lane_class_order(*lo));
        *hi = M::template operand<W>(W::lane_class_order(*hi));
    }
}

// ---- activations

// One block of G tokens (the single-token kernel passes the same token G times):
// permuted halves, offset corrections, scales; token k in group k.
template <int G>
struct alignas(64) ActGroup {
    int8_t a0[16 * G], a1[16 * G];
    int32_t c[4 * G];
    float d[4 * G];
    float s[4 * G];  // Q8_1's s (d * sum)
};

// -offset times the four lane-class sums of a block's 32 activations
// (permuted halves p0, p1).
inline __m128i offset_correction(__m128i p0, __m128i p1, int offset) {
    const __m128i ones8 = _mm_set1_epi8(1);
    const __m128i pairs = _mm_add_epi16(_mm_maddubs_epi16(ones8, p0), _mm_maddubs_epi16(ones8, p1));
    return _mm_mullo_epi32(_mm_madd_epi16(pairs, _mm_set1_epi16(1)), _mm_set1_epi32(-offset));
}

// Tokens in groups of G (the last padded with zero rows), blocks inner.
template <int G, class A>
ActGroup<G>* prepare_act_groups(const void* a, size_t a_row_bytes, int64_t n_tokens, int64_t nb, int offset) {
    static thread_local Scratch buf;
    static thread_local PreparedActivations held;
    const int64_t ng = (n_tokens + G - 1) / G;
    const size_t bytes = size_t(ng * nb) * sizeof(ActGroup<G>);
    held.prepare(a, a_row_bytes, n_tokens, nb, offset, [&] {
        auto* out = static_cast<ActGroup<G>*>(buf.get(bytes));
        const __m128i order = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLaneClassOrder));
        for (int64_t q = 0; q < ng; ++q) {
            for (int64_t i = 0; i < nb; ++i) {
                ActGroup<G>& o = out[q * nb + i];
                std::memset(&o, 0, sizeof o);
                for (int k = 0; k < G && G * q + k < n_tokens; ++k) {
                    const A& b = reinterpret_cast<const A*>(static_cast<const uint8_t*>(a) + size_t(G * q + k) * a_row_bytes)[i];
                    const __m128i p0 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs)), order);
                    const __m128i p1 = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16)), order);
                    _mm_storeu_si128(reinterpret_cast<__m128i*>(o.a0 + 16 * k), p0);
                    _mm_storeu_si128(reinterpret_cast<__m128i*>(o.a1 + 16 * k), p1);
                    _mm_storeu_si128(reinterpret_cast<__m128i*>(o.c + 4 * k), offset_correction(p0, p1, offset));
                    const float d = fp16_to_fp32(b.d);
                    float s = 0.0f;
                    if constexpr (sizeof(A) == sizeof(block_q8_1)) s = fp16_to_fp32(b.s);
                    for (int j = 0; j < 4; ++j) {
                        o.d[4 * k + j] = d;
                        o.s[4 * k + j] = s;
                    }
                }
            }
        }
    });
    // The rows, laid out now or by an earlier call (which sized the buffer for them).
    return static_cast<ActGroup<G>*>(buf.get(bytes));
}

// ---- gemm: a panel of rows unpacked to weight operands and float scales,
// tiles of R rows x Q token groups

// Bytes per block in a panel: the two weight operands, and where the level
// meets the format with signed weights (Meet::kSigned), their absolute values
// too, so that the tile does not recompute |w| for every block it reads.
template <class V, class F>
constexpr int kPanelBlockBytes = Meet<V, F>::kSigned ? 64 : 32;

template <class V, class F>
void unpack_panel(const void* w, size_t row_bytes, int64_t rows, int64_t nb, uint8_t* q, float* d, float* m) {
    using N = typename V::Narrow;
    using M = Meet<V, F>;
    constexpr int kBytes = kPanelBlockBytes<V, F>;
    const float* h2f = fp16_to_fp32_table();
    for (int64_t r = 0; r < rows; ++r) {
        const auto* b = reinterpret_cast<const typename F::Block*>(static_cast<const uint8_t*>(w) + size_t(r) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
            const typename F::Block* one[1] = {b + i};
            __m128i lo, hi;
            weight_operands<N, M, F>(one, &lo, &hi);
            uint8_t* o = q + size_t(r * nb + i) * kBytes;
            N::store(o, lo);
            N::store(o + 16, hi);
            if constexpr (M::kSigned) {
                N::store(o + 32, N::abs_i8(lo));
                N::store(o + 48, N::abs_i8(hi));
            }
            d[r * nb + i] = F::d(b[i], h2f);
            if constexpr (F::kAffine) m[r * nb + i] = fp16_to_fp32(b[i].m);
        }
    }
}

// The float result of each group of acc: its lanes' sum (SIMD128's f32x4
// hsum), or lane 0 where every lane holds the total (kTotal).
template <class V, class F>
inline void lane_sums(typename V::F acc, float* out) {
    if constexpr (F::kTotal) {
        float lanes[V::kFloats];
        V::store_f(lanes, acc);
        for (int k = 0; k < V::kGroups; ++k) out[k] = lanes[4 * k];
    } else {
        V::hsum_groups(acc, out);
    }
}

template <class V, class F, int R, int Q>
void tile(int64_t nb, const uint8_t* wq, const float* wd, const float* wm, const ActGroup<V::kGroups>* act, int64_t t0,
          int64_t n_tokens, float* y, size_t y_stride, int64_t y_row0) {
    constexpr int G = V::kGroups;
    using M = Meet<V, F>;
    typename V::F acc[R][Q], summs[R][Q];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < Q; ++q) acc[r][q] = summs[r][q] = V::zero_f();
    for (int64_t i = 0; i < nb; ++i) {
        typename V::I a0[Q], a1[Q], c[Q];
        typename V::F da[Q];
        for (int q = 0; q < Q; ++q) {
            const ActGroup<G>& ab = act[q * nb + i];
            a0[q] = V::load(ab.a0);
            a1[q] = V::load(ab.a1);
            c[q] = M::kOffset ? V::load(ab.c) : V::zero();
            da[q] = V::load_f(ab.d);
        }
        for (int r = 0; r < R; ++r) {
            const uint8_t* wb = wq + size_t(r * nb + i) * kPanelBlockBytes<V, F>;
            const auto w0 = V::bcast128(wb), w1 = V::bcast128(wb + 16);
            typename V::I abs0 = w0, abs1 = w1;
            if constexpr (M::kSigned) abs0 = V::bcast128(wb + 32), abs1 = V::bcast128(wb + 48);
            const auto dw = V::set1_f(wd[r * nb + i]);
            for (int q = 0; q < Q; ++q) {
                typename V::I s;
                if constexpr (M::kSigned) {
                    s = V::dot_us(V::dot_us(c[q], abs0, V::sign_i8(a0[q], w0)), abs1, V::sign_i8(a1[q], w1));
                } else {
                    s = M::template dot2<V>(c[q], w0, a0[q], w1, a1[q]);
                }
                if constexpr (F::kTotal) s = V::sum_in_groups_i32(s);
                acc[r][q] = V::add_f(acc[r][q], V::mul_f(V::cvt_f(s), V::mul_f(dw, da[q])));
                if constexpr (F::kAffine) {
                    summs[r][q] = V::add_f(summs[r][q], V::mul_f(V::set1_f(wm[r * nb + i]), V::load_f(act[q * nb + i].s)));
                }
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int q = 0; q < Q; ++q) {
            float v[G], sm[V::kFloats];
            lane_sums<V, F>(acc[r][q], v);
            V::store_f(sm, summs[r][q]);
            for (int k = 0; k < G; ++k) {
                const int64_t t = t0 + G * q + k;
                if (t < n_tokens) y[size_t(t) * y_stride + size_t(y_row0 + r)] = F::kAffine ? v[k] + sm[4 * k] : v[k];
            }
        }
    }
}

// The tile for `rows` rows (1 <= rows <= R) with rows as a template argument.
template <class V, class F, int R, int Q>
void tile_rows(int rows, int64_t nb, const uint8_t* wq, const float* wd, const float* wm, const ActGroup<V::kGroups>* act,
               int64_t t0, int64_t n_tokens, float* y, size_t y_stride, int64_t y_row0) {
    if constexpr (R > 1) {
        if (rows < R) return tile_rows<V, F, R - 1, Q>(rows, nb, wq, wd, wm, act, t0, n_tokens, y, y_stride, y_row0);
    }
    tile<V, F, R, Q>(nb, wq, wd, wm, act, t0, n_tokens, y, y_stride, y_row0);
}

template <class V, class F>
void gemm_tokens(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride) {
    constexpr int G = V::kGroups, kRows = V::kTileRows32, kGroupsPerTile = V::kTileGroups32;
    const int64_t nb = n / 32;
    const ActGroup<G>* act = prepare_act_groups<G, typename F::Act>(a, a_row_bytes, n_tokens, nb, Meet<V, F>::kOffset);
    const int64_t ng = (n_tokens + G - 1) / G;
    // A panel of about 16 KB of unpacked rows stays in L1 while every token
    // tile passes over it.
    const int64_t panel_rows = (16384 / ((kPanelBlockBytes<V, F> + 4) * nb) / kRows + 1) * kRows;
    static thread_local Scratch qbuf, dbuf, mbuf;
    auto* pq = static_cast<uint8_t*>(qbuf.get(size_t(panel_rows * nb) * kPanelBlockBytes<V, F>));
    auto* pd = static_cast<float*>(dbuf.get(size_t(panel_rows * nb) * sizeof(float)));
    auto* pm = static_cast<float*>(mbuf.get(size_t(panel_rows * nb) * sizeof(float)));
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = n_rows - p0 < panel_rows ? n_rows - p0 : panel_rows;
        unpack_panel<V, F>(wb + size_t(p0) * w_row_bytes, w_row_bytes, pr, nb, pq, pd, pm);
        // Whole tiles of kGroupsPerTile token groups, then the remaining groups one at a time.
        for (int64_t q0 = 0, step; q0 < ng; q0 += step) {
            step = ng - q0 >= kGroupsPerTile ? kGroupsPerTile : 1;
            for (int64_t r = 0; r < pr; r += kRows) {
                const int rows = int(pr - r < kRows ? pr - r : kRows);
                const uint8_t* wq = pq + size_t(r * nb) * kPanelBlockBytes<V, F>;
                const float *wd = pd + r * nb, *wm = pm + r * nb;
                if (step == kGroupsPerTile) {
                    tile_rows<V, F, kRows, kGroupsPerTile>(rows, nb, wq, wd, wm, act + q0 * nb, G * q0, n_tokens, y,
                                                           y_stride, p0 + r);
                } else {
                    tile_rows<V, F, kRows, 1>(rows, nb, wq, wd, wm, act + q0 * nb, G * q0, n_tokens, y, y_stride, p0 + r);
                }
            }
        }
    }
}

// W::kGroups consecutive blocks of one row against their activations (group
// k of each activation array = block k), added to acc one block after
// another in SIMD128's order; Q4_1/Q5_1's m * s terms to summs likewise.
// (gemv_rows uses it at 128 bits, one block, for the rows left over.)
template <class W, class M, class F>
inline void blocks_step(const typename F::Block* b, const int8_t* a0, const int8_t* a1, const int32_t* c, const float* d,
                        const float* s, const float* h2f, __m128& acc, float& summs) {
    const typename F::Block* blocks[W::kGroups];
    float dw[W::kGroups];
    for (int k = 0; k < W::kGroups; ++k) {
        blocks[k] = b + k;
        dw[k] = F::d(b[k], h2f);
    }
    typename W::I wl, wh;
    weight_operands<W, M, F>(blocks, &wl, &wh);
    const auto start = M::kOffset ? W::load(c) : W::zero();
    auto sum = M::template dot2<W>(start, wl, W::load(a0), wh, W::load(a1));
    if constexpr (F::kTotal) sum = W::sum_in_groups_i32(sum);
    acc = W::add_groups_in_order(acc, W::mul_f(W::cvt_f(sum), W::mul_f(W::group_floats(dw), W::load_f(d))));
    if constexpr (F::kAffine) {
        for (int k = 0; k < W::kGroups; ++k) summs += _cvtsh_ss(b[k].m) * s[4 * k];
    }
}

// A single token, R * V::kGroups rows at a time: group k of register r holds
// block i of row (r G + k) * q + j (q = n_rows / (R G)), so each row keeps
// SIMD128's four lanes and float chain (acc_j += float(lane_j) * (d_w * d_a),
// block after block) in its own group while the rows' chains run side by
// side: one row at a time, the serial float adds were the kernel's limit. The
// rows come from far-apart stretches of the matrix, each read front to back:
// with adjacent rows the hardware prefetcher lost the interleaved streams and
// the kernel ran at half speed or worse (docs/benchmarks.md). The activations
// are laid out once with block i in every group. Rows left over
// (n_rows % (R G)) go one at a time at 128 bits.
template <class V, class F>
void gemv_rows(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, float* y) {
    constexpr int G = V::kGroups;
    // Registers of G rows each per step: two at 256 bits, so that one F16C
    // conversion of four d's (fp16_groups) replaces two conversions of two
    // broadcast d's each (the vector pipes are the kernel's limit).
    constexpr int R = G == 2 ? 2 : 1, RG = R * G;
    using M = Meet<V, F>;
    using N = typename V::Narrow;
    using Block = typename F::Block;
    const int64_t nb = n / 32, q = n_rows / RG;
    // G "tokens" that are all the same row: act[i] holds block i in each group.
    const ActGroup<G>* act = prepare_act_groups<G, typename F::Act>(a, 0, G, nb, M::kOffset);
    const float* h2f = fp16_to_fp32_table();
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t j = 0; j < q; ++j) {
        const Block* rows[RG];
        for (int k = 0; k < RG; ++k) rows[k] = reinterpret_cast<const Block*>(wb + size_t(k * q + j) * w_row_bytes);
        typename V::F acc[R], summs[R];
        for (int r = 0; r < R; ++r) acc[r] = summs[r] = V::zero_f();
        for (int64_t i = 0; i < nb; ++i) {
            const ActGroup<G>& x = act[i];
            const Block* blocks[RG];
            for (int k = 0; k < RG; ++k) blocks[k] = rows[k] + i;
            typename V::F dw[R], mw[R];
            F::template d_groups<V, R>(blocks, dw);
            if constexpr (F::kAffine) fp16_groups<V, R>(blocks, &Block::m, mw);  // Q4_1/Q5_1's m
            const auto da = V::load_f(x.d);
            for (int r = 0; r < R; ++r) {
                typename V::I wl, wh;
                weight_operands<V, M, F>(blocks + r * G, &wl, &wh);
                auto sum =
                    M::template dot2<V>(M::kOffset ? V::load(x.c) : V::zero(), wl, V::load(x.a0), wh, V::load(x.a1));
                if constexpr (F::kTotal) sum = V::sum_in_groups_i32(sum);
                acc[r] = V::add_f(acc[r], V::mul_f(V::cvt_f(sum), V::mul_f(dw[r], da)));
                if constexpr (F::kAffine) summs[r] = V::add_f(summs[r], V::mul_f(mw[r], V::load_f(x.s)));
            }
        }
        for (int r = 0; r < R; ++r) {
            float v[G], sm[V::kFloats];
            lane_sums<V, F>(acc[r], v);
            V::store_f(sm, summs[r]);
            for (int k = 0; k < G; ++k) y[(r * G + k) * q + j] = F::kAffine ? v[k] + sm[4 * k] : v[k];
        }
    }
    for (int64_t r = RG * q; r < n_rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(wb + size_t(r) * w_row_bytes);
        __m128 acc = _mm_setzero_ps();
        float summs = 0.0f;
        for (int64_t i = 0; i < nb; ++i) {
            const ActGroup<G>& x = act[i];  // group 0
            blocks_step<N, M, F>(b + i, x.a0, x.a1, x.c, x.d, x.s, h2f, acc, summs);
        }
        float v;
        lane_sums<N, F>(acc, &v);
        y[r] = F::kAffine ? v + summs : v;
    }
}

}  // namespace legacy

// The level's gemm for 32-value weights of type t, or nullptr.
template <class V>
GemmFn legacy_quants_gemm(GgmlType t) {
    using namespace legacy;
    return pick_gemm<Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4, Q4_1, Q5_1>(t, [](auto format) {
        using F = decltype(format);
        return gemm_entry<gemv_rows<V, F>, gemm_tokens<V, F>>;
    });
}

}  // namespace
}  // namespace quantlab::x86
