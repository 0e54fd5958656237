// The gemm of the lattice i-quants IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS and IQ3_S with Q8_K activations: format structs for the super-block body
// (superblock_gemm_body.h), which does the rest at every level.
//
// Why this equals the SIMD128 kernels bit for bit: their gemm and vec_dot
// (simd128/iq1_quants_*, iq2_quants_*, iq3_quants_*) form one i32x4 sumi
// per super-block whose lane j is the exact sum, over positions p = 2j, 2j+1
// (mod 8), of odd_scale(p) * v(p) * a(p), v the signed grid coordinate (IQ1:
// 8 g +- 1, iq1_unpack_simd128.h); then acc += float(sumi) * (d_a * d_w)
// with d_w = d / 8 (IQ1, IQ2), d / 4 (IQ3_XXS), d (IQ3_S), and the result is
// hsum(acc). That is the body's Term::None with the 16-value groups' odd
// scales 2s + 1 (<= 31, one byte) as the group scales. The signed values
// (|v| <= 9 for IQ1, 43 for IQ2, 62 for IQ3) enter as u = v + 64 <= 126:
// exact for vpmaddubsw (2 * 126 * 128 < 2^15) and vpdpbusd; the body's
// offset correction takes the 64 back exactly.
//
// Decoding: a format gives, per 32-value sub-block, its two 16-value groups'
// grid bytes and signs as 128-bit pieces; the pieces of G groups are joined
// into one register and signed (the format's signed_values), offset and put
// in lane-class order there (lattice_row).
#pragma once

#include <cstring>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/iq_grids.h"
#include "formats/ref/iq2_search.h"
#include "formats/simd128/iq1_unpack_simd128.h"
#include "formats/simd128/iq2_unpack_simd128.h"
#include "formats/simd128/iq3_unpack_simd128.h"
#include "formats/x86/superblock_gemm_body.h"

namespace quantlab::x86 {
namespace {
namespace superblock {

// |grid coordinate| <= 62 for every lattice format here.
constexpr int kLatticeOffset = 64;

inline __m128i u64_pair(uint64_t lo, uint64_t hi) { return _mm_set_epi64x(int64_t(hi), int64_t(lo)); }

// Four 4-byte grid points of IQ3 as one group.
inline __m128i points4(const uint32_t* grid, unsigned i0, unsigned i1, unsigned i2, unsigned i3) {
    return _mm_setr_epi32(int(grid[i0]), int(grid[i1]), int(grid[i2]), int(grid[i3]));
}

// Scale codes are gathered in registers, not stored byte by byte to memory
// and read back as a vector (a store-forwarding stall measured at ~12 % of
// the single-token kernel's time).

// The odd scales 2s + 1 of 16 codes s (byte g: group g's).
inline __m128i odd_scales(__m128i codes) { return _mm_add_epi8(_mm_add_epi8(codes, codes), _mm_set1_epi8(1)); }

// The same from 8 codes, one per 32 values (byte ib of codes8), each for both of its groups.
inline __m128i odd_scales_per32(uint64_t codes8) {
    return odd_scales(_mm_shuffle_epi8(_mm_cvtsi64_si128(int64_t(codes8)), _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)));
}

// 8 codes from bytes p[0], p[stride], ... shifted right by shift and masked.
inline uint64_t strided_codes(const uint8_t* p, int stride, int shift, unsigned mask) {
    uint64_t c = 0;
    for (int ib = 0; ib < 8; ++ib) c |= uint64_t((p[stride * ib] >> shift) & mask) << (8 * ib);
    return c;
}

// 16 codes from 8 bytes of two nibbles (low nibble first), as IQ2_XS / IQ2_S store them.
inline __m128i nibble_codes(const uint8_t* p) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), m4 = _mm_set1_epi8(0x0F);
    return _mm_unpacklo_epi8(_mm_and_si128(v, m4), _mm_and_si128(_mm_srli_epi16(v, 4), m4));
}

// A super-block of format F as 16 / W::kGroups registers of u = v + 64 in
// lane-class order, group g in group g % G of register g / G (row_group).
template <class W, class F>
void lattice_row(const typename F::Block& b, typename W::I* q) {
    constexpr int G = W::kGroups;
    __m128i grid[16], signs[16];
    for (int ib = 0; ib < QK_K / 32; ++ib) F::pieces(b, ib, grid + 2 * ib, signs + 2 * ib);
    const auto offset = W::set1_i8(int8_t(kLatticeOffset));
    for (int z = 0; z < 16 / G; ++z) {
        const auto v = F::template signed_values<W>(W::from_groups(grid + G * z), W::from_groups(signs + G * z));
        q[z] = W::lane_class_order(W::add_i8(v, offset));
    }
}

// What the lattice formats share; F names the format for lattice_row.
template <class F, GgmlType T, class B, int GroupsPerScale>
struct Lattice {
    static constexpr GgmlType kType = T;
    using Block = B;
    static constexpr Term kTerm = Term::None;
    static constexpr int kGroupsPerScale = GroupsPerScale, kOffset = kLatticeOffset, kMaxU = kLatticeOffset + 62;
    static constexpr int row_group(int G, int z, int lane) { return G * z + lane; }
    template <class W>
    static void row(const Block& b, typename W::I* q) {
        lattice_row<W, F>(b, q);
    }
    // Grid bytes g under sign masks m (0x00 / 0xff per byte): (g ^ m) - m = +-g.
    template <class W>
    static typename W::I signed_values(typename W::I g, typename W::I m) {
        return W::sub_i8(W::xor_(g, m), m);
    }
};

// IQ1_S / IQ1_M: values 8 g + delta_sign, g in {-1, 0, 1} (kIq1sGrid bytes);
// pieces give the 8 g bytes and the delta signs (+-1 bytes).
template <class F, GgmlType T, class B, int GroupsPerScale>
struct IQ1 : Lattice<F, T, B, GroupsPerScale> {
    template <class W>
    static typename W::I signed_values(typename W::I g8, typename W::I delta) {
        return W::add_i8(g8, delta);
    }
    // Grid point i's bytes times 8 (each byte's own bits: the masked shift drops what crosses bytes).
    static uint64_t grid_times8(int i) { return (kIq1sGrid[i] << 3) & 0xF8F8F8F8F8F8F8F8ULL; }
    // Eight delta signs: 0x01 bytes, or 0xff where bit is 1. Arithmetic, not a
    // select: compilers made the select a branch on random data (IQ1_M tg -25 %).
    static uint64_t delta_bytes(unsigned bit) { return 0x0101010101010101ULL | (0xFEFEFEFEFEFEFEFEULL & (0 - uint64_t(bit))); }
    static Scales scales(const B& b, __m128i odd) { return {odd, _mm256_setzero_si256(), simd::iq1_unpacked_d(b), 0.0f}; }
};

// IQ1_S: per 32 values a qh word: 3 index bits per point, the scale code in
// bits 12..14, the delta's sign in bit 15 (simd::unpack_iq1_superblock).
struct IQ1S : IQ1<IQ1S, GgmlType::IQ1_S, block_iq1_s, 2> {
    static void pieces(const Block& b, int ib, __m128i* grid, __m128i* delta) {
        const unsigned qh = b.qh[ib];
        const uint8_t* qs = b.qs + 4 * ib;
        const uint64_t d = delta_bytes((qh >> 15) & 1);
        for (int h = 0; h < 2; ++h) {
            const int l = 2 * h;
            grid[h] = u64_pair(grid_times8(qs[l] | int((qh >> (3 * l)) & 7) << 8),
                               grid_times8(qs[l + 1] | int((qh >> (3 * (l + 1))) & 7) << 8));
            delta[h] = u64_pair(d, d);
        }
    }
    static Scales scales(const Block& b) {
        return IQ1::scales(b, odd_scales_per32(strided_codes(reinterpret_cast<const uint8_t*>(b.qh) + 1, 2, 4, 7)));
    }
};

// IQ1_M: per 8 values a nibble of qh (3 index bits, the delta's sign), a
// 3-bit scale code per 16 values (simd::unpack_iq1_superblock).
struct IQ1M : IQ1<IQ1M, GgmlType::IQ1_M, block_iq1_m, 1> {
    static void pieces(const Block& b, int ib, __m128i* grid, __m128i* delta) {
        const uint8_t* qs = b.qs + 4 * ib;
        for (int h = 0; h < 2; ++h) {
            const unsigned nib = b.qh[2 * ib + h];
            grid[h] = u64_pair(grid_times8(qs[2 * h] | int(nib & 7) << 8), grid_times8(qs[2 * h + 1] | int((nib >> 4) & 7) << 8));
            delta[h] = u64_pair(delta_bytes((nib >> 3) & 1), delta_bytes((nib >> 7) & 1));
        }
    }
    // Group g's code: bits 3 (g % 4) .. +2 of 16-bit word g / 4 (the top nibbles hold d).
    static Scales scales(const Block& b) {
        uint64_t words;
        std::memcpy(&words, b.scales, sizeof words);
        const uint64_t packed = _pext_u64(words, 0x0FFF0FFF0FFF0FFFULL);  // 16 3-bit codes in order
        const uint64_t lo = _pdep_u64(packed, 0x0707070707070707ULL), hi = _pdep_u64(packed >> 24, 0x0707070707070707ULL);
        return IQ1::scales(b, odd_scales(_mm_set_epi64x(int64_t(hi), int64_t(lo))));
    }
};

// IQ2_XXS / IQ2_XS / IQ2_S: a sub-block's four 8-value grid points, sign
// bytes and scale codes as the reference reads them (iq2::sub_block); the
// float scale is d / 8 (simd::iq2_unpacked_d).
template <GgmlType T, class B, int GroupsPerScale>
struct IQ2 : Lattice<IQ2<T, B, GroupsPerScale>, T, B, GroupsPerScale> {
    static void pieces(const B& b, int ib, __m128i* grid, __m128i* mask) {
        const iq2::SubBlock sb = iq2::sub_block(b, ib);
        const uint64_t* sign_bytes = simd::kIq2SignTables.bytes;
        for (int h = 0; h < 2; ++h) {
            grid[h] = u64_pair(sb.grid[2 * h], sb.grid[2 * h + 1]);
            mask[h] = u64_pair(sign_bytes[sb.signs[2 * h]], sign_bytes[sb.signs[2 * h + 1]]);
        }
    }
    static Scales scales(const B& b) { return {odd_scales(codes(b)), _mm256_setzero_si256(), simd::iq2_unpacked_d(b), 0.0f}; }
    // IQ2_XXS: one code per 32 values, the top nibble of its second 32-bit word (byte 7 of 8).
    static __m128i codes(const block_iq2_xxs& b) {
        const __m128i c8 = _mm_cvtsi64_si128(int64_t(strided_codes(reinterpret_cast<const uint8_t*>(b.qs) + 7, 8, 4, 15)));
        return _mm_shuffle_epi8(c8, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
    }
    template <class Nibbles>
    static __m128i codes(const Nibbles& b) {
        return nibble_codes(b.scales);
    }
};
using IQ2XXS = IQ2<GgmlType::IQ2_XXS, block_iq2_xxs, 2>;
using IQ2XS = IQ2<GgmlType::IQ2_XS, block_iq2_xs, 1>;
using IQ2S = IQ2<GgmlType::IQ2_S, block_iq2_s, 1>;

// IQ3_XXS: 8-bit indices of 4-value points; per sub-block a word of four
// 7-bit sign indices (8 values each) and the scale code; d / 4.
struct IQ3XXS : Lattice<IQ3XXS, GgmlType::IQ3_XXS, block_iq3_xxs, 2> {
    static void pieces(const Block& b, int ib, __m128i* grid, __m128i* mask) {
        const uint8_t* qs = b.qs + 8 * ib;
        const uint32_t aux = simd::iq3xxs_signs_scale(b, ib);
        for (int h = 0; h < 2; ++h) {
            grid[h] = points4(kIq3xxsGrid, qs[4 * h], qs[4 * h + 1], qs[4 * h + 2], qs[4 * h + 3]);
            mask[h] = u64_pair(kIq2xsSignBytes[(aux >> (14 * h)) & 127], kIq2xsSignBytes[(aux >> (14 * h + 7)) & 127]);
        }
    }
    static Scales scales(const Block& b) {  // the top nibble of byte 3 of each word
        return {odd_scales_per32(strided_codes(b.qs + QK_K / 4 + 3, 4, 4, 15)), _mm256_setzero_si256(), _cvtsh_ss(b.d) * 0.25f, 0.0f};
    }
};

// IQ3_S: 9-bit indices (qs, ninth bit m of qh[ib] for point m), raw sign
// bytes, two 4-bit scale codes a byte; d.
struct IQ3S : Lattice<IQ3S, GgmlType::IQ3_S, block_iq3_s, 2> {
    static void pieces(const Block& b, int ib, __m128i* grid, __m128i* mask) {
        const uint8_t* qs = b.qs + 8 * ib;
        const unsigned qh = b.qh[ib];
        const uint64_t* sign_bytes = simd::kIq2SignTables.bytes;
        for (int h = 0; h < 2; ++h) {
            unsigned idx[4];
            for (int m = 0; m < 4; ++m) idx[m] = qs[4 * h + m] | (((qh >> (4 * h + m)) & 1) << 8);
            grid[h] = points4(kIq3sGrid, idx[0], idx[1], idx[2], idx[3]);
            mask[h] = u64_pair(sign_bytes[b.signs[4 * ib + 2 * h]], sign_bytes[b.signs[4 * ib + 2 * h + 1]]);
        }
    }
    static Scales scales(const Block& b) {  // nibble ib of the four scale bytes
        uint32_t packed;
        std::memcpy(&packed, b.scales, sizeof packed);
        return {odd_scales_per32(_pdep_u64(packed, 0x0F0F0F0F0F0F0F0FULL)), _mm256_setzero_si256(), _cvtsh_ss(b.d), 0.0f};
    }
};

}  // namespace superblock
}  // namespace
}  // namespace quantlab::x86
