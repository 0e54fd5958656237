// The gemm of the 256-value super-block formats (Q2_K .. Q6_K, IQ4_XS) with
// Q8_K activations, written once over the x86 vector layer (vec_x86.h) and
// compiled per level by superblock_gemm_<level>.cpp.
//
// Why the results equal the SIMD128 kernels bit for bit: the SIMD128 gemm and
// vec_dot of these formats (formats/simd128/gemm_superblock_simd128.h) build
// one i32x4 "sumi" per super-block whose lane j is the exact sum, over the
// positions p with p mod 8 in {2j, 2j+1}, of scale(p) * q(p) * a(p); a second
// i32x4 pairs the activations' bsums with the 16 mins (or Q6_K's scales) by
// dot_i16x8. Then:
//   acc  += float(sumi) * (d_a * d_w)                   every format
//   accm += float(bsums . mins) * (d_a * dmin_w)        Q2_K, Q4_K, Q5_K
//   sumi -= (bsums . scales) << 5   (before acc)        Q6_K
//   result = hsum(acc) [- hsum(accm)]
// Here each 16-value group of weights and activations is permuted so that the
// four bytes one dot_us lane sums belong to the same lane j (vec_x86.h), the
// group sums (unsigned values times signed activations; Q3_K enters as
// value + 4, corrected exactly, IQ4_XS as level + 128 or signed, see Meet) are
// multiplied by the group's scale in int32 and added: the same integers as
// SIMD128's sumi. The bsums term is the same pmaddwd. The float steps are
// the same operations on the same values.
//
// Each format decodes a super-block once, generically: row<W>() fills 16 /
// W::kGroups registers with its 16 groups (which group sits where is
// row_group()); at W = V::Narrow that is one group per register, which is
// how a gemm panel is unpacked. Layout: the gemm keeps G tokens x 4 lanes in
// a register; a single token multiplies a row's decoded registers directly.
#pragma once

#include <cstddef>
#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/ggml_type.h"
#include "formats/kernel_types.h"
#include "formats/prepared_activations.h"
#include "formats/x86/gemm_common.h"
#include "formats/simd128/k_quants_unpack_simd128.h"

namespace quantlab::x86 {
namespace {
namespace superblock {

// How the activations' bsums enter (SIMD128's SuperblockTerm): the mins of
// Q2_K/Q4_K/Q5_K, Q6_K's "-32", nothing for the signed Q3_K, IQ4_XS and the
// i-quants. BlockTotal (TQ1_0, TQ2_0): no group scales, and the four lanes
// are added in int32 before the float step: total += float(sum) * (d_a * d_w).
enum class Term { Mins, Q6, None, BlockTotal };

// Whether group sums are multiplied by group scales (BlockTotal formats have none).
template <class F>
constexpr bool kScaled = F::kTerm != Term::BlockTotal;

inline __m128i load16(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// A super-block's scales: group g's scale as byte g (signed), the 16 int16
// that meet the bsums, d and dmin.
struct Scales {
    __m128i sg;
    __m256i aux;
    float d, dmin;
};

// The 16-byte pieces first, first + 1, ... of a 32-byte array p (pieces
// repeat with period 2), one per group of a W register.
template <class W>
inline typename W::I piece_pairs(const uint8_t* p, int first) {
    if constexpr (W::kGroups == 1) {
        return W::load(p + 16 * (first % 2));
    } else {
        return W::bcast_pair(p);  // first is even here
    }
}

// simd::unpack_scales_k4 in registers: 8 6-bit scales then 8 6-bit mins.
inline __m128i k4_scales_x16(const uint8_t* packed) {
    const __m128i v = load16(packed);  // 12 bytes used; the block continues, so 16 are readable
    const __m128i l = _mm_shuffle_epi8(v, _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
    const __m128i low = _mm_or_si128(
        _mm_and_si128(l, _mm_setr_epi8(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0)),
        _mm_and_si128(_mm_srli_epi16(l, 4), _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15)));
    const __m128i h = _mm_shuffle_epi8(v, _mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7));
    const __m128i high = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(h, 6), _mm_set1_epi8(3)), 4);
    return _mm_or_si128(low, high);
}

// Group g's scale as byte g from the 8 scales in bytes 0..7 (k4_scales_x16
// or k4_scales_gpr): each 32-value scale repeated
// for both of its 16-value groups.
inline __m128i k4_group_scales(__m128i sm) {
    return _mm_shuffle_epi8(sm, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
}

// Q4_K/Q5_K: a 6-bit scale and min per 32 values, each repeated for both of
// its 16-value groups (the vec_dot pairs each bsum with its sub-block's min).
template <class Block>
inline Scales k4_scales(const Block& b) {
    const __m128i sm = k4_scales_x16(b.scales);
    return {k4_group_scales(sm),
            _mm256_cvtepu8_epi16(_mm_shuffle_epi8(sm, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15))),
            _cvtsh_ss(b.d), _cvtsh_ss(b.dmin)};
}

// Q4_K: nibbles of 32-value chunks (low nibbles first). Register 2k holds the
// low nibbles of 16-byte qs pieces Gk .. Gk+G-1, register 2k+1 their high
// nibbles; piece p is chunk p/2's half p%2: groups 4(p/2) + p%2 (low), + 2 (high).
struct Q4K {
    static constexpr GgmlType kType = GgmlType::Q4_K;
    using Block = block_q4_K;
    static constexpr Term kTerm = Term::Mins;
    static constexpr int kGroupsPerScale = 2, kOffset = 0, kMaxU = 15;
    static constexpr int row_group(int G, int z, int lane) {
        const int p = G * (z / 2) + lane;
        return 4 * (p / 2) + p % 2 + 2 * (z % 2);
    }
    static Scales scales(const Block& b) { return k4_scales(b); }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        const auto m4 = W::set1_i8(0x0F);
        for (int k = 0; k < 8 / W::kGroups; ++k) {
            const auto v = W::lane_class_order(W::load(b.qs + 16 * W::kGroups * k));
            q[2 * k] = W::and_(v, m4);
            q[2 * k + 1] = W::and_(W::template srli_i16<4>(v), m4);
        }
    }
};

// Q5_K: Q4_K plus a fifth bit, bits 2j and 2j+1 of qh (piece p % 2) for chunk j = p / 2.
struct Q5K {
    static constexpr GgmlType kType = GgmlType::Q5_K;
    using Block = block_q5_K;
    static constexpr Term kTerm = Term::Mins;
    static constexpr int kGroupsPerScale = 2, kOffset = 0, kMaxU = 31;
    static constexpr int row_group(int G, int z, int lane) { return Q4K::row_group(G, z, lane); }
    static Scales scales(const Block& b) { return k4_scales(b); }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        constexpr int G = W::kGroups;
        const auto m4 = W::set1_i8(0x0F), one = W::set1_i8(1);
        for (int k = 0; k < 8 / G; ++k) {
            const auto v = W::lane_class_order(W::load(b.qs + 16 * G * k));
            const auto qh = W::lane_class_order(piece_pairs<W>(b.qh, G * k));
            int lo[G], hi[G];
            for (int l = 0; l < G; ++l) {
                lo[l] = 2 * ((G * k + l) / 2);
                hi[l] = lo[l] + 1;
            }
            const auto bl = W::and_(W::srl_i16_groups(qh, lo), one), bh = W::and_(W::srl_i16_groups(qh, hi), one);
            q[2 * k] = W::or_(W::and_(v, m4), W::template slli_i16<4>(bl));
            q[2 * k + 1] = W::or_(W::and_(W::template srli_i16<4>(v), m4), W::template slli_i16<4>(bh));
        }
    }
};

// Q6_K: unsigned 0..63 from 4 low bits (ql) and 2 high bits (qh); int8
// scales per 16 values, which also meet the bsums (the "-32"). Half h's ql
// pieces 4h + c (c = 0..3) give groups 8h + c (low nibbles) and 8h + c + 4
// (high); their high bits come from qh piece 2h + c % 2, bits 0-1 / 4-5 for
// c < 2 and 2-3 / 6-7 for c >= 2.
struct Q6K {
    static constexpr GgmlType kType = GgmlType::Q6_K;
    using Block = block_q6_K;
    static constexpr Term kTerm = Term::Q6;
    static constexpr int kGroupsPerScale = 1, kOffset = 0, kMaxU = 63;
    static constexpr int row_group(int G, int z, int lane) {
        const int m = z / 2, per_half = 4 / G;
        return 8 * (m / per_half) + G * (m % per_half) + lane + 4 * (z % 2);
    }
    static Scales scales(const Block& b) {
        const __m128i sc = load16(b.scales);
        return {sc, _mm256_cvtepi8_epi16(sc), _cvtsh_ss(b.d), 0.0f};
    }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        constexpr int G = W::kGroups;
        const auto m4 = W::set1_i8(0x0F), m3 = W::set1_i8(0x03), m30 = W::set1_i8(0x30);
        for (int h = 0; h < 2; ++h) {
            for (int k = 0; k < 4 / G; ++k) {
                const auto ql = W::lane_class_order(W::load(b.ql + 64 * h + 16 * G * k));
                const auto hb = W::lane_class_order(piece_pairs<W>(b.qh + 32 * h, G * k));
                int second = 0;  // groups whose piece has c >= 2
                for (int l = 0; l < G; ++l) second |= ((G * k + l) % 4 >= 2) << l;
                const auto lo_bits = W::blend_groups(second, W::template slli_i16<4>(W::and_(hb, m3)),
                                                     W::and_(W::template slli_i16<2>(hb), m30));
                const auto hi_bits = W::blend_groups(second, W::and_(hb, m30), W::and_(W::template srli_i16<2>(hb), m30));
                const int z = 2 * (h * (4 / G) + k);
                q[z] = W::or_(W::and_(ql, m4), lo_bits);
                q[z + 1] = W::or_(W::and_(W::template srli_i16<4>(ql), m4), hi_bits);
            }
        }
    }
};

// Q2_K: 2-bit values, 4-bit scale (low nibble) and min (high nibble) per 16.
// qs piece p (h = p / 2) holds groups 8h + 2j + p % 2 in bit pair j.
struct Q2K {
    static constexpr GgmlType kType = GgmlType::Q2_K;
    using Block = block_q2_K;
    static constexpr Term kTerm = Term::Mins;
    static constexpr int kGroupsPerScale = 1, kOffset = 0, kMaxU = 3;
    static constexpr int row_group(int G, int z, int lane) {
        const int p = G * (z / 4) + lane;
        return 8 * (p / 2) + 2 * (z % 4) + p % 2;
    }
    static Scales scales(const Block& b) {
        const __m128i sc = load16(b.scales), m4 = _mm_set1_epi8(0x0F);
        return {_mm_and_si128(sc, m4), _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc, 4), m4)), _cvtsh_ss(b.d),
                _cvtsh_ss(b.dmin)};
    }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        two_bit_row<W>(b.qs, q);
    }
    // The 2-bit values of 64 qs bytes in this layout (TQ2_0 shares it).
    template <class W>
    static void two_bit_row(const uint8_t* qs, typename W::I* q) {
        const auto m3 = W::set1_i8(3);
        for (int k = 0; k < 4 / W::kGroups; ++k) {
            const auto v = W::lane_class_order(W::load(qs + 16 * W::kGroups * k));
            for (int j = 0; j < 4; ++j) q[4 * k + j] = W::and_(W::srl_i16(v, 2 * j), m3);
        }
    }
};

// Q3_K: 2-bit low parts (as Q2_K) and a high bit in hmask (bit 4h + j of
// piece p % 2, h = p / 2) where a clear bit means "minus 4": values -4..3,
// entered as value + 4 = low | high << 2. Signed 6-bit scales per 16 values.
struct Q3K {
    static constexpr GgmlType kType = GgmlType::Q3_K;
    using Block = block_q3_K;
    static constexpr Term kTerm = Term::None;
    static constexpr int kGroupsPerScale = 1, kOffset = 4, kMaxU = 7;
    static constexpr int row_group(int G, int z, int lane) { return Q2K::row_group(G, z, lane); }
    static Scales scales(const Block& b) {
        alignas(16) int8_t sc[16];
        simd::unpack_scales_q3(b.scales, sc);
        return {load16(sc), _mm256_setzero_si256(), _cvtsh_ss(b.d), 0.0f};
    }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        constexpr int G = W::kGroups;
        const auto m3 = W::set1_i8(3), one = W::set1_i8(1);
        for (int k = 0; k < 4 / G; ++k) {
            const auto v = W::lane_class_order(W::load(b.qs + 16 * G * k));
            const auto hm = W::lane_class_order(piece_pairs<W>(b.hmask, G * k));
            for (int j = 0; j < 4; ++j) {
                int c[G];
                for (int l = 0; l < G; ++l) c[l] = 4 * ((G * k + l) / 2) + j;
                const auto hi = W::and_(W::srl_i16_groups(hm, c), one);
                q[4 * k + j] = W::or_(W::and_(W::srl_i16(v, 2 * j), m3), W::template slli_i16<2>(hi));
            }
        }
    }
};

// IQ4_XS: IQ4_NL's 16 levels (-127..113, entered as level + 128) per 4-bit
// index; a 6-bit scale minus 32 per 32 values. Sub-block ib's 16 qs bytes
// (piece ib) hold values 0..15 (low nibbles, group 2ib) and 16..31 (high).
struct IQ4XS {
    static constexpr GgmlType kType = GgmlType::IQ4_XS;
    using Block = block_iq4_xs;
    static constexpr Term kTerm = Term::None;
    static constexpr int kGroupsPerScale = 2, kOffset = 128, kMaxU = 241;
    static constexpr int row_group(int G, int z, int lane) { return 2 * (G * (z / 2) + lane) + z % 2; }
    static Scales scales(const Block& b) {
        // Sub-block ib's 6-bit scale: nibble ib of scales_l, bit pair ib of
        // scales_h; one byte each (pdep), minus 32, repeated for both groups.
        uint32_t sl;
        std::memcpy(&sl, b.scales_l, sizeof sl);
        const uint64_t ls = _pdep_u64(sl, 0x0F0F0F0F0F0F0F0FULL) | (_pdep_u64(b.scales_h, 0x0303030303030303ULL) << 4);
        const __m128i v = _mm_sub_epi8(_mm_cvtsi64_si128(int64_t(ls)), _mm_set1_epi8(32));
        return {_mm_shuffle_epi8(v, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)), _mm256_setzero_si256(),
                _cvtsh_ss(b.d), 0.0f};
    }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        const auto t = W::bcast128(_mm_xor_si128(load16(kIq4nlValues), _mm_set1_epi8(int8_t(0x80))));
        const auto m4 = W::set1_i8(0x0F);
        for (int k = 0; k < 8 / W::kGroups; ++k) {
            const auto v = W::lane_class_order(W::load(b.qs + 16 * W::kGroups * k));
            q[2 * k] = W::shuffle_i8(t, W::and_(v, m4));
            q[2 * k + 1] = W::shuffle_i8(t, W::and_(W::template srli_i16<4>(v), m4));
        }
    }
};

// Whether group sums are scaled by vpmaddwd instead of an int32 multiply:
// scale * (q . a) per lane from maddubs + madd(scales), exact when the int16
// pair sums (of the kGroupsPerScale groups sharing a scale, added) fit and no
// offset correction needs scaling. At 256 bits that replaces madd(ones) +
// mullo, or vpdpbusd + mullo with AVX-VNNI: at avx2, pp -13 %, tg -8 % CPU
// time on synth512-q4_k_m; at avxvnni the single-token Q2_K/Q4_K/Q5_K/Q6_K
// gemvs took 10-20 % less time (bench-matmul 1536 x 512, 7 runs interleaved:
// Q4_K min 0.023 against 0.026 ms, Q2_K 0.020 against 0.024) and the 256-token
// gemms 3-7 % less. At 512 bits vpdpbusd + vpmulld measured faster (pp +4 %,
// tg +13 % when replaced).
template <class V, class F>
constexpr bool kScaleByMadd = kScaled<F> && V::kGroups == 2 && Meet<V, F>::kOffset == 0 && !Meet<V, F>::kSigned &&
                              F::kGroupsPerScale * 2 * F::kMaxU * 127 <= 32767;

// The four lane-class sums of one permuted 16-byte activation group, times
// -offset: the start that makes value + offset products exact.
inline __m128i offset_correction(__m128i group, int offset) {
    const __m128i pairs = _mm_maddubs_epi16(_mm_set1_epi8(1), group);
    return _mm_mullo_epi32(_mm_madd_epi16(pairs, _mm_set1_epi16(1)), _mm_set1_epi32(-offset));
}

inline int32_t hsum_i32(__m128i v) {
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(v);
}

inline __m128i lane_class_order(__m128i v) {
    return _mm_shuffle_epi8(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLaneClassOrder)));
}

// ---- gemm: a panel of unpacked rows, tiles of R rows x Q token groups

// One super-block of one row as the gemm panel holds it: group g's 16 weight
// operands (lane-class order), each group's scale as a byte, the 16 int16
// that meet the bsums, d and dmin.
struct alignas(64) SuperRow {
    uint8_t q[16][16];
    int16_t aux[16];
    int8_t sc8[16];
    float d, dmin;
};

template <class V, class F>
void unpack(const typename F::Block& b, SuperRow& o) {
    using N = typename V::Narrow;
    __m128i q[16];
    F::template row<N>(b, q);
    for (int z = 0; z < 16; ++z) N::store(o.q[F::row_group(1, z, 0)], Meet<V, F>::template operand<N>(q[z]));
    const Scales s = F::scales(b);
    N::store(o.sc8, s.sg);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o.aux), s.aux);
    o.d = s.d;
    o.dmin = s.dmin;
}

// Activations: G tokens per super-block, each 16-value group permuted.
template <int G>
struct alignas(64) ActGroupSuper {
    int8_t g[16][16 * G];            // group g of token k at g[g][16k]
    int16_t bs_lo[8 * G], bs_hi[8 * G];  // bsums 0..7 / 8..15 of token k at [8k]
    float d[4 * G];                  // token k's d in lanes 4k..4k+3
    int32_t corr[16][4 * G];         // -offset * (group g's lane-class sums of token k) at corr[g][4k]
};

template <int G>
ActGroupSuper<G>* prepare_act_groups(const void* a, size_t a_row_bytes, int64_t n_tokens, int64_t nb, int offset) {
    static thread_local Scratch buf;
    static thread_local PreparedActivations held;
    const int64_t ng = (n_tokens + G - 1) / G;
    const size_t bytes = size_t(ng * nb) * sizeof(ActGroupSuper<G>);
    held.prepare(a, a_row_bytes, n_tokens, nb, offset, [&] {
        auto* out = static_cast<ActGroupSuper<G>*>(buf.get(bytes));
        for (int64_t q = 0; q < ng; ++q) {
            for (int64_t i = 0; i < nb; ++i) {
                ActGroupSuper<G>& o = out[q * nb + i];
                std::memset(&o, 0, sizeof o);
                for (int k = 0; k < G && G * q + k < n_tokens; ++k) {
                    const auto& b = reinterpret_cast<const block_q8_K*>(static_cast<const uint8_t*>(a) +
                                                                        size_t(G * q + k) * a_row_bytes)[i];
                    for (int g = 0; g < 16; ++g) {
                        const __m128i v = lane_class_order(load16(b.qs + 16 * g));
                        _mm_storeu_si128(reinterpret_cast<__m128i*>(o.g[g] + 16 * k), v);
                        if (offset) _mm_storeu_si128(reinterpret_cast<__m128i*>(&o.corr[g][4 * k]), offset_correction(v, offset));
                    }
                    std::memcpy(o.bs_lo + 8 * k, b.bsums, 16);
                    std::memcpy(o.bs_hi + 8 * k, b.bsums + 8, 16);
                    for (int j = 0; j < 4; ++j) o.d[4 * k + j] = b.d;
                }
            }
        }
    });
    // The rows, laid out now or by an earlier call (which sized the buffer for them).
    return static_cast<ActGroupSuper<G>*>(buf.get(bytes));
}

template <class V, class F, int R, int Q>
void tile(int64_t nb, const SuperRow* w, const ActGroupSuper<V::kGroups>* act, int64_t t0, int64_t n_tokens, float* y,
          size_t y_stride, int64_t y_row0) {
    constexpr int G = V::kGroups, S = F::kGroupsPerScale;
    using M = Meet<V, F>;
    typename V::F acc[R][Q], accm[R][Q];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < Q; ++q) acc[r][q] = accm[r][q] = V::zero_f();
    for (int64_t i = 0; i < nb; ++i) {
        typename V::I sumi[R][Q];
        for (int r = 0; r < R; ++r)
            for (int q = 0; q < Q; ++q) sumi[r][q] = V::zero();
        for (int s = 0; s < 16; s += S) {
            typename V::I a0[Q], a1[Q], c0[Q];
            for (int q = 0; q < Q; ++q) {
                const ActGroupSuper<G>& ab = act[q * nb + i];
                a0[q] = V::load(ab.g[s]);
                if (S == 2) a1[q] = V::load(ab.g[s + 1]);
                c0[q] = V::zero();
                if (M::kOffset) {
                    c0[q] = V::load(ab.corr[s]);
                    if (S == 2) c0[q] = V::add_i32(c0[q], V::load(ab.corr[s + 1]));
                }
            }
            for (int r = 0; r < R; ++r) {
                const SuperRow& wr = w[r * nb + i];
                const auto w0 = V::bcast128(wr.q[s]);
                const auto w1 = S == 2 ? V::bcast128(wr.q[s + 1]) : w0;
                for (int q = 0; q < Q; ++q) {
                    if constexpr (kScaleByMadd<V, F>) {
                        auto p = V::maddubs(w0, a0[q]);
                        if (S == 2) p = V::add_i16(p, V::maddubs(w1, a1[q]));
                        sumi[r][q] = V::add_i32(sumi[r][q], V::madd_i16(p, V::set1_i16(wr.sc8[s])));
                    } else {
                        auto t = M::template dot<V>(c0[q], w0, a0[q]);
                        if (S == 2) t = M::template dot<V>(t, w1, a1[q]);
                        sumi[r][q] = V::add_i32(sumi[r][q], kScaled<F> ? V::mullo_i32(t, V::set1_i32(wr.sc8[s])) : t);
                    }
                }
            }
        }
        for (int r = 0; r < R; ++r) {
            const SuperRow& wr = w[r * nb + i];
            const auto xl = V::bcast128(wr.aux), xh = V::bcast128(wr.aux + 8);
            for (int q = 0; q < Q; ++q) {
                const ActGroupSuper<G>& ab = act[q * nb + i];
                const auto da = V::load_f(ab.d);
                auto si = sumi[r][q];
                if constexpr (F::kTerm == Term::BlockTotal) si = V::sum_in_groups_i32(si);  // every lane: the total
                if constexpr (F::kTerm == Term::Mins || F::kTerm == Term::Q6) {
                    const auto b = V::add_i32(V::madd_i16(V::load(ab.bs_lo), xl), V::madd_i16(V::load(ab.bs_hi), xh));
                    if constexpr (F::kTerm == Term::Mins) {
                        accm[r][q] = V::add_f(accm[r][q], V::mul_f(V::cvt_f(b), V::mul_f(da, V::set1_f(wr.dmin))));
                    } else {
                        si = V::sub_i32(si, V::template slli_i32<5>(b));
                    }
                }
                acc[r][q] = V::add_f(acc[r][q], V::mul_f(V::cvt_f(si), V::mul_f(da, V::set1_f(wr.d))));
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int q = 0; q < Q; ++q) {
            float v[G], m[G];
            if constexpr (F::kTerm == Term::BlockTotal) {  // lane 0 of each group holds its total
                alignas(64) float lanes[4 * G];
                V::store_f(lanes, acc[r][q]);
                for (int k = 0; k < G; ++k) v[k] = lanes[4 * k];
            } else {
                V::hsum_groups(acc[r][q], v);
            }
            V::hsum_groups(accm[r][q], m);
            for (int k = 0; k < G; ++k) {
                const int64_t t = t0 + G * q + k;
                if (t < n_tokens) y[size_t(t) * y_stride + size_t(y_row0 + r)] = F::kTerm == Term::Mins ? v[k] - m[k] : v[k];
            }
        }
    }
}

// The tile for `rows` rows (1 <= rows <= R) with rows as a template argument.
template <class V, class F, int R, int Q>
void tile_rows(int rows, int64_t nb, const SuperRow* w, const ActGroupSuper<V::kGroups>* act, int64_t t0,
               int64_t n_tokens, float* y, size_t y_stride, int64_t y_row0) {
    if constexpr (R > 1) {
        if (rows < R) return tile_rows<V, F, R - 1, Q>(rows, nb, w, act, t0, n_tokens, y, y_stride, y_row0);
    }
    tile<V, F, R, Q>(nb, w, act, t0, n_tokens, y, y_stride, y_row0);
}

template <class V, class F>
void gemm_tokens(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride) {
    constexpr int G = V::kGroups, kRows = V::kTileRowsK, kGroupsPerTile = V::kTileGroupsK;
    const int64_t nb = n / QK_K;
    const ActGroupSuper<G>* act = prepare_act_groups<G>(a, a_row_bytes, n_tokens, nb, Meet<V, F>::kOffset);
    const int64_t ng = (n_tokens + G - 1) / G;
    // About 16 KB of unpacked rows stay in L1 while every token tile passes.
    const int64_t panel_rows = (16384 / int64_t(sizeof(SuperRow) * size_t(nb)) / kRows + 1) * kRows;
    static thread_local Scratch buf;
    auto* panel = static_cast<SuperRow*>(buf.get(size_t(panel_rows * nb) * sizeof(SuperRow)));
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = n_rows - p0 < panel_rows ? n_rows - p0 : panel_rows;
        for (int64_t r = 0; r < pr; ++r) {
            const auto* b = reinterpret_cast<const typename F::Block*>(wb + size_t(p0 + r) * w_row_bytes);
            for (int64_t i = 0; i < nb; ++i) unpack<V, F>(b[i], panel[r * nb + i]);
        }
        // Whole tiles of kGroupsPerTile token groups, then the remaining groups one at a time.
        for (int64_t q0 = 0, step; q0 < ng; q0 += step) {
            step = ng - q0 >= kGroupsPerTile ? kGroupsPerTile : 1;
            for (int64_t r = 0; r < pr; r += kRows) {
                const int rows = int(pr - r < kRows ? pr - r : kRows);
                if (step == kGroupsPerTile) {
                    tile_rows<V, F, kRows, kGroupsPerTile>(rows, nb, panel + r * nb, act + q0 * nb, G * q0, n_tokens, y,
                                                           y_stride, p0 + r);
                } else {
                    tile_rows<V, F, kRows, 1>(rows, nb, panel + r * nb, act + q0 * nb, G * q0, n_tokens, y, y_stride, p0 + r);
                }
            }
        }
    }
}

// A single token, one row at a time (rows read in memory order): the row's
// super-block decodes into 16 / G registers, each multiplied with the
// activation groups in the same places; the lanes fold to the 4 lanes of
// SIMD128's sumi by exact integer adds.
template <class V>
struct alignas(64) ActRowSuper {
    typename V::I g[16 / V::kGroups];     // groups in the weight format's row_group order
    typename V::I corr[16 / V::kGroups];  // their offset corrections, same order
    __m128i bs_lo, bs_hi;
    __m128i bs_pairs;  // bsums 2j + 2j+1 as int16, in the order of k4_mins_paired: j = 0, 4, 1, 5, 2, 6, 3, 7
    float d;
};

// Q4_K/Q5_K's 8 mins (bytes 0..7 of `mins`, from k4_scales_gpr) as int16 in
// the order j = 0, 4, 1, 5, 2, 6, 3, 7, so that vpmaddwd with
// ActRowSuper::bs_pairs gives lane j = pair_j * min_j + pair_4+j * min_4+j:
// the integer SIMD128's two dot_i16x8 of the bsums with the mins (each
// repeated for its two 16-value groups) add to.
inline __m128i k4_mins_paired(__m128i mins) {
    return _mm_shuffle_epi8(mins, _mm_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1));
}

// A Mins format's fp16 d and dmin (adjacent in its block) as floats, d in
// lanes 0..3 and dmin in 4..7: one F16C conversion for both.
template <class Block>
inline __m256 d_dmin_x4(const Block& b) {
    static_assert(offsetof(Block, dmin) == offsetof(Block, d) + 2, "d and dmin adjacent");
    uint32_t both;
    std::memcpy(&both, &b.d, sizeof both);
    const __m128i halves = _mm_shuffle_epi8(_mm_cvtsi32_si128(int32_t(both)), _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3));
    return _mm256_cvtph_ps(halves);
}

// One row's float state in the single-token kernel: SIMD128's acc, or for
// the Mins formats acc in lanes 0..3 and accm in lanes 4..7 (both float steps
// one 8-wide step, one reduction per row), or BlockTotal's scalar total.
struct RowAcc {
    __m128 acc;
    __m256 acc_accm;
    float total;
};

inline RowAcc row_acc_zero() { return {_mm_setzero_ps(), _mm256_setzero_ps(), 0.0f}; }

// Q4_K/Q5_K (packed k4 scales): the scales unpacked once per super-block give
// both the group scales and the mins that meet the bsums.
template <class F>
constexpr bool kK4Packed = F::kTerm == Term::Mins && F::kGroupsPerScale == 2;

// The packed k4 scales (ggml's get_scale_min_k4 layout: 12 bytes, 8 6-bit
// scales and 8 6-bit mins) decoded in general-purpose registers: scale j as
// byte j of `scales`, min j as byte j of `mins`. The single-token kernel is
// bound by the vector ports, which the shifts and masks of k4_scales_x16 and
// the scale table otherwise take (13 of about 85 vector instructions per
// super-block at avx2); the integer ports are idle.
struct K4ScalesGpr {
    uint64_t scales, mins;
};
inline K4ScalesGpr k4_scales_gpr(const uint8_t* packed) {
    uint32_t w0, w1, w2;
    std::memcpy(&w0, packed, 4);
    std::memcpy(&w1, packed + 4, 4);
    std::memcpy(&w2, packed + 8, 4);
    constexpr uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
    // Scales/mins 0..3: the low 6 bits of bytes 0..3 / 4..7. Scales/mins 4..7:
    // the low / high nibbles of bytes 8..11, with the top 2 bits of bytes
    // 0..3 / 4..7 as their bits 4 and 5.
    const uint32_t sc_hi = (w2 & k4) | (((w0 >> 6) & k2) << 4);
    const uint32_t mn_hi = ((w2 >> 4) & k4) | (((w1 >> 6) & k2) << 4);
    return {uint64_t(w0 & k6) | uint64_t(sc_hi) << 32, uint64_t(w1 & k6) | uint64_t(mn_hi) << 32};
}

// Super-block b of one row against its activations x, added to the row's state.
template <class V, class F>
inline void gemv_step(const typename F::Block& b, const ActRowSuper<V>& x, RowAcc& st) {
    constexpr int G = V::kGroups, Z = 16 / G;
    using M = Meet<V, F>;
    typename V::I q[Z];
    F::template row<V>(b, q);
    Scales sc{};
    K4ScalesGpr k4{};
    if constexpr (kK4Packed<F>) {
        k4 = k4_scales_gpr(b.scales);  // d and dmin come from d_dmin_x4 below
        if constexpr (!kScaleByMadd<V, F>) sc.sg = k4_group_scales(_mm_cvtsi64_si128(int64_t(k4.scales)));
    } else {
        sc = F::scales(b);
    }
    auto s = V::zero();
    if constexpr (kK4Packed<F> && kScaleByMadd<V, F>) {
        // Scale j as int16 lane j of both halves; a register's two groups are
        // 16-value halves of sub-blocks row_group / 2.
        const auto table = V::bcast128(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(k4.scales))));
        for (int z = 0; z < Z; ++z) {
            const auto sc16 = V::pick_i16(table, F::row_group(G, z, 0) / 2, F::row_group(G, z, 1) / 2);
            s = V::add_i32(s, V::madd_i16(V::maddubs(q[z], x.g[z]), sc16));
        }
    } else if constexpr (kScaleByMadd<V, F>) {
        const auto table = V::scale_table_i16(sc.sg);
        for (int z = 0; z < Z; ++z) {
            int groups[G];
            for (int l = 0; l < G; ++l) groups[l] = F::row_group(G, z, l);
            s = V::add_i32(s, V::madd_i16(V::maddubs(q[z], x.g[z]), V::pick_scales_i16(table, groups)));
        }
    } else {
        for (int z = 0; z < Z; ++z) {
            int groups[G];
            for (int l = 0; l < G; ++l) groups[l] = F::row_group(G, z, l);
            const auto start = M::kOffset ? x.corr[z] : V::zero();
            const auto t = M::template dot<V>(start, M::template operand<V>(q[z]), x.g[z]);
            s = V::add_i32(s, kScaled<F> ? V::mullo_i32(t, V::group_scales_i32(sc.sg, groups)) : t);
        }
    }
    __m128i sumi = V::fold_to_128(s);
    if constexpr (F::kTerm == Term::BlockTotal) {
        st.total += float(hsum_i32(sumi)) * (x.d * sc.d);
        return;
    }
    if constexpr (F::kTerm == Term::Mins || F::kTerm == Term::Q6) {
        __m128i bsum;
        if constexpr (kK4Packed<F>) {
            bsum = _mm_madd_epi16(x.bs_pairs, k4_mins_paired(_mm_cvtsi64_si128(int64_t(k4.mins))));
        } else {
            bsum = _mm_add_epi32(_mm_madd_epi16(x.bs_lo, _mm256_castsi256_si128(sc.aux)),
                                 _mm_madd_epi16(x.bs_hi, _mm256_extracti128_si256(sc.aux, 1)));
        }
        if constexpr (F::kTerm == Term::Mins) {
            // d_a * d in lanes 0..3, d_a * dmin in 4..7: the products SIMD128 takes
            // one at a time (exact, whatever the width).
            const __m256 dd8 = _mm256_mul_ps(_mm256_set1_ps(x.d), d_dmin_x4(b));
            const __m256 both = _mm256_cvtepi32_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(sumi), bsum, 1));
            st.acc_accm = _mm256_add_ps(st.acc_accm, _mm256_mul_ps(both, dd8));
            return;
        } else {
            sumi = _mm_sub_epi32(sumi, _mm_slli_epi32(bsum, 5));
        }
    }
    st.acc = _mm_add_ps(st.acc, _mm_mul_ps(_mm_cvtepi32_ps(sumi), _mm_set1_ps(x.d * sc.d)));
}

// The row's result from its state.
template <class F>
inline float gemv_result(const RowAcc& st) {
    if constexpr (F::kTerm == Term::Mins) {
        // hsum4 of each half (SIMD128's f32x4_hsum), then acc - accm.
        __m256 v = _mm256_add_ps(st.acc_accm, _mm256_permute_ps(st.acc_accm, _MM_SHUFFLE(1, 0, 3, 2)));
        v = _mm256_add_ps(v, _mm256_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
        return _mm256_cvtss_f32(v) - _mm_cvtss_f32(_mm256_extractf128_ps(v, 1));
    } else {
        return F::kTerm == Term::BlockTotal ? st.total : hsum4(st.acc);
    }
}

// A single token, one row at a time (rows read in memory order): the row's
// super-block decodes into 16 / G registers, each multiplied with the
// activation groups in the same places; the lanes fold to the 4 lanes of
// SIMD128's sumi by exact integer adds. (Two or four rows side by side from
// far-apart stretches, as the 32-value formats do, measured no faster here:
// docs/benchmarks.md, 2026-12-04 "Q4_K_M tg64 at one thread".)
template <class V, class F>
void gemv_rows(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, float* y) {
    constexpr int G = V::kGroups, Z = 16 / G;
    using M = Meet<V, F>;
    using Block = typename F::Block;
    const int64_t nb = n / QK_K;
    static thread_local Scratch buf;
    static thread_local PreparedActivations held;
    const size_t bytes = size_t(nb) * sizeof(ActRowSuper<V>);
    held.prepare(a, 0, 1, nb, 0, [&] {
        auto* act = static_cast<ActRowSuper<V>*>(buf.get(bytes));
        const auto* ab = static_cast<const block_q8_K*>(a);
        for (int64_t i = 0; i < nb; ++i) {
            alignas(64) int8_t g[Z][16 * G];
            alignas(64) int32_t c[Z][4 * G] = {};
            for (int z = 0; z < Z; ++z) {
                for (int l = 0; l < G; ++l) {
                    const __m128i v = lane_class_order(load16(ab[i].qs + 16 * F::row_group(G, z, l)));
                    _mm_store_si128(reinterpret_cast<__m128i*>(&g[z][16 * l]), v);
                    if (M::kOffset) {
                        _mm_store_si128(reinterpret_cast<__m128i*>(&c[z][4 * l]), offset_correction(v, M::kOffset));
                    }
                }
                act[i].g[z] = V::load(g[z]);
                act[i].corr[z] = V::load(c[z]);
            }
            act[i].bs_lo = load16(ab[i].bsums);
            act[i].bs_hi = load16(ab[i].bsums + 8);
            // Pair sums (at most 32 * 128 in magnitude: exact in int16), reordered.
            act[i].bs_pairs = _mm_shuffle_epi8(_mm_hadd_epi16(act[i].bs_lo, act[i].bs_hi),
                                               _mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15));
            act[i].d = ab[i].d;
        }
    });
    // The row, laid out now or by an earlier call (which sized the buffer for it).
    const auto* act = static_cast<const ActRowSuper<V>*>(buf.get(bytes));
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t r = 0; r < n_rows; ++r) {
        const auto* b = reinterpret_cast<const Block*>(wb + size_t(r) * w_row_bytes);
        RowAcc st = row_acc_zero();
        for (int64_t i = 0; i < nb; ++i) gemv_step<V, F>(b[i], act[i], st);
        y[r] = gemv_result<F>(st);
    }
}

}  // namespace superblock

// The level's gemm for super-block weights of type t among Formats (the
// structs here, in iq_quants_gemm_body.h and ternary_quants_gemm_body.h;
// kernel_bodies.h lists them), or nullptr.
template <class V, class... Formats>
GemmFn superblock_gemm(GgmlType t) {
    return pick_gemm<Formats...>(t, [](auto format) {
        using F = decltype(format);
        return gemm_entry<superblock::gemv_rows<V, F>, superblock::gemm_tokens<V, F>>;
    });
}

}  // namespace
}  // namespace quantlab::x86
