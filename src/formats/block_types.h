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

}  // namespace quantlab
