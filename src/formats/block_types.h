// On-disk block layouts of the GGML formats (facts from ggml-common.h).
// Every struct is exactly the byte layout ggml writes; the static_asserts pin
// the sizes so a padding surprise can never silently change a file format.
#pragma once

#include <cstdint>

#include "core/half.h"

namespace quantlab {

constexpr int QK4_0 = 32;
constexpr int QK4_1 = 32;
constexpr int QK5_0 = 32;
constexpr int QK5_1 = 32;
constexpr int QK8_0 = 32;
constexpr int QK8_1 = 32;
constexpr int QK4_NL = 32;
constexpr int QK_K = 256;          // super-block size of the K-quants
constexpr int K_SCALE_SIZE = 12;   // packed 6-bit scales/mins of Q4_K and Q5_K

struct block_q4_0 {
    ggml_half d;                 // scale
    uint8_t qs[QK4_0 / 2];       // 4-bit values, low nibbles = first half of the block
};
static_assert(sizeof(block_q4_0) == 18, "block_q4_0 size");

struct block_q4_1 {
    ggml_half d;                 // scale
    ggml_half m;                 // minimum
    uint8_t qs[QK4_1 / 2];
};
static_assert(sizeof(block_q4_1) == 20, "block_q4_1 size");

struct block_q5_0 {
    ggml_half d;
    uint8_t qh[4];               // fifth bit of each of the 32 values
    uint8_t qs[QK5_0 / 2];
};
static_assert(sizeof(block_q5_0) == 22, "block_q5_0 size");

struct block_q5_1 {
    ggml_half d;
    ggml_half m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
};
static_assert(sizeof(block_q5_1) == 24, "block_q5_1 size");

struct block_q8_0 {
    ggml_half d;
    int8_t qs[QK8_0];
};
static_assert(sizeof(block_q8_0) == 34, "block_q8_0 size");

struct block_q8_1 {
    ggml_half d;
    ggml_half s;                 // d * sum(qs), used by the Q4_1/Q5_1 dot products
    int8_t qs[QK8_1];
};
static_assert(sizeof(block_q8_1) == 36, "block_q8_1 size");

struct block_q2_K {
    uint8_t scales[QK_K / 16];   // 4-bit scale (low) and 4-bit min (high) per 16 values
    uint8_t qs[QK_K / 4];        // 2-bit quants
    ggml_half d;                 // super-block scale of the scales
    ggml_half dmin;              // super-block scale of the mins
};
static_assert(sizeof(block_q2_K) == 84, "block_q2_K size");

struct block_q3_K {
    uint8_t hmask[QK_K / 8];     // high bit of each 3-bit quant
    uint8_t qs[QK_K / 4];        // low 2 bits
    uint8_t scales[12];          // 16 6-bit scales, packed
    ggml_half d;
};
static_assert(sizeof(block_q3_K) == 110, "block_q3_K size");

struct block_q4_K {
    ggml_half d;
    ggml_half dmin;
    uint8_t scales[K_SCALE_SIZE];  // 8 6-bit scales and 8 6-bit mins, packed
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(block_q4_K) == 144, "block_q4_K size");

struct block_q5_K {
    ggml_half d;
    ggml_half dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(block_q5_K) == 176, "block_q5_K size");

struct block_q6_K {
    uint8_t ql[QK_K / 2];        // low 4 bits
    uint8_t qh[QK_K / 4];        // high 2 bits
    int8_t scales[QK_K / 16];    // 8-bit scales per 16 values
    ggml_half d;
};
static_assert(sizeof(block_q6_K) == 210, "block_q6_K size");

struct block_q8_K {
    float d;                     // full-precision scale: an activation format
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];    // sums of groups of 16 quants
};
static_assert(sizeof(block_q8_K) == 292, "block_q8_K size");

struct block_iq4_nl {
    ggml_half d;
    uint8_t qs[QK4_NL / 2];      // indices into the non-linear value table
};
static_assert(sizeof(block_iq4_nl) == 18, "block_iq4_nl size");

struct block_iq4_xs {
    ggml_half d;
    uint16_t scales_h;           // high 2 bits of the 8 6-bit scales
    uint8_t scales_l[QK_K / 64]; // low 4 bits of the 8 scales
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(block_iq4_xs) == 136, "block_iq4_xs size");

// The 16 non-linear levels shared by IQ4_NL and IQ4_XS (ggml-common.h, kvalues_iq4nl).
constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

// ---- lattice ("i-") quants below 4 bits. Each 256-value super-block is 32
// groups of 8 (or 64 of 4) values; a group is an index into a grid of
// lattice points (formats/iq_grids.h) plus signs, under per-32 or per-16
// scales. Layout facts from ggml-common.h.

struct block_iq2_xxs {           // 2.0625 bits per weight
    ggml_half d;
    uint16_t qs[QK_K / 8];       // per 32 values, two 32-bit words: four 8-bit grid indices (kIq2xxsGrid);
                                 // four 7-bit sign indices (kIq2xsSigns) and a 4-bit scale on top
};
static_assert(sizeof(block_iq2_xxs) == 66, "block_iq2_xxs size");

struct block_iq2_xs {            // 2.3125 bits per weight
    ggml_half d;
    uint16_t qs[QK_K / 8];       // per 8 values: 9-bit grid index (kIq2xsGrid), 7-bit sign index above it
    uint8_t scales[QK_K / 32];   // two 4-bit scales per 32 values (low nibble: first 16)
};
static_assert(sizeof(block_iq2_xs) == 74, "block_iq2_xs size");

struct block_iq2_s {             // 2.5625 bits per weight
    ggml_half d;
    uint8_t qs[QK_K / 4];        // first half: low 8 bits of the 32 grid indices (kIq2sGrid);
                                 // second half: 32 raw sign bytes
    uint8_t qh[QK_K / 32];       // high 2 bits of the four indices of each 32 values
    uint8_t scales[QK_K / 32];   // two 4-bit scales per 32 values
};
static_assert(sizeof(block_iq2_s) == 82, "block_iq2_s size");

struct block_iq3_xxs {           // 3.0625 bits per weight
    ggml_half d;
    uint8_t qs[3 * QK_K / 8];    // 64 8-bit grid indices of 4 values (kIq3xxsGrid), then per 32 values
                                 // a 32-bit word: four 7-bit sign indices and a 4-bit scale on top
};
static_assert(sizeof(block_iq3_xxs) == 98, "block_iq3_xxs size");

constexpr int IQ3S_N_SCALE = QK_K / 64;

struct block_iq3_s {             // 3.4375 bits per weight
    ggml_half d;
    uint8_t qs[QK_K / 4];        // low 8 bits of the 64 grid indices of 4 values (kIq3sGrid)
    uint8_t qh[QK_K / 32];       // 9th bit of each index
    uint8_t signs[QK_K / 8];     // raw sign bytes, one per 8 values
    uint8_t scales[IQ3S_N_SCALE];  // two 4-bit scales per 64 values
};
static_assert(sizeof(block_iq3_s) == 110, "block_iq3_s size");

struct block_iq1_s {             // 1.5625 bits per weight
    ggml_half d;
    uint8_t qs[QK_K / 8];        // low 8 bits of the 32 grid indices (kIq1sGrid)
    uint16_t qh[QK_K / 32];      // per 32 values: four 3-bit index tops, a 3-bit scale, the delta's sign (bit 15)
};
static_assert(sizeof(block_iq1_s) == 50, "block_iq1_s size");

struct block_iq1_m {             // 1.75 bits per weight; no d field: its fp16 scale is spread over
    uint8_t qs[QK_K / 8];        // the top nibbles of the four 16-bit scale words
    uint8_t qh[QK_K / 16];       // per 8 values: 3-bit index top and the delta's sign bit (two groups a byte)
    uint8_t scales[QK_K / 32];   // 3-bit scales per 16 values, and the block scale's nibbles
};
static_assert(sizeof(block_iq1_m) == 56, "block_iq1_m size");

// ---- ternary formats (BitNet b1.58, TriLMs): values -1, 0, +1 times d.

struct block_tq1_0 {             // 1.6875 bits per weight
    uint8_t qs[(QK_K - 4 * QK_K / 64) / 5];  // 240 values, 5 trits a byte (base 3, scaled to 0..255)
    uint8_t qh[QK_K / 64];       // 16 values, 4 trits a byte
    ggml_half d;
};
static_assert(sizeof(block_tq1_0) == 54, "block_tq1_0 size");

struct block_tq2_0 {             // 2.0625 bits per weight
    uint8_t qs[QK_K / 4];        // 2 bits per value: 0, 1, 2 for -1, 0, +1
    ggml_half d;
};
static_assert(sizeof(block_tq2_0) == 66, "block_tq2_0 size");

// ---- MXFP4 (OCP microscaling): 32 e2m1 values under a shared power-of-two scale.

constexpr int QK_MXFP4 = 32;

struct block_mxfp4 {
    uint8_t e;                   // E8M0 scale exponent
    uint8_t qs[QK_MXFP4 / 2];    // 4-bit e2m1 codes, low nibbles = first half of the block
};
static_assert(sizeof(block_mxfp4) == 17, "block_mxfp4 size");

// The e2m1 values doubled (ggml-common.h, kvalues_mxfp4): code c means kMxfp4Values[c] / 2.
constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

}  // namespace quantlab
