// AVX-512 VNNI gemm of the 32-value formats: Q4_0, Q5_0, Q8_0, IQ4_NL with
// Q8_0 activations, Q4_1 and Q5_1 with Q8_1 activations.
//
// Why the results equal the SIMD128 kernels bit for bit: the SIMD128 vec_dot
// and gemm of these formats (formats/simd128/gemm_block32_simd128.h) sum each
// block's products into four int32 lanes, lane j holding block positions
// P(j) = {2j, 2j+1, 2j+8, 2j+9, 16+2j, 17+2j, 24+2j, 25+2j}, then do
// acc_j += float(lane_j) * (d_w * d_a) and return (acc_0 + acc_2) + (acc_1 + acc_3)
// (plus, for Q4_1/Q5_1, the block-by-block float sum of m_w * s_a).
// Here both operands are permuted within each 16-value half so that the four
// bytes vpdpbusd multiplies into one int32 are positions of the same P(j):
// two vpdpbusd (positions 0..15 and 16..31) give exactly lane_j, because
// integer sums are exact in any order. The float steps are then the same
// operations on the same values, one 128-bit group per (row, token).
//
// vpdpbusd multiplies unsigned by signed bytes, so weights enter as w + 128
// (w ^ 0x80) and each lane starts from -128 * sum(a over P(j)): again exact.
//
// Layout: a zmm register holds 4 tokens (gemm) or 4 consecutive blocks of
// one row (single token) x the 4 lanes. Sources for the method: ggml's
// AVX-512 VNNI dot products and llamafile's tinyBLAS (tiles of rows x
// tokens); the lane bookkeeping is ours.
#include "formats/x86/legacy_quants_gemm_avx512vnni.h"

#include "formats/x86/intrinsics.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/half.h"
#include "formats/block_types.h"

#include "formats/x86/target_avx512vnni_begin.h"
#include "formats/x86/avx512vnni_common.h"

namespace quantlab {

namespace {

// ---- weight formats: decode(block) -> signed values of positions 0..15, 16..31

// Q5_0/Q5_1's qh: bit k -> 0x10 in byte k (lo: bits 0..15, hi: bits 16..31).
inline void fifth_bits(const uint8_t* qh_bytes, __m128i* lo, __m128i* hi) {
    uint32_t qh;
    std::memcpy(&qh, qh_bytes, sizeof qh);
    const __m128i all = _mm_set1_epi32(int(qh));
    const __m128i bit = _mm_set1_epi64x(int64_t(0x8040201008040201ULL));
    const __m128i h = _mm_set1_epi8(0x10);
    const __m128i bl = _mm_shuffle_epi8(all, _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const __m128i bh = _mm_shuffle_epi8(all, _mm_setr_epi8(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    *lo = _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(bl, bit), bit), h);
    *hi = _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(bh, bit), bit), h);
}

// load4(blocks, i, &lo, &hi) (when kHasLoad4) gives block i of four block
// arrays as w + 128 in lane-class order, array k in 128-bit lane k; without
// it the single-token path decodes block by block.

struct Q8_0 {
    using Block = block_q8_0;
    using Act = block_q8_0;
    static constexpr bool kAffine = false;
    static constexpr bool kHasLoad4 = true;
    static void decode(const Block& b, __m128i* lo, __m128i* hi) {
        *lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        *hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16));
    }
    static void load4(const Block* const rows[4], int64_t i, __m512i* lo, __m512i* hi) {
        // [lo0 hi0 lo1 hi1] and [lo2 hi2 lo3 hi3], then the lo and hi halves gathered.
        const __m512i r01 = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[0][i].qs))),
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[1][i].qs)), 1);
        const __m512i r23 = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[2][i].qs))),
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[3][i].qs)), 1);
        const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
        *lo = lane_class_order_x4(_mm512_xor_si512(_mm512_shuffle_i64x2(r01, r23, _MM_SHUFFLE(2, 0, 2, 0)), flip));
        *hi = lane_class_order_x4(_mm512_xor_si512(_mm512_shuffle_i64x2(r01, r23, _MM_SHUFFLE(3, 1, 3, 1)), flip));
    }
};

// The 16 qs bytes of block i of four block arrays, array k in 128-bit lane k, already
// in lane-class order (so both nibbles of a byte are).
template <class Block>
inline __m512i load4_nibbles(const Block* const rows[4], int64_t i) {
    auto ld = [&](int k) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[k][i].qs)); };
    const __m256i r01 = _mm256_inserti128_si256(_mm256_castsi128_si256(ld(0)), ld(1), 1);
    const __m256i r23 = _mm256_inserti128_si256(_mm256_castsi128_si256(ld(2)), ld(3), 1);
    return lane_class_order_x4(_mm512_inserti64x4(_mm512_castsi256_si512(r01), r23, 1));
}

struct Q4_0 {
    using Block = block_q4_0;
    using Act = block_q8_0;
    static constexpr bool kAffine = false;
    static constexpr bool kHasLoad4 = true;
    static void decode(const Block& b, __m128i* lo, __m128i* hi) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m128i m4 = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
        *lo = _mm_sub_epi8(_mm_and_si128(q, m4), eight);
        *hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), m4), eight);
    }
    static void load4(const Block* const rows[4], int64_t i, __m512i* lo, __m512i* hi) {
        const __m512i q = load4_nibbles(rows, i);
        const __m512i m4 = _mm512_set1_epi8(0x0F), off = _mm512_set1_epi8(120);  // (nibble - 8) + 128
        *lo = _mm512_add_epi8(_mm512_and_si512(q, m4), off);
        *hi = _mm512_add_epi8(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), off);
    }
};

struct Q5_0 {
    using Block = block_q5_0;
    using Act = block_q8_0;
    static constexpr bool kAffine = false;
    static constexpr bool kHasLoad4 = false;
    static void decode(const Block& b, __m128i* lo, __m128i* hi) {
        __m128i hl, hh;
        fifth_bits(b.qh, &hl, &hh);
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m128i m4 = _mm_set1_epi8(0x0F), sixteen = _mm_set1_epi8(16);
        *lo = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(q, m4), hl), sixteen);
        *hi = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(_mm_srli_epi16(q, 4), m4), hh), sixteen);
    }
};

struct IQ4_NL {
    using Block = block_iq4_nl;
    using Act = block_q8_0;
    static constexpr bool kAffine = false;
    static constexpr bool kHasLoad4 = true;
    static void decode(const Block& b, __m128i* lo, __m128i* hi) {
        const __m128i table = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues));
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m128i m4 = _mm_set1_epi8(0x0F);
        *lo = _mm_shuffle_epi8(table, _mm_and_si128(q, m4));
        *hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), m4));
    }
    static void load4(const Block* const rows[4], int64_t i, __m512i* lo, __m512i* hi) {
        const __m512i table = _mm512_xor_si512(
            _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues))),
            _mm512_set1_epi8(int8_t(0x80)));
        const __m512i q = load4_nibbles(rows, i);
        const __m512i m4 = _mm512_set1_epi8(0x0F);
        *lo = _mm512_shuffle_epi8(table, _mm512_and_si512(q, m4));
        *hi = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(q, 4), m4));
    }
};

// Q4_1/Q5_1: unsigned values times d plus a minimum m; they pair with Q8_1
// activations, whose s = d_a * sum(a) carries the m term
// (result = sum(acc) + sum over blocks of m * s, as the SIMD128 vec_dot).
struct Q4_1 {
    using Block = block_q4_1;
    using Act = block_q8_1;
    static constexpr bool kAffine = true;
    static constexpr bool kHasLoad4 = true;
    static void decode(const Block& b, __m128i* lo, __m128i* hi) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m128i m4 = _mm_set1_epi8(0x0F);
        *lo = _mm_and_si128(q, m4);
        *hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
    }
    static void load4(const Block* const rows[4], int64_t i, __m512i* lo, __m512i* hi) {
        const __m512i q = load4_nibbles(rows, i);
        const __m512i m4 = _mm512_set1_epi8(0x0F), off = _mm512_set1_epi8(int8_t(0x80));
        *lo = _mm512_or_si512(_mm512_and_si512(q, m4), off);
        *hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), off);
    }
};

struct Q5_1 {
    using Block = block_q5_1;
    using Act = block_q8_1;
    static constexpr bool kAffine = true;
    static constexpr bool kHasLoad4 = false;
    static void decode(const Block& b, __m128i* lo, __m128i* hi) {
        __m128i hl, hh;
        fifth_bits(b.qh, &hl, &hh);
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m128i m4 = _mm_set1_epi8(0x0F);
        *lo = _mm_or_si128(_mm_and_si128(q, m4), hl);
        *hi = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(q, 4), m4), hh);
    }
};

// ---- activations

// One block of four tokens (or, for a single token, four consecutive blocks):
// permuted halves, offset corrections, scales.
struct alignas(64) ActQuadBlock {
    int8_t a0[64], a1[64];
    int32_t c[16];
    float d[16];
    float s[16];  // Q8_1's s (d * sum), token k in lanes 4k..4k+3
};
static_assert(sizeof(ActQuadBlock) == 320, "ActQuadBlock is five zmm registers");

// A is block_q8_0 or block_q8_1 (whose s goes to *s).
template <class A>
inline void prepare_act_block(const A& b, int8_t* a0, int8_t* a1, int32_t* c, float* d, float* s) {
    if constexpr (sizeof(A) == sizeof(block_q8_1)) {
        *s = fp16_to_fp32(b.s);
    } else {
        *s = 0.0f;
    }
    const __m128i p0 = lane_class_order(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs)));
    const __m128i p1 = lane_class_order(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(a0), p0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(a1), p1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c), weight_offset_correction(p0, p1));
    *d = fp16_to_fp32(b.d);
}

// Tokens in quads (the last padded with zero rows), blocks inner.
template <class A>
ActQuadBlock* prepare_act_quads(const void* a, size_t a_row_bytes, int64_t n_tokens, int64_t nb) {
    static thread_local Scratch buf;
    const int64_t nq = (n_tokens + 3) / 4;
    auto* out = static_cast<ActQuadBlock*>(buf.get(size_t(nq * nb) * sizeof(ActQuadBlock)));
    for (int64_t q = 0; q < nq; ++q) {
        for (int64_t i = 0; i < nb; ++i) {
            ActQuadBlock& o = out[q * nb + i];
            for (int k = 0; k < 4; ++k) {
                const int64_t t = 4 * q + k;
                if (t < n_tokens) {
                    const auto* b =
                        reinterpret_cast<const A*>(static_cast<const uint8_t*>(a) + size_t(t) * a_row_bytes);
                    float d, sa;
                    prepare_act_block(b[i], o.a0 + 16 * k, o.a1 + 16 * k, o.c + 4 * k, &d, &sa);
                    for (int j = 0; j < 4; ++j) {
                        o.d[4 * k + j] = d;
                        o.s[4 * k + j] = sa;
                    }
                } else {
                    std::memset(o.a0 + 16 * k, 0, 16);
                    std::memset(o.a1 + 16 * k, 0, 16);
                    std::memset(o.c + 4 * k, 0, 16);
                    for (int j = 0; j < 4; ++j) o.d[4 * k + j] = o.s[4 * k + j] = 0.0f;
                }
            }
        }
    }
    return out;
}

// ---- weights: a panel of rows as permuted w + 128 bytes and float scales

template <class F>
void unpack_panel(const void* w, size_t row_bytes, int64_t rows, int64_t nb, uint8_t* q, float* d, float* m) {
    const __m128i flip = _mm_set1_epi8(int8_t(0x80));
    for (int64_t r = 0; r < rows; ++r) {
        const auto* b = reinterpret_cast<const typename F::Block*>(static_cast<const uint8_t*>(w) + size_t(r) * row_bytes);
        for (int64_t i = 0; i < nb; ++i) {
            __m128i lo, hi;
            F::decode(b[i], &lo, &hi);
            uint8_t* o = q + size_t(r * nb + i) * 32;
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o), lane_class_order(_mm_xor_si128(lo, flip)));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), lane_class_order(_mm_xor_si128(hi, flip)));
            d[r * nb + i] = fp16_to_fp32(b[i].d);
            if constexpr (F::kAffine) m[r * nb + i] = fp16_to_fp32(b[i].m);
        }
    }
}

// R panel rows x Q token quads over all nb blocks.
template <int R, int Q, bool Affine>
void tile(int64_t nb, const uint8_t* wq, const float* wd, const float* wm, const ActQuadBlock* act, int64_t t0,
          int64_t n_tokens, float* y, size_t y_stride, int64_t y_row0) {
    __m512 acc[R][Q], summs[R][Q];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < Q; ++q) acc[r][q] = summs[r][q] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        __m512i a0[Q], a1[Q], c[Q];
        __m512 da[Q];
        for (int q = 0; q < Q; ++q) {
            const ActQuadBlock& ab = act[q * nb + i];
            a0[q] = _mm512_load_si512(ab.a0);
            a1[q] = _mm512_load_si512(ab.a1);
            c[q] = _mm512_load_si512(ab.c);
            da[q] = _mm512_load_ps(ab.d);
        }
        for (int r = 0; r < R; ++r) {
            const uint8_t* wb = wq + size_t(r * nb + i) * 32;
            const __m512i w0 = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wb)));
            const __m512i w1 = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + 16)));
            const __m512 dw = _mm512_set1_ps(wd[r * nb + i]);
            for (int q = 0; q < Q; ++q) {
                const __m512i s = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(c[q], w0, a0[q]), w1, a1[q]);
                const __m512 d = _mm512_mul_ps(dw, da[q]);
                acc[r][q] = _mm512_add_ps(acc[r][q], _mm512_mul_ps(_mm512_cvtepi32_ps(s), d));
                if (Affine) {
                    const __m512 sa = _mm512_load_ps(act[q * nb + i].s);
                    summs[r][q] = _mm512_add_ps(summs[r][q], _mm512_mul_ps(_mm512_set1_ps(wm[r * nb + i]), sa));
                }
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int q = 0; q < Q; ++q) {
            float v[4];
            hsum_groups(acc[r][q], v);
            alignas(64) float sm[16];
            _mm512_store_ps(sm, summs[r][q]);
            for (int k = 0; k < 4; ++k) {
                const int64_t t = t0 + 4 * q + k;
                if (t < n_tokens) y[size_t(t) * y_stride + size_t(y_row0 + r)] = Affine ? v[k] + sm[4 * k] : v[k];
            }
        }
    }
}

// 6 rows x 2 quads; 4x2 measured the same within 2 % on synth512-q4_0
// pp256 (best of 5 interleaved runs).
constexpr int kRows = 6;    // rows per tile
constexpr int kQuads = 2;   // token quads per tile

// The tile for `rows` rows (1 <= rows <= R) with rows as a template argument.
template <int R, int Q, bool Affine>
void tile_rows(int rows, int64_t nb, const uint8_t* wq, const float* wd, const float* wm, const ActQuadBlock* act,
               int64_t t0, int64_t n_tokens, float* y, size_t y_stride, int64_t y_row0) {
    if constexpr (R > 1) {
        if (rows < R) return tile_rows<R - 1, Q, Affine>(rows, nb, wq, wd, wm, act, t0, n_tokens, y, y_stride, y_row0);
    }
    tile<R, Q, Affine>(nb, wq, wd, wm, act, t0, n_tokens, y, y_stride, y_row0);
}

template <class F>
void gemm_tokens(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, size_t a_row_bytes,
                 int64_t n_tokens, float* y, size_t y_stride) {
    const int64_t nb = n / 32;
    const ActQuadBlock* act = prepare_act_quads<typename F::Act>(a, a_row_bytes, n_tokens, nb);
    const int64_t nq = (n_tokens + 3) / 4;
    // A panel of about 16 KB of unpacked rows stays in L1 while every token
    // tile passes over it.
    const int64_t panel_rows = (16384 / (36 * nb) / kRows + 1) * kRows;
    static thread_local Scratch qbuf, dbuf, mbuf;
    auto* pq = static_cast<uint8_t*>(qbuf.get(size_t(panel_rows * nb) * 32));
    auto* pd = static_cast<float*>(dbuf.get(size_t(panel_rows * nb) * sizeof(float)));
    auto* pm = static_cast<float*>(mbuf.get(size_t(panel_rows * nb) * sizeof(float)));
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t p0 = 0; p0 < n_rows; p0 += panel_rows) {
        const int64_t pr = n_rows - p0 < panel_rows ? n_rows - p0 : panel_rows;
        unpack_panel<F>(wb + size_t(p0) * w_row_bytes, w_row_bytes, pr, nb, pq, pd, pm);
        // Whole tiles of kQuads quads, then the remaining quads one at a time.
        for (int64_t q0 = 0, step; q0 < nq; q0 += step) {
            step = nq - q0 >= kQuads ? kQuads : 1;
            for (int64_t r = 0; r < pr; r += kRows) {
                const int rows = int(pr - r < kRows ? pr - r : kRows);
                const uint8_t* wq = pq + size_t(r * nb) * 32;
                const float *wd = pd + r * nb, *wm = pm + r * nb;
                constexpr bool A = F::kAffine;
                if (step == kQuads) {
                    tile_rows<kRows, kQuads, A>(rows, nb, wq, wd, wm, act + q0 * nb, 4 * q0, n_tokens, y, y_stride, p0 + r);
                } else {
                    tile_rows<kRows, 1, A>(rows, nb, wq, wd, wm, act + q0 * nb, 4 * q0, n_tokens, y, y_stride, p0 + r);
                }
            }
        }
    }
}

// Four blocks, block k in 128-bit lane k, as w + 128 in lane-class order:
// the format's load4 when it has one, else decoded one by one.
template <class F>
inline void load4(const typename F::Block* const blocks[4], __m512i* lo, __m512i* hi) {
    if constexpr (F::kHasLoad4) {
        F::load4(blocks, 0, lo, hi);
    } else {
        __m128i l[4], h[4];
        for (int k = 0; k < 4; ++k) F::decode(*blocks[k], &l[k], &h[k]);
        const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
        *lo = lane_class_order_x4(_mm512_xor_si512(
            _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(l[0]), l[1], 1)),
                _mm256_inserti128_si256(_mm256_castsi128_si256(l[2]), l[3], 1), 1),
            flip));
        *hi = lane_class_order_x4(_mm512_xor_si512(
            _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(h[0]), h[1], 1)),
                _mm256_inserti128_si256(_mm256_castsi128_si256(h[2]), h[3], 1), 1),
            flip));
    }
}

// A single token, one row at a time in memory order: four consecutive blocks
// fill a register (block k of the four in 128-bit lane k), and their four
// float products join the accumulator one block after another, exactly the
// SIMD128 order.
template <class F>
void gemv_rows(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a, float* y) {
    const int64_t nb = n / 32, nb4 = nb / 4;
    // The token-quad layout with the row's blocks standing in for tokens:
    // group g holds blocks 4g .. 4g+3 (block 4g+k in lane group k).
    using Act = typename F::Act;
    const ActQuadBlock* act4 = prepare_act_quads<Act>(a, sizeof(Act), nb, 1);
    const float* h2f = fp16_to_fp32_table();
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m128i flip = _mm_set1_epi8(int8_t(0x80));
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t r = 0; r < n_rows; ++r) {
        const auto* b = reinterpret_cast<const typename F::Block*>(wb + size_t(r) * w_row_bytes);
        __m128 acc = _mm_setzero_ps();
        float summs = 0.0f;  // Q4_1/Q5_1: sum of m * s, block by block
        for (int64_t g = 0; g < nb4; ++g) {
            const typename F::Block* blocks[4] = {b + 4 * g, b + 4 * g + 1, b + 4 * g + 2, b + 4 * g + 3};
            __m512i wl, wh;
            load4<F>(blocks, &wl, &wh);
            const ActQuadBlock& x = act4[g];
            const __m512i s = _mm512_dpbusd_epi32(
                _mm512_dpbusd_epi32(_mm512_load_si512(x.c), wl, _mm512_load_si512(x.a0)), wh,
                _mm512_load_si512(x.a1));
            const __m128 dw = _mm_setr_ps(h2f[blocks[0]->d], h2f[blocks[1]->d], h2f[blocks[2]->d], h2f[blocks[3]->d]);
            const __m512 d = _mm512_mul_ps(_mm512_permutexvar_ps(spread, _mm512_castps128_ps512(dw)),
                                           _mm512_load_ps(x.d));
            const __m512 p = _mm512_mul_ps(_mm512_cvtepi32_ps(s), d);
            acc = _mm_add_ps(acc, _mm512_castps512_ps128(p));
            acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(p, 1));
            acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(p, 2));
            acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(p, 3));
            if constexpr (F::kAffine) {
                for (int k = 0; k < 4; ++k) summs += h2f[blocks[k]->m] * x.s[4 * k];
            }
        }
        for (int64_t i = 4 * nb4; i < nb; ++i) {  // the last nb % 4 blocks, one at a time
            __m128i lo, hi;
            F::decode(b[i], &lo, &hi);
            const ActQuadBlock& x = act4[i / 4];
            const int k = int(i % 4);
            const __m128i s = _mm_dpbusd_epi32(
                _mm_dpbusd_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.c + 4 * k)),
                                 lane_class_order(_mm_xor_si128(lo, flip)),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.a0 + 16 * k))),
                lane_class_order(_mm_xor_si128(hi, flip)),
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.a1 + 16 * k)));
            acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(s), _mm_set1_ps(h2f[b[i].d] * x.d[4 * k])));
            if constexpr (F::kAffine) summs += h2f[b[i].m] * x.s[4 * k];
        }
        const float v = hsum4(acc);
        y[r] = F::kAffine ? v + summs : v;
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

void gemm_q4_0_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q4_0>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_q5_0_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q5_0>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_q8_0_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q8_0>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_iq4_nl_q8_0_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                                 size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<IQ4_NL>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_q4_1_q8_1_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q4_1>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

void gemm_q5_1_q8_1_avx512vnni(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                               size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride) {
    gemm_format<Q5_1>(n, w, w_row_bytes, n_rows, a, a_row_bytes, n_tokens, y, y_stride);
}

}  // namespace quantlab

#include "formats/x86/target_avx512vnni_end.h"
