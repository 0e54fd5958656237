// The search structures the lattice-quant quantizers snap groups of
// coordinates with: ggml builds them in iq2xs_init_impl (8 coordinates:
// IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S, IQ1_M) and iq3xs_init_impl (4 coordinates:
// IQ3_XXS, IQ3_S), ggml-quants.c. Here each is built once, on first use, under
// a thread-safe static initializer, and is immutable afterwards; the arrays
// have ggml's exact contents and layout (tests/formats/test_iq_lattice.cpp
// checks them against digests of ggml's own, tests/formats/golden/lattices.txt).
//
// How a quantizer uses one (ggml's kgrid / kmap / kneighbors):
//   - it rounds a group to levels l[k] (0..2 for the 8-coordinate grids,
//     0..7 for the 4-coordinate ones) and packs them: u = index_of(l);
//   - map[u] >= 0: the levels are a grid point, map[u] is its index;
//   - map[u] < 0: not on the grid; neighbours_of(u) lists the grid points
//     nearest to it ([count, index...], by squared distance then index) and
//     best_neighbour() picks the one that fits the values best.
// A grid point is stored as its odd coordinates 2l+1 (point(i)), the form
// ggml's searches compute distances in.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/ggml_type.h"

namespace quantlab {

struct IqLattice {
    int dims = 0;          // coordinates per point: 8 or 4
    int bits = 0;          // bits per coordinate in a map index: 2 (dims 8) or 3 (dims 4)
    int grid_size = 0;     // points
    int map_size = 0;      // 43692 (dims 8: every index with levels <= 2) or 4096 (dims 4)
    int neighbour_distances = 0;  // a list holds the points at its nearest this-many distances (ggml's nwant)
    std::vector<int8_t> points;         // grid_size * dims odd coordinates 2l+1 (ggml's kgrid_q2xs / kgrid_q3xs)
    std::vector<int32_t> map;           // map_size entries: grid index, or -(offset + 1) of a neighbour list
    std::vector<uint16_t> neighbours;   // the lists, each [count, grid index...]

    const int8_t* point(int grid_index) const { return points.data() + size_t(grid_index) * size_t(dims); }

    // Map index of levels l[0..dims-1] (each below 2^bits): sum of l[k] << (bits * k).
    int index_of(const int8_t* l) const {
        int u = 0;
        for (int k = 0; k < dims; ++k) u |= int(l[k]) << (bits * k);
        return u;
    }

    // The neighbour list of a map index that is not on the grid (map[u] < 0).
    const uint16_t* neighbours_of(int u) const { return neighbours.data() + (-(map[size_t(u)] + 1)); }

    // ggml's iq2_find_best_neighbour / iq3_find_best_neighbour: the listed
    // point minimising sum_k w[k] * (scale * (2l+1)_k - x[k])^2 in float, the
    // first listed on ties. Writes its levels to L[0..dims-1], returns its index.
    int best_neighbour(const uint16_t* list, const float* x, const float* w, float scale, int8_t* L) const {
        float best_d2 = FLT_MAX;
        int best = -1;
        for (int j = 1; j <= int(list[0]); ++j) {
            const int8_t* pg = point(list[j]);
            float d2 = 0;
            for (int k = 0; k < dims; ++k) {
                const float q = pg[k];
                const float diff = scale * q - x[k];
                d2 += w[k] * diff * diff;
            }
            if (d2 < best_d2) {
                best_d2 = d2;
                best = list[j];
            }
        }
        // Lists are never empty and their distances finite, so a point was found
        // unless every d2 is NaN / >= FLT_MAX (non-finite input: the caller's check).
        if (best < 0) best = list[1];
        const int8_t* pg = point(best);
        for (int k = 0; k < dims; ++k) L[k] = int8_t((pg[k] - 1) / 2);
        return best;
    }
};

// The lattice of an 8-coordinate type: IQ2_XXS (256 points), IQ2_XS (512),
// IQ2_S (1024), IQ1_S and IQ1_M (2048, one shared lattice). Built on the first
// call for that lattice (tens of milliseconds, see docs/formats.md); later calls
// return it at once. Throws Error(InvalidArgument) for any other type.
const IqLattice& iq2_lattice(GgmlType type);

// The lattice of a 4-coordinate grid: 256 points (IQ3_XXS) or 512 (IQ3_S).
// Throws Error(InvalidArgument) for other sizes.
const IqLattice& iq3_lattice(int grid_size);

// Builds a lattice without caching it (what the two functions above call
// once): the grid's dequantization table, its size, coordinates per point and
// ggml's nwant. For tests and timing.
IqLattice build_iq_lattice(const void* grid, int grid_size, int dims, int neighbour_distances);

}  // namespace quantlab
