// The integer inner product the table formats' reference dot products share
// (ggml-cpu/quants.c, the generic IQ4_NL, IQ4_XS and MXFP4 vec_dots): 32
// values stored as 4-bit codes into a 16-entry int8 table (low nibbles are
// values 0..15, high nibbles 16..31) times 32 int8 activations. Exact.
#pragma once

#include <cstdint>

namespace quantlab {

inline int32_t nibble_table_dot32(const uint8_t* qs, const int8_t* table, const int8_t* q8) {
    int32_t sumi1 = 0, sumi2 = 0;
    for (int j = 0; j < 16; ++j) {
        sumi1 += q8[j] * table[qs[j] & 0xf];
        sumi2 += q8[j + 16] * table[qs[j] >> 4];
    }
    return sumi1 + sumi2;
}

}  // namespace quantlab
