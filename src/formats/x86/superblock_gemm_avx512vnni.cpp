// AVX-512 VNNI gemm of the 256-value super-block formats (Q2_K .. Q6_K,
// IQ4_XS) with Q8_K activations.
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
// four bytes one vpdpbusd lane multiplies belong to the same lane j
// (avx512vnni_common.h), the group sums (unsigned values times signed
// activations; Q3_K and IQ4_XS enter as value + offset, corrected exactly, see
// offset_correction) are multiplied by the group's scale in int32 and added:
// the same integers as SIMD128's sumi. The bsums term is the same
// pmaddwd. The float steps are the same operations on the same values.
//
// Layout: gemm keeps 4 tokens x 4 lanes in a zmm register; a single token
// decodes one row's super-block into four registers of four 16-value groups.
#include "formats/x86/superblock_gemm_avx512vnni.h"

#include "formats/x86/intrinsics.h"

#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/simd128/k_quants_unpack_simd128.h"

#include "formats/x86/target_avx512vnni_begin.h"
#include "formats/x86/avx512vnni_common.h"

namespace quantlab {

namespace {

// How the activations' bsums enter (SIMD128's SuperblockTerm): the mins of
// Q2_K/Q4_K/Q5_K, Q6_K's "-32", nothing for the signed Q3_K and IQ4_XS.
enum class Term { Mins, Q6, None };

// One super-block of one row as the gemm panel holds it, written by the
// formats' unpack(): group g's 16 values (unsigned, lane-class order), each
// group's scale as a byte, the 16 int16 that meet the bsums, d and dmin.
struct alignas(64) SuperRow {
    uint8_t q[16][16];
    int16_t aux[16];
    int8_t sc8[16];
    float d, dmin;

    void group(int g, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(q[g]), v); }
    void scales(__m128i sc) { _mm_storeu_si128(reinterpret_cast<__m128i*>(sc8), sc); }
    void aux16(__m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(aux), v); }
};

inline __m128i load16(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

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

// Q4_K/Q5_K: a 6-bit scale and min per 32 values, each repeated for both of
// its 16-value groups: scale bytes sg (group g at byte g) and the mins as
// int16 (the vec_dot pairs each bsum with its sub-block's min).
inline void k4_group_scales(const uint8_t* packed, __m128i* sg, __m256i* mins) {
    const __m128i sm = k4_scales_x16(packed);
    *sg = _mm_shuffle_epi8(sm, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
    *mins = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(sm, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)));
}

inline void k4_scales(const uint8_t* packed, SuperRow& o) {
    __m128i sg;
    __m256i mins;
    k4_group_scales(packed, &sg, &mins);
    o.scales(sg);
    o.aux16(mins);
}

// One super-block of one row in registers (the single-token path): q[z]
// holds four 16-value groups (which ones: the format's kRowGroups), sc[z]
// their scales four lanes each, aux the 16 int16 that meet the bsums.
struct RowRegs {
    __m512i q[4], sc[4];
    __m128i aux_lo, aux_hi;
    float d, dmin;
};

// RowRegs' scales and aux from per-group scale bytes sg (group g at byte g,
// signed) and the 16 aux values: register z's groups are G[4z .. 4z+3].
template <const int* G>
inline void row_scales(__m128i sg, __m256i aux, RowRegs& o) {
    for (int z = 0; z < 4; ++z) {
        const char a = char(G[4 * z]), b = char(G[4 * z + 1]), c = char(G[4 * z + 2]), e = char(G[4 * z + 3]);
        o.sc[z] = _mm512_cvtepi8_epi32(_mm_shuffle_epi8(sg, _mm_setr_epi8(a, a, a, a, b, b, b, b, c, c, c, c, e, e, e, e)));
    }
    o.aux_lo = _mm256_castsi256_si128(aux);
    o.aux_hi = _mm256_extracti128_si256(aux, 1);
}

// The 5th (Q5_K) or 2-bit (Q2_K) planes need per-lane shift counts: register
// lanes are 128-bit, so lane L's count fills words 8L .. 8L+7.
inline __m512i lane_shifts(int s0, int s1, int s2, int s3) {
    return _mm512_setr_epi64(0x0001000100010001LL * s0, 0x0001000100010001LL * s0, 0x0001000100010001LL * s1,
                             0x0001000100010001LL * s1, 0x0001000100010001LL * s2, 0x0001000100010001LL * s2,
                             0x0001000100010001LL * s3, 0x0001000100010001LL * s3);
}

// Q4_K: nibbles of 32-value chunks (low nibbles first); 6-bit scales and mins
// per 32 values, so the vec_dot's mins come duplicated per 16-value bsum.
struct Q4K {
    static constexpr int kOffset = 0;  // values already unsigned
    using Block = block_q4_K;
    static constexpr Term kTerm = Term::Mins;
    static constexpr int kGroupsPerScale = 2;
    // row(): register z holds groups kRowGroups[4z .. 4z+3] in its 128-bit lanes.
    static constexpr int kRowGroups[16] = {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15};
    static void row(const Block& b, RowRegs& o) {
        __m128i sg;
        __m256i mins;
        k4_group_scales(b.scales, &sg, &mins);
        row_scales<kRowGroups>(sg, mins, o);
        const __m512i m4 = _mm512_set1_epi8(0x0F);
        const __m512i q0 = lane_class_order_x4(_mm512_loadu_si512(b.qs));
        const __m512i q1 = lane_class_order_x4(_mm512_loadu_si512(b.qs + 64));
        o.q[0] = _mm512_and_si512(q0, m4);
        o.q[1] = _mm512_and_si512(_mm512_srli_epi16(q0, 4), m4);
        o.q[2] = _mm512_and_si512(q1, m4);
        o.q[3] = _mm512_and_si512(_mm512_srli_epi16(q1, 4), m4);
        o.d = fp16_to_fp32(b.d);
        o.dmin = fp16_to_fp32(b.dmin);
    }
    static void unpack(const Block& b, SuperRow& o) {
        k4_scales(b.scales, o);
        const __m128i m4 = _mm_set1_epi8(0x0F);
        for (int j = 0; j < 4; ++j) {
            for (int h = 0; h < 2; ++h) {
                const __m128i v = lane_class_order(load16(b.qs + 32 * j + 16 * h));
                o.group(4 * j + h, _mm_and_si128(v, m4));
                o.group(4 * j + 2 + h, _mm_and_si128(_mm_srli_epi16(v, 4), m4));
            }
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = fp16_to_fp32(b.dmin);
    }
};

// Q5_K: Q4_K plus a fifth bit, bits 2j and 2j+1 of qh for chunk j.
struct Q5K {
    static constexpr int kOffset = 0;  // values already unsigned
    using Block = block_q5_K;
    static constexpr Term kTerm = Term::Mins;
    static constexpr int kGroupsPerScale = 2;
    static constexpr int kRowGroups[16] = {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15};  // as Q4_K
    static void row(const Block& b, RowRegs& o) {
        __m128i sg;
        __m256i mins;
        k4_group_scales(b.scales, &sg, &mins);
        row_scales<kRowGroups>(sg, mins, o);
        const __m512i m4 = _mm512_set1_epi8(0x0F), one = _mm512_set1_epi8(1);
        // qh's two 16-byte chunks under both halves: lane L reads chunk L % 2.
        const __m512i qh = lane_class_order_x4(
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh))));
        for (int half = 0; half < 2; ++half) {
            // 64 qs bytes: chunk j = 2 * half in lanes 0, 1 and j + 1 in lanes 2, 3;
            // chunk j's fifth bits are qh bits 2j (low nibbles) and 2j + 1 (high).
            const __m512i q = lane_class_order_x4(_mm512_loadu_si512(b.qs + 64 * half));
            const int j = 2 * half;
            const __m512i bl = _mm512_and_si512(_mm512_srlv_epi16(qh, lane_shifts(2 * j, 2 * j, 2 * j + 2, 2 * j + 2)), one);
            const __m512i bh =
                _mm512_and_si512(_mm512_srlv_epi16(qh, lane_shifts(2 * j + 1, 2 * j + 1, 2 * j + 3, 2 * j + 3)), one);
            o.q[2 * half] = _mm512_or_si512(_mm512_and_si512(q, m4), _mm512_slli_epi16(bl, 4));
            o.q[2 * half + 1] =
                _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), _mm512_slli_epi16(bh, 4));
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = fp16_to_fp32(b.dmin);
    }
    static void unpack(const Block& b, SuperRow& o) {
        k4_scales(b.scales, o);
        const __m128i m4 = _mm_set1_epi8(0x0F), one = _mm_set1_epi8(1);
        const __m128i qh[2] = {lane_class_order(load16(b.qh)), lane_class_order(load16(b.qh + 16))};
        for (int j = 0; j < 4; ++j) {
            for (int h = 0; h < 2; ++h) {
                const __m128i v = lane_class_order(load16(b.qs + 32 * j + 16 * h));
                const __m128i bl = _mm_and_si128(_mm_srl_epi16(qh[h], _mm_cvtsi32_si128(2 * j)), one);
                const __m128i bh = _mm_and_si128(_mm_srl_epi16(qh[h], _mm_cvtsi32_si128(2 * j + 1)), one);
                o.group(4 * j + h, _mm_or_si128(_mm_and_si128(v, m4), _mm_slli_epi16(bl, 4)));
                o.group(4 * j + 2 + h, _mm_or_si128(_mm_and_si128(_mm_srli_epi16(v, 4), m4), _mm_slli_epi16(bh, 4)));
            }
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = fp16_to_fp32(b.dmin);
    }
};

// Q6_K: unsigned 0..63 from 4 low bits (ql) and 2 high bits (qh); int8
// scales per 16 values, which also meet the bsums (the "-32").
struct Q6K {
    static constexpr int kOffset = 0;  // values already unsigned
    using Block = block_q6_K;
    static constexpr Term kTerm = Term::Q6;
    static constexpr int kGroupsPerScale = 1;
    static constexpr int kRowGroups[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static void row(const Block& b, RowRegs& o) {
        const __m512i m4 = _mm512_set1_epi8(0x0F), m3 = _mm512_set1_epi8(0x03), m30 = _mm512_set1_epi8(0x30);
        const __m512i qh = lane_class_order_x4(_mm512_loadu_si512(b.qh));
        for (int h = 0; h < 2; ++h) {
            // Lanes: ql chunks (h,0), (h,1) of the first 32 bytes, then of the
            // second; both halves take their high bits from qh chunks (h,0), (h,1).
            const __m512i ql = lane_class_order_x4(_mm512_loadu_si512(b.ql + 64 * h));
            const __m512i hb = h == 0 ? _mm512_shuffle_i64x2(qh, qh, _MM_SHUFFLE(1, 0, 1, 0))
                                      : _mm512_shuffle_i64x2(qh, qh, _MM_SHUFFLE(3, 2, 3, 2));
            const __m512i lo_bits = _mm512_mask_blend_epi64(0xF0, _mm512_slli_epi16(_mm512_and_si512(hb, m3), 4),
                                                            _mm512_and_si512(_mm512_slli_epi16(hb, 2), m30));
            const __m512i hi_bits = _mm512_mask_blend_epi64(0xF0, _mm512_and_si512(hb, m30),
                                                            _mm512_and_si512(_mm512_srli_epi16(hb, 2), m30));
            o.q[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m4), lo_bits);                             // 8h+0..3
            o.q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4), hi_bits);  // 8h+4..7
        }
        const __m128i sc = load16(b.scales);
        row_scales<kRowGroups>(sc, _mm256_cvtepi8_epi16(sc), o);
        o.d = fp16_to_fp32(b.d);
        o.dmin = 0.0f;
    }
    static void unpack(const Block& b, SuperRow& o) {
        const __m128i sc = load16(b.scales);
        o.scales(sc);
        o.aux16(_mm256_cvtepi8_epi16(sc));
        const __m128i m4 = _mm_set1_epi8(0x0F), m30 = _mm_set1_epi8(0x30), m3 = _mm_set1_epi8(0x03);
        for (int h = 0; h < 2; ++h) {
            for (int c = 0; c < 2; ++c) {
                const __m128i la = lane_class_order(load16(b.ql + 64 * h + 16 * c));
                const __m128i lb = lane_class_order(load16(b.ql + 64 * h + 32 + 16 * c));
                const __m128i hb = lane_class_order(load16(b.qh + 32 * h + 16 * c));
                const int g = 8 * h + c;
                o.group(g, _mm_or_si128(_mm_and_si128(la, m4), _mm_slli_epi16(_mm_and_si128(hb, m3), 4)));
                o.group(g + 2, _mm_or_si128(_mm_and_si128(lb, m4), _mm_and_si128(_mm_slli_epi16(hb, 2), m30)));
                o.group(g + 4, _mm_or_si128(_mm_and_si128(_mm_srli_epi16(la, 4), m4), _mm_and_si128(hb, m30)));
                o.group(g + 6,
                        _mm_or_si128(_mm_and_si128(_mm_srli_epi16(lb, 4), m4), _mm_and_si128(_mm_srli_epi16(hb, 2), m30)));
            }
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = 0.0f;
    }
};

// Q2_K: 2-bit values, 4-bit scale (low nibble) and min (high nibble) per 16.
struct Q2K {
    static constexpr int kOffset = 0;  // values already unsigned
    using Block = block_q2_K;
    static constexpr Term kTerm = Term::Mins;
    static constexpr int kGroupsPerScale = 1;
    // 64 qs bytes hold groups 2j, 2j+1 (first 128 values) and 8+2j, 9+2j in bit pair j.
    static constexpr int kRowGroups[16] = {0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15};
    static void row(const Block& b, RowRegs& o) {
        const __m128i sc = load16(b.scales), m4 = _mm_set1_epi8(0x0F);
        row_scales<kRowGroups>(_mm_and_si128(sc, m4), _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc, 4), m4)), o);
        const __m512i q = lane_class_order_x4(_mm512_loadu_si512(b.qs)), m3 = _mm512_set1_epi8(3);
        for (int j = 0; j < 4; ++j) o.q[j] = _mm512_and_si512(_mm512_srl_epi16(q, _mm_cvtsi32_si128(2 * j)), m3);
        o.d = fp16_to_fp32(b.d);
        o.dmin = fp16_to_fp32(b.dmin);
    }
    static void unpack(const Block& b, SuperRow& o) {
        const __m128i sc = load16(b.scales), m4 = _mm_set1_epi8(0x0F);
        o.scales(_mm_and_si128(sc, m4));
        o.aux16(_mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc, 4), m4)));
        const __m128i m3 = _mm_set1_epi8(0x03);
        for (int h = 0; h < 2; ++h) {
            const __m128i qa = lane_class_order(load16(b.qs + 32 * h));
            const __m128i qb = lane_class_order(load16(b.qs + 32 * h + 16));
            for (int j = 0; j < 4; ++j) {
                const __m128i sh = _mm_cvtsi32_si128(2 * j);
                o.group(8 * h + 2 * j, _mm_and_si128(_mm_srl_epi16(qa, sh), m3));
                o.group(8 * h + 2 * j + 1, _mm_and_si128(_mm_srl_epi16(qb, sh), m3));
            }
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = fp16_to_fp32(b.dmin);
    }
};

// Q3_K: 2-bit low parts (as Q2_K) and a high bit in hmask (bit 4h + j of
// byte l or l + 16) where a clear bit means "minus 4": values -4..3, entered
// as value + 4 = low | high << 2. Signed 6-bit scales per 16 values.
struct Q3K {
    using Block = block_q3_K;
    static constexpr Term kTerm = Term::None;
    static constexpr int kGroupsPerScale = 1;
    static constexpr int kOffset = 4;
    static constexpr int kRowGroups[16] = {0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15};  // as Q2_K
    static __m128i scales(const Block& b) {
        alignas(16) int8_t sc[16];
        simd::unpack_scales_q3(b.scales, sc);
        return _mm_load_si128(reinterpret_cast<const __m128i*>(sc));
    }
    static void unpack(const Block& b, SuperRow& o) {
        o.scales(scales(b));
        o.aux16(_mm256_setzero_si256());
        const __m128i m3 = _mm_set1_epi8(3), one = _mm_set1_epi8(1);
        const __m128i ha = lane_class_order(load16(b.hmask)), hb = lane_class_order(load16(b.hmask + 16));
        for (int h = 0; h < 2; ++h) {
            const __m128i qa = lane_class_order(load16(b.qs + 32 * h)), qb = lane_class_order(load16(b.qs + 32 * h + 16));
            for (int j = 0; j < 4; ++j) {
                const __m128i sq = _mm_cvtsi32_si128(2 * j), sh = _mm_cvtsi32_si128(4 * h + j);
                o.group(8 * h + 2 * j, _mm_or_si128(_mm_and_si128(_mm_srl_epi16(qa, sq), m3),
                                                    _mm_slli_epi16(_mm_and_si128(_mm_srl_epi16(ha, sh), one), 2)));
                o.group(8 * h + 2 * j + 1, _mm_or_si128(_mm_and_si128(_mm_srl_epi16(qb, sq), m3),
                                                        _mm_slli_epi16(_mm_and_si128(_mm_srl_epi16(hb, sh), one), 2)));
            }
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = 0.0f;
    }
    static void row(const Block& b, RowRegs& o) {
        row_scales<kRowGroups>(scales(b), _mm256_setzero_si256(), o);
        const __m512i q = lane_class_order_x4(_mm512_loadu_si512(b.qs)), m3 = _mm512_set1_epi8(3), one = _mm512_set1_epi8(1);
        // hmask's two 16-byte halves under the qs lanes that use them (qa lanes 0, 2; qb lanes 1, 3).
        const __m512i hm = lane_class_order_x4(
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.hmask))));
        for (int j = 0; j < 4; ++j) {
            const __m512i hi = _mm512_and_si512(_mm512_srlv_epi16(hm, lane_shifts(j, j, 4 + j, 4 + j)), one);
            o.q[j] = _mm512_or_si512(_mm512_and_si512(_mm512_srl_epi16(q, _mm_cvtsi32_si128(2 * j)), m3),
                                     _mm512_slli_epi16(hi, 2));
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = 0.0f;
    }
};

// IQ4_XS: IQ4_NL's 16 levels (-127..113, entered as level + 128) per 4-bit
// index; a 6-bit scale minus 32 per 32 values. Sub-block ib's 16 qs bytes
// hold values 0..15 (low nibbles) and 16..31 (high).
struct IQ4XS {
    using Block = block_iq4_xs;
    static constexpr Term kTerm = Term::None;
    static constexpr int kGroupsPerScale = 2;
    static constexpr int kOffset = 128;
    static constexpr int kRowGroups[16] = {0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15};
    static __m128i group_scales(const Block& b) {
        // Sub-block ib's 6-bit scale: nibble ib of scales_l, bit pair ib of
        // scales_h; one byte each (pdep), minus 32, repeated for both groups.
        uint32_t sl;
        std::memcpy(&sl, b.scales_l, sizeof sl);
        const uint64_t ls = _pdep_u64(sl, 0x0F0F0F0F0F0F0F0FULL) | (_pdep_u64(b.scales_h, 0x0303030303030303ULL) << 4);
        const __m128i v = _mm_sub_epi8(_mm_cvtsi64_si128(int64_t(ls)), _mm_set1_epi8(32));
        return _mm_shuffle_epi8(v, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
    }
    static __m128i levels() {
        return _mm_xor_si128(load16(kIq4nlValues), _mm_set1_epi8(int8_t(0x80)));
    }
    static void unpack(const Block& b, SuperRow& o) {
        o.scales(group_scales(b));
        o.aux16(_mm256_setzero_si256());
        const __m128i t = levels(), m4 = _mm_set1_epi8(0x0F);
        for (int ib = 0; ib < 8; ++ib) {
            const __m128i v = lane_class_order(load16(b.qs + 16 * ib));
            o.group(2 * ib, _mm_shuffle_epi8(t, _mm_and_si128(v, m4)));
            o.group(2 * ib + 1, _mm_shuffle_epi8(t, _mm_and_si128(_mm_srli_epi16(v, 4), m4)));
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = 0.0f;
    }
    static void row(const Block& b, RowRegs& o) {
        row_scales<kRowGroups>(group_scales(b), _mm256_setzero_si256(), o);
        const __m512i t = _mm512_broadcast_i32x4(levels()), m4 = _mm512_set1_epi8(0x0F);
        for (int half = 0; half < 2; ++half) {
            const __m512i v = lane_class_order_x4(_mm512_loadu_si512(b.qs + 64 * half));
            o.q[2 * half] = _mm512_shuffle_epi8(t, _mm512_and_si512(v, m4));
            o.q[2 * half + 1] = _mm512_shuffle_epi8(t, _mm512_and_si512(_mm512_srli_epi16(v, 4), m4));
        }
        o.d = fp16_to_fp32(b.d);
        o.dmin = 0.0f;
    }
};

// ---- activations: 4 tokens per super-block, each 16-value group permuted

struct alignas(64) ActQuadSuper {
    int8_t g[16][64];           // group g of token k at g[g][16k]
    int16_t bs_lo[32], bs_hi[32];  // bsums 0..7 / 8..15 of token k at [8k]
    float d[16];                // token k's d in lanes 4k..4k+3
    int32_t corr[16][16];       // -offset * (group g's lane-class sums of token k) at corr[g][4k]
};
static_assert(sizeof(ActQuadSuper) == 2240, "ActQuadSuper is 35 zmm registers");

// Formats whose values are signed enter vpdpbusd as value + offset; each
// lane then starts from -offset * the sum of its four activations, so it
// still holds the exact signed sum. The four lane-class sums of one
// permuted 16-byte activation group, times -offset:
inline __m128i offset_correction(__m128i group, int offset) {
    const __m128i pairs = _mm_maddubs_epi16(_mm_set1_epi8(1), group);
    return _mm_mullo_epi32(_mm_madd_epi16(pairs, _mm_set1_epi16(1)), _mm_set1_epi32(-offset));
}

ActQuadSuper* prepare_act_quads(const void* a, size_t a_row_bytes, int64_t n_tokens, int64_t nb, int offset) {
    static thread_local Scratch buf;
    const int64_t nq = (n_tokens + 3) / 4;
    auto* out = static_cast<ActQuadSuper*>(buf.get(size_t(nq * nb) * sizeof(ActQuadSuper)));
    for (int64_t q = 0; q < nq; ++q) {
        for (int64_t i = 0; i < nb; ++i) {
            ActQuadSuper& o = out[q * nb + i];
            for (int k = 0; k < 4; ++k) {
                const int64_t t = 4 * q + k;
                if (t < n_tokens) {
                    const auto& b = reinterpret_cast<const block_q8_K*>(static_cast<const uint8_t*>(a) +
                                                                        size_t(t) * a_row_bytes)[i];
                    for (int g = 0; g < 16; ++g) {
                        const __m128i v = lane_class_order(load16(b.qs + 16 * g));
                        _mm_storeu_si128(reinterpret_cast<__m128i*>(o.g[g] + 16 * k), v);
                        if (offset) _mm_storeu_si128(reinterpret_cast<__m128i*>(&o.corr[g][4 * k]), offset_correction(v, offset));
                    }
                    std::memcpy(o.bs_lo + 8 * k, b.bsums, 16);
                    std::memcpy(o.bs_hi + 8 * k, b.bsums + 8, 16);
                    for (int j = 0; j < 4; ++j) o.d[4 * k + j] = b.d;
                } else {
                    for (int g = 0; g < 16; ++g) {
                        std::memset(o.g[g] + 16 * k, 0, 16);
                        std::memset(&o.corr[g][4 * k], 0, 16);
                    }
                    std::memset(o.bs_lo + 8 * k, 0, 16);
                    std::memset(o.bs_hi + 8 * k, 0, 16);
                    for (int j = 0; j < 4; ++j) o.d[4 * k + j] = 0.0f;
                }
            }
        }
    }
    return out;
}

// ---- gemm: a panel of unpacked rows, tiles of R rows x Q token quads

inline __m512i bcast16(const void* p) { return _mm512_broadcast_i32x4(load16(p)); }

template <class F, int R, int Q>
void tile(int64_t nb, const SuperRow* w, const ActQuadSuper* act, int64_t t0, int64_t n_tokens, float* y,
          size_t y_stride, int64_t y_row0) {
    constexpr int G = F::kGroupsPerScale;
    __m512 acc[R][Q], accm[R][Q];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < Q; ++q) acc[r][q] = accm[r][q] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        __m512i sumi[R][Q];
        for (int r = 0; r < R; ++r)
            for (int q = 0; q < Q; ++q) sumi[r][q] = _mm512_setzero_si512();
        for (int s = 0; s < 16; s += G) {
            __m512i a0[Q], a1[Q], c0[Q];
            for (int q = 0; q < Q; ++q) {
                const ActQuadSuper& ab = act[q * nb + i];
                a0[q] = _mm512_load_si512(ab.g[s]);
                if (G == 2) a1[q] = _mm512_load_si512(ab.g[s + 1]);
                c0[q] = _mm512_setzero_si512();
                if (F::kOffset) {
                    c0[q] = _mm512_load_si512(ab.corr[s]);
                    if (G == 2) c0[q] = _mm512_add_epi32(c0[q], _mm512_load_si512(ab.corr[s + 1]));
                }
            }
            for (int r = 0; r < R; ++r) {
                const SuperRow& wr = w[r * nb + i];
                const __m512i w0 = bcast16(wr.q[s]);
                const __m512i w1 = G == 2 ? bcast16(wr.q[s + 1]) : w0;
                const __m512i sc = _mm512_set1_epi32(wr.sc8[s]);
                for (int q = 0; q < Q; ++q) {
                    __m512i t = _mm512_dpbusd_epi32(c0[q], w0, a0[q]);
                    if (G == 2) t = _mm512_dpbusd_epi32(t, w1, a1[q]);
                    sumi[r][q] = _mm512_add_epi32(sumi[r][q], _mm512_mullo_epi32(t, sc));
                }
            }
        }
        for (int r = 0; r < R; ++r) {
            const SuperRow& wr = w[r * nb + i];
            const __m512i xl = bcast16(wr.aux), xh = bcast16(wr.aux + 8);
            for (int q = 0; q < Q; ++q) {
                const ActQuadSuper& ab = act[q * nb + i];
                const __m512 da = _mm512_load_ps(ab.d);
                __m512i si = sumi[r][q];
                if (F::kTerm != Term::None) {
                    const __m512i b = _mm512_add_epi32(_mm512_madd_epi16(_mm512_load_si512(ab.bs_lo), xl),
                                                       _mm512_madd_epi16(_mm512_load_si512(ab.bs_hi), xh));
                    if (F::kTerm == Term::Mins) {
                        const __m512 dmin = _mm512_mul_ps(da, _mm512_set1_ps(wr.dmin));
                        accm[r][q] = _mm512_add_ps(accm[r][q], _mm512_mul_ps(_mm512_cvtepi32_ps(b), dmin));
                    } else {
                        si = _mm512_sub_epi32(si, _mm512_slli_epi32(b, 5));
                    }
                }
                const __m512 d = _mm512_mul_ps(da, _mm512_set1_ps(wr.d));
                acc[r][q] = _mm512_add_ps(acc[r][q], _mm512_mul_ps(_mm512_cvtepi32_ps(si), d));
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int q = 0; q < Q; ++q) {
            float v[4], m[4];
            hsum_groups(acc[r][q], v);
            hsum_groups(accm[r][q], m);
            for (int k = 0; k < 4; ++k) {
                const int64_t t = t0 + 4 * q + k;
                if (t < n_tokens) {
                    y[size_t(t) * y_stride + size_t(y_row0 + r)] = F::kTerm == Term::Mins ? v[k] - m[k] : v[k];
                }
            }
        }
    }
}

// Tiles of 3 rows x 2 token quads measured best on synth512-q4_k_m
// (best of 5 interleaved pp256 runs: 3x2 2531, 2x3 2477, 2x2 2390-2514, 4x1 2316 t/s).
constexpr int kRows = 3;
constexpr int kQuads = 2;

// The tile for `rows` rows (1 <= rows <= R) with rows as a template argument.
template <class F, int R, int Q>
void tile_rows(int rows, int64_t nb, const SuperRow* w, const ActQuadSuper* act, int64_t t0, int64_t n_tokens,
               float* y, size_t y_stride, int64_t y_row0) {
    if constexpr (R > 1) {
        if (rows < R) return tile_rows<F, R - 1, Q>(rows, nb, w, act, t0, n_tokens, y, y_stride, y_row0);
    }
    tile<F, R, Q>(nb, w, act, t0, n_tokens, y, y_stride, y_row0);
}

template <class F>
void gemm_tokens(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride) {
    const int64_t nb = n / QK_K;
    const ActQuadSuper* act = prepare_act_quads(a, a_row_bytes, n_tokens, nb, F::kOffset);
    const int64_t nq = (n_tokens + 3) / 4;
    // About 16 KB of unpacked rows stay in L1 while every token tile passes.
    const int64_t panel_rows = (16384 / int64_t(sizeof(SuperRow) * size_t(nb)) / kRows + 1) * kRows;
    static thread_local Scratch buf;
    auto* panel = static_cast<SuperRow*>(buf.get(size_t(panel_rows * nb) * sizeof(SuperRow)));
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = n_rows - p0 < panel_rows ? n_rows - p0 : panel_rows;
        for (int64_t r = 0; r < pr; ++r) {
            const auto* b = reinterpret_cast<const typename F::Block*>(wb + size_t(p0 + r) * w_row_bytes);
            for (int64_t i = 0; i < nb; ++i) F::unpack(b[i], panel[r * nb + i]);
        }
        // Whole tiles of kQuads quads, then the remaining quads one at a time.
        for (int64_t q0 = 0, step; q0 < nq; q0 += step) {
            step = nq - q0 >= kQuads ? kQuads : 1;
            for (int64_t r = 0; r < pr; r += kRows) {
                const int rows = int(pr - r < kRows ? pr - r : kRows);
                if (step == kQuads) {
                    tile_rows<F, kRows, kQuads>(rows, nb, panel + r * nb, act + q0 * nb, 4 * q0, n_tokens, y, y_stride,
                                         p0 + r);
                } else {
                    tile_rows<F, kRows, 1>(rows, nb, panel + r * nb, act + q0 * nb, 4 * q0, n_tokens, y, y_stride, p0 + r);
                }
            }
        }
    }
}

// A single token, one row at a time (rows read in memory order): the row's
// super-block fills four registers, each multiplied with the activation
// groups in the same order; the 16 lanes (4 groups x 4 lane classes) fold to
// the 4 lanes of SIMD128's sumi by exact integer adds.
struct alignas(64) ActRowSuper {
    __m512i g[4];     // groups in the weight format's kRowGroups order
    __m512i corr[4];  // their offset corrections, same order (formats with kOffset)
    __m128i bs_lo, bs_hi;
    float d;
};

template <class F>
void gemv_rows(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, float* y) {
    const int64_t nb = n / QK_K;
    static thread_local Scratch buf;
    auto* act = static_cast<ActRowSuper*>(buf.get(size_t(nb) * sizeof(ActRowSuper)));
    const auto* ab = static_cast<const block_q8_K*>(a);
    for (int64_t i = 0; i < nb; ++i) {
        alignas(64) int8_t g[4][64];
        alignas(64) int32_t c[4][16] = {};
        for (int k = 0; k < 16; ++k) {
            const __m128i v = lane_class_order(load16(ab[i].qs + 16 * F::kRowGroups[k]));
            _mm_store_si128(reinterpret_cast<__m128i*>(&g[k / 4][16 * (k % 4)]), v);
            if (F::kOffset) {
                _mm_store_si128(reinterpret_cast<__m128i*>(&c[k / 4][4 * (k % 4)]), offset_correction(v, F::kOffset));
            }
        }
        for (int z = 0; z < 4; ++z) {
            act[i].g[z] = _mm512_load_si512(g[z]);
            act[i].corr[z] = _mm512_load_si512(c[z]);
        }
        act[i].bs_lo = load16(ab[i].bsums);
        act[i].bs_hi = load16(ab[i].bsums + 8);
        act[i].d = ab[i].d;
    }
    const auto* wb = static_cast<const uint8_t*>(w);
    RowRegs u;
    for (int64_t r = 0; r < n_rows; ++r) {
        const auto* b = reinterpret_cast<const typename F::Block*>(wb + size_t(r) * w_row_bytes);
        __m128 acc = _mm_setzero_ps(), accm = _mm_setzero_ps();
        for (int64_t i = 0; i < nb; ++i) {
            F::row(b[i], u);
            const ActRowSuper& x = act[i];
            __m512i s = _mm512_setzero_si512();
            for (int z = 0; z < 4; ++z) {
                const __m512i start = F::kOffset ? x.corr[z] : _mm512_setzero_si512();
                s = _mm512_add_epi32(s, _mm512_mullo_epi32(_mm512_dpbusd_epi32(start, u.q[z], x.g[z]), u.sc[z]));
            }
            const __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
            __m128i sumi = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
            if (F::kTerm != Term::None) {
                const __m128i bsum =
                    _mm_add_epi32(_mm_madd_epi16(x.bs_lo, u.aux_lo), _mm_madd_epi16(x.bs_hi, u.aux_hi));
                if (F::kTerm == Term::Mins) {
                    accm = _mm_add_ps(accm, _mm_mul_ps(_mm_cvtepi32_ps(bsum), _mm_set1_ps(x.d * u.dmin)));
                } else {
                    sumi = _mm_sub_epi32(sumi, _mm_slli_epi32(bsum, 5));
                }
            }
            acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(sumi), _mm_set1_ps(x.d * u.d)));
        }
        y[r] = F::kTerm == Term::Mins ? hsum4(acc) - hsum4(accm) : hsum4(acc);
    }
}

template <class F>
void gemm_format(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride) {
    if (n_rows <= 0 || n_tokens <= 0) return;
    if (n_tokens == 1) {
        gemv_rows<F>(n, w, w_row_bytes, n_rows, a, y);
        return;
    }
    gemm_tokens<F>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

}  // namespace

#define QUANTLAB_GEMM_ARGS n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride

void gemm_q2_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q2K>(QUANTLAB_GEMM_ARGS);
}

void gemm_q4_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q4K>(QUANTLAB_GEMM_ARGS);
}

void gemm_q5_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q5K>(QUANTLAB_GEMM_ARGS);
}

void gemm_q6_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q6K>(QUANTLAB_GEMM_ARGS);
}

void gemm_q3_K_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q3K>(QUANTLAB_GEMM_ARGS);
}

void gemm_iq4_xs_q8_K_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                                 size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<IQ4XS>(QUANTLAB_GEMM_ARGS);
}

#undef QUANTLAB_GEMM_ARGS

}  // namespace quantlab

#include "formats/x86/target_avx512vnni_end.h"
