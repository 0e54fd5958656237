// Format data of the lattice ("i-") quants: the grids their group indices
// point into and the sign tables, as ggml defines them (ggml-common.h:
// iq2xxs_grid, iq2xs_grid, iq2s_grid, iq3xxs_grid, iq3s_grid, iq1s_grid,
// ksigns_iq2xs, kmask_iq2xs). iq_grids.cpp is generated from what libggml
// decodes (scripts/gen-format-tables.mjs); tests/formats/test_iq_grids.cpp checks
// every entry against those dumps.
//
// A grid entry packs one point: byte j (little-endian) is coordinate j. A
// dequantizer multiplies coordinate j by the group's scale and by -1 where
// bit j of the group's sign byte is set (kIq2xsMask[j]). Signs are stored as a
// 7-bit index whose byte kIq2xsSigns[s] has an even number of minus signs
// (IQ2_XXS, IQ2_XS, IQ3_XXS), or as the raw byte (IQ2_S, IQ3_S). IQ1_S / IQ1_M
// have no signs: their coordinates are -1, 0, 1 shifted by +-kIq1Delta.
#pragma once

#include <cstdint>

namespace quantlab {

constexpr int kIq2xxsGridSize = 256;
constexpr int kIq2xsGridSize = 512;
constexpr int kIq2sGridSize = 1024;
constexpr int kIq3xxsGridSize = 256;
constexpr int kIq3sGridSize = 512;
constexpr int kIq1sGridSize = 2048;  // ggml's NGRID_IQ1S

// IQ1_S and IQ1_M shift every coordinate of a group by +-1/8 (ggml's
// IQ1S_DELTA and IQ1M_DELTA, equal).
constexpr float kIq1Delta = 0.125f;

extern const uint64_t kIq2xxsGrid[kIq2xxsGridSize];
extern const uint64_t kIq2xsGrid[kIq2xsGridSize];
extern const uint64_t kIq2sGrid[kIq2sGridSize];
extern const uint32_t kIq3xxsGrid[kIq3xxsGridSize];
extern const uint32_t kIq3sGrid[kIq3sGridSize];
extern const uint64_t kIq1sGrid[kIq1sGridSize];

extern const uint8_t kIq2xsSigns[128];      // ksigns_iq2xs
extern const uint64_t kIq2xsSignBytes[128]; // the same, bit j spread to byte j as 0x00 / 0xff
extern const uint8_t kIq2xsMask[8];         // kmask_iq2xs: the sign bit of coordinate j

}  // namespace quantlab
