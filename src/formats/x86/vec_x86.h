// The x86 vector layer: what every native kernel body (the *_body.h files
// here and in src/model/x86) may use, so that each body is written once and
// compiled once per x86 level (Highway's idea, without Highway's size):
//
//   level       translation units                     vector type V              groups
//   avx512vnni  *_avx512vnni.cpp, target pragma        VecAvx512   (vec_avx512.h)  4
//   avxvnni     kernels_avxvnni.cpp, target pragma     VecAvxVnni  (vec_avx2.h)    2
//   avx2        *_avx2.cpp, target pragma              VecAvx2     (vec_avx2.h)    2
//   any         panel unpacking, remainders            V::Narrow = Vec128<...>     1
//
// A register of V holds V::kGroups 128-bit groups; every byte shuffle, shift
// and multiply-add works inside a group, exactly as a SIMD128 register, so a
// kernel lays out "one SIMD128 register's worth" per group (a token, a block,
// a 16-value group) and the same code is right at every width. Members, all
// static and inline (the ones a body does not call need not exist):
//
//   I, F                       integer and float register types
//   kGroups, kFloats           128-bit groups (1, 2, 4) and float lanes per register
//   kVnni                      dot_us is one vpdpbusd (any unsigned byte exact)
//   Narrow                     the 128-bit backend of the same level
//   load, store, zero, set1_i8/i16/i32/i64, bcast128, bcast_pair, load_groups,
//   load_halves32, set_groups_u32, from_groups                       integer data
//   and_, or_, xor_, add_i8, sub_i8, add_i32, sub_i32, mullo_i32, madd_i16, slli/srli_i16<n>,
//   srl_i16, srl_i16_groups, slli_i32<n>, shuffle_i8, select_bits_i8, blend_groups,
//   lane_class_order, abs_i8, sign_i8, group_scales_i32, fold_to_128,
//   sum_in_groups_i32                                                integer ops
//   dot_us(acc, u, s)          acc + per int32 lane the sum of 4 products
//                              u (unsigned byte) * s (signed byte)
//   load_f, store_f, set1_f, zero_f, add_f, sub_f, mul_f, cvt_f, bcast128_f,
//   group_floats, halves_to_groups, hsum_groups, add_groups_in_order float ops
//   (256 bits: halves_to_groups_x2, two registers' halves in one conversion)
//   (quantize and attention bodies: abs_f, max_f, reduce_max, trunc_f, ge_f,
//   lt_f, unordered_f, any, all, masked_f, cvtt_i32, store_i32_as_i8, cast_fi,
//   cast_if, max_i32, gt_i32, masked_i32, andnot_)
//
// The one arithmetic difference between levels is dot_us. With VNNI it is
// vpdpbusd, exact for every byte pair. Without, it is vpmaddubsw + vpmaddwd,
// which saturates a 16-bit pair sum: it is exact only when u <= 128 (and
// s >= -127, true of every Q8 activation quantizer: round(x / (max/127))).
// So every weight format says how its values become unsigned (kOffset, the
// activations' lane sums times -kOffset start the accumulator) and how large
// they get (kMaxU); a body uses dot_us on u = w + kOffset when that is exact
// and, on levels without VNNI when kMaxU > 128, dot_us(acc, abs_i8(w),
// sign_i8(s, w)) on the signed w (ggml's AVX2 trick; |w| <= 128). Either way
// the int32 lanes hold the exact integer sums, the same ones SIMD128's
// i32x4.dot_i16x8 makes, and the float steps that follow are the same
// operations in the same order, so results are bit-identical at every level.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace quantlab::x86 {
namespace {

// How a backend's dot_us is made: vpmaddubsw + vpmaddwd (AVX2), or vpdpbusd
// in its AVX-512 VNNI (EVEX) or AVX-VNNI (VEX) encoding: the same instruction.
enum class DotKind { MaddUbs, VnniEvex, VnniVex };

// A growable 64-byte-aligned buffer, one per use and thread (thread_local).
struct Scratch {
    void* p = nullptr;
    size_t cap = 0;
    ~Scratch() { std::free(p); }
    void* get(size_t bytes) {
        if (bytes > cap) {
            std::free(p);
            cap = (bytes + 63) & ~size_t(63);
            p = std::aligned_alloc(64, cap);
            if (!p) {
                cap = 0;
                throw std::bad_alloc();
            }
        }
        return p;
    }
};

// Byte k of a 16-value group goes to slot 4j + m so that slots 4j..4j+3 hold
// positions {2j, 2j+1, 2j+8, 2j+9}: the four bytes one int32 lane of dot_us
// sums are then one SIMD128 lane class (lane j of i32x4.dot_i16x8 over the
// group's two int16 halves).
alignas(16) constexpr int8_t kLaneClassOrder[16] = {0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15};

}  // namespace
}  // namespace quantlab::x86
