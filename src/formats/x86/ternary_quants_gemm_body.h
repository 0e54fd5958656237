// The gemm of the ternary formats TQ1_0 and TQ2_0 with Q8_K activations:
// format structs for the super-block body (superblock_gemm_body.h).
//
// Why this equals the SIMD128 kernels bit for bit: their gemm and vec_dot
// (simd128/ternary_quants_*) add the whole super-block's products digit - 1
// times activation into one exact int32 and take one scalar float step,
// total += float(sum) * (d_a * d_w): the body's Term::BlockTotal. The digits
// (0..2, TQ2_0's fourth code 3) enter unsigned as stored, with offset 1
// (kMaxU 3: exact for vpmaddubsw and vpdpbusd).
#pragma once

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/ref/ternary_quants_ref.h"
#include "formats/x86/superblock_gemm_body.h"

namespace quantlab::x86 {
namespace {
namespace superblock {

// What both ternary formats share.
struct Ternary {
    static constexpr Term kTerm = Term::BlockTotal;
    static constexpr int kGroupsPerScale = 1, kOffset = 1, kMaxU = 3;
    template <class Block>
    static Scales block_scales(const Block& b) {
        return {_mm_set1_epi8(1), _mm256_setzero_si256(), _cvtsh_ss(b.d), 0.0f};
    }
};

// TQ2_0: 2-bit codes in Q2_K's layout (64 qs bytes, bit pair j of piece p).
struct TQ2 : Ternary {
    static constexpr GgmlType kType = GgmlType::TQ2_0;
    using Block = block_tq2_0;
    static constexpr int row_group(int G, int z, int lane) { return Q2K::row_group(G, z, lane); }
    static Scales scales(const Block& b) { return block_scales(b); }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        Q2K::two_bit_row<W>(b.qs, q);
    }
};

// TQ1_0: base-3 digits of bytes scaled to 0..255: digit t of byte x is
// ((x * 3^t) mod 256) * 3 >> 8 (ggml's layout, ternary_quants_ref.h). Each
// 16-bit lane multiplies its two bytes by pow (its lane's power of three).
inline __m128i trit_digits(__m128i bytes, __m128i pow) {
    const __m128i lo_byte = _mm_set1_epi16(0x00FF), hi_byte = _mm_set1_epi16(int16_t(0xFF00)), three = _mm_set1_epi16(3);
    const __m128i lo = _mm_and_si128(_mm_mullo_epi16(bytes, pow), lo_byte);
    const __m128i hi = _mm_and_si128(_mm_mullo_epi16(_mm_and_si128(bytes, hi_byte), pow), hi_byte);
    return _mm_or_si128(_mm_srli_epi16(_mm_mullo_epi16(lo, three), 8), _mm_slli_epi16(_mm_mulhi_epu16(hi, three), 8));
}

struct TQ1 : Ternary {
    static constexpr GgmlType kType = GgmlType::TQ1_0;
    using Block = block_tq1_0;
    static constexpr int row_group(int G, int z, int lane) { return G * z + lane; }
    static Scales scales(const Block& b) { return block_scales(b); }
    // Group g (values 16g..16g+15) of qs piece b0 / 16 and digit t, then
    // group 15 from qh (byte j, digit t: value 240 + j + 4t).
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        constexpr int G = W::kGroups;
        static constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
        __m128i groups[16];
        for (int b0 = 0; b0 < 48; b0 += 16) {
            const __m128i bytes = load16(b.qs + b0);
            for (int t = 0; t < 5; ++t) groups[tq1_0_qs_value(b0, t) / 16] = trit_digits(bytes, _mm_set1_epi16(kPow3[t]));
        }
        int32_t qh;
        std::memcpy(&qh, b.qh, sizeof qh);
        groups[15] = trit_digits(_mm_set1_epi32(qh), _mm_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27));
        for (int z = 0; z < 16 / G; ++z) q[z] = W::lane_class_order(W::from_groups(groups + G * z));
    }
};

}  // namespace superblock
}  // namespace
}  // namespace quantlab::x86
