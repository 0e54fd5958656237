// Builds the quantizers' lattice search structures with ggml's contents
// (iq2xs_init_impl / iq3xs_init_impl, ggml-quants.c) by a faster route: ggml
// sorts all grid points by distance for every off-grid index (qsort, ~20 s
// for the six lattices on one core); here the few nearest distances are found
// first, and only the points within them are sorted.
#include "formats/iq_lattice.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"
#include "formats/iq_grids.h"

namespace quantlab {

namespace {

// Coordinate k of grid entry i of a table of dims-byte entries (little-endian).
int8_t grid_coordinate(const void* grid, int dims, int i, int k) {
    if (dims == 8) return int8_t(uint8_t(static_cast<const uint64_t*>(grid)[i] >> (8 * k)));
    return int8_t(uint8_t(static_cast<const uint32_t*>(grid)[i] >> (8 * k)));
}

// Squared distances of every point to every half-index: table[c * n + j] is
// the sum over the coordinates of half h (dims / 2 of them) of
// (p_jk - pos_k(c))^2, where c holds those coordinates' levels. A distance is
// then one addition per point: d2 = low[u's low half] + high[u's high half].
std::vector<uint16_t> half_distances(const IqLattice& lat, int h) {
    const int half = lat.dims / 2, n = lat.grid_size, codes = 1 << (lat.bits * half);
    std::vector<uint16_t> table(size_t(codes) * size_t(n));
    for (int c = 0; c < codes; ++c) {
        for (int j = 0; j < n; ++j) {
            int acc = 0;
            for (int k = 0; k < half; ++k) {
                const int pos = 2 * ((c >> (lat.bits * k)) & ((1 << lat.bits) - 1)) + 1;
                const int diff = lat.point(j)[h * half + k] - pos;
                acc += diff * diff;
            }
            table[size_t(c) * size_t(n) + size_t(j)] = uint16_t(acc);
        }
    }
    return table;
}

// d2 = a + b over n points; returns the smallest.
uint16_t add_distances(const uint16_t* a, const uint16_t* b, int n, uint16_t* d2) {
    uint16_t m = 0xffff;
    for (int j = 0; j < n; ++j) {
        const uint16_t v = uint16_t(a[j] + b[j]);
        d2[j] = v;
        m = std::min(m, v);
    }
    return m;
}

// Appends to out the indices j (ascending) with d2[j] <= limit; returns the
// new end. Few points are that near: a vectorizable pass marks them, and
// blocks of 16 marks with none (two zero words) are skipped.
uint16_t* points_within(const uint16_t* d2, int n, uint16_t limit, uint8_t* marks, uint16_t* out) {
    for (int j = 0; j < n; ++j) marks[j] = d2[j] <= limit ? 1 : 0;
    for (int j0 = 0; j0 < n; j0 += 16) {
        uint64_t w[2];
        std::memcpy(w, marks + j0, 16);
        if ((w[0] | w[1]) == 0) continue;
        for (int j = j0; j < j0 + 16; ++j) {
            *out = uint16_t(j);
            out += marks[j];
        }
    }
    return out;
}

// The smallest of d2[0..n-1] that is >= base (a value above every distance
// when there is none): distances below base wrap around to large numbers.
uint16_t smallest_at_or_above(const uint16_t* d2, int n, uint16_t base) {
    uint16_t m = 0xffff;
    for (int j = 0; j < n; ++j) m = std::min(m, uint16_t(d2[j] - base));
    return uint16_t(m + base);
}

}  // namespace

IqLattice build_iq_lattice(const void* grid, int grid_size, int dims, int neighbour_distances) {
    if (dims != 8 && dims != 4) throw Error(ErrorCode::InvalidArgument, "lattice points have 8 or 4 coordinates");
    if (grid_size <= 0 || grid_size % 16 != 0 || grid_size > 65536 || neighbour_distances < 1 ||
        neighbour_distances > 8) {
        throw Error(ErrorCode::InvalidArgument, "lattice grid size or neighbour distances out of range");
    }
    IqLattice lat;
    lat.dims = dims;
    lat.bits = dims == 8 ? 2 : 3;
    // ggml's kmap_size: dims 8 covers every index whose 2-bit levels are <= 2
    // (0xAAAA = 43690 and below), the only ones its quantizers form.
    lat.map_size = dims == 8 ? 43692 : 4096;
    lat.grid_size = grid_size;
    lat.neighbour_distances = neighbour_distances;

    // Levels: the rank of a coordinate's value among the grid's distinct values
    // (8 < 25 < 43; -1 < 0 < 1; 4 < 12 < ... < 62; 1 < 3 < ... < 15). This
    // reproduces ggml's own level tables (kgrid_2bit_256, ..., kgrid_512).
    std::vector<int> values;
    for (int i = 0; i < grid_size; ++i) {
        for (int k = 0; k < dims; ++k) values.push_back(grid_coordinate(grid, dims, i, k));
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    const int levels = 1 << lat.bits;
    if (int(values.size()) > levels) throw Error(ErrorCode::InvalidArgument, "grid has more values than levels");

    lat.points.resize(size_t(grid_size) * size_t(dims));
    lat.map.assign(size_t(lat.map_size), -1);
    for (int i = 0; i < grid_size; ++i) {
        int8_t l[8];
        for (int k = 0; k < dims; ++k) {
            const int v = grid_coordinate(grid, dims, i, k);
            l[k] = int8_t(std::lower_bound(values.begin(), values.end(), v) - values.begin());
            lat.points[size_t(i) * size_t(dims) + size_t(k)] = int8_t(2 * l[k] + 1);
        }
        lat.map[size_t(lat.index_of(l))] = i;
    }

    const int half_bits = lat.bits * dims / 2;
    const std::vector<uint16_t> low = half_distances(lat, 0), high = half_distances(lat, 1);
    const int max_d2 = dims * (2 * (levels - 1)) * (2 * (levels - 1));
    std::vector<uint16_t> d2(static_cast<size_t>(grid_size));
    std::vector<uint16_t> near(static_cast<size_t>(grid_size));
    std::vector<uint8_t> marks(static_cast<size_t>(grid_size));
    lat.neighbours.reserve(size_t(lat.map_size) * 8);

    for (int u = 0; u < lat.map_size; ++u) {
        if (lat.map[size_t(u)] >= 0) continue;
        const size_t lo = size_t(u & ((1 << half_bits) - 1)), hi = size_t(u >> half_bits);
        // ggml keeps every point at the neighbour_distances smallest distinct
        // distances: find the largest of those (the smallest comes with the
        // distances, each further one is a min over the distances above).
        uint16_t dist[8];
        dist[0] = add_distances(low.data() + lo * size_t(grid_size), high.data() + hi * size_t(grid_size),
                                grid_size, d2.data());
        int distinct = 1;
        while (distinct < neighbour_distances) {
            const uint16_t next = smallest_at_or_above(d2.data(), grid_size, uint16_t(dist[distinct - 1] + 1));
            if (next > max_d2) break;  // fewer distinct distances than wanted
            dist[distinct++] = next;
        }
        const uint16_t limit = dist[distinct - 1];
        // The points within the limit in index order, then distance by
        // distance: the (distance, index) order ggml's qsort leaves them in.
        const size_t kept = size_t(points_within(d2.data(), grid_size, limit, marks.data(), near.data()) - near.data());
        lat.map[size_t(u)] = -int32_t(lat.neighbours.size() + 1);
        lat.neighbours.push_back(uint16_t(kept));
        for (int v = 0; v < distinct; ++v) {
            for (size_t i = 0; i < kept; ++i) {
                if (d2[near[i]] == dist[v]) lat.neighbours.push_back(near[i]);
            }
        }
    }
    lat.neighbours.shrink_to_fit();
    return lat;
}

const IqLattice& iq2_lattice(GgmlType type) {
    // ggml's nwant: IQ2_XXS / IQ2_XS 2 distances, IQ2_S 1, IQ1_S / IQ1_M 3.
    switch (type) {
        case GgmlType::IQ2_XXS: {
            static const IqLattice lat = build_iq_lattice(kIq2xxsGrid, kIq2xxsGridSize, 8, 2);
            return lat;
        }
        case GgmlType::IQ2_XS: {
            static const IqLattice lat = build_iq_lattice(kIq2xsGrid, kIq2xsGridSize, 8, 2);
            return lat;
        }
        case GgmlType::IQ2_S: {
            static const IqLattice lat = build_iq_lattice(kIq2sGrid, kIq2sGridSize, 8, 1);
            return lat;
        }
        case GgmlType::IQ1_S:
        case GgmlType::IQ1_M: {
            static const IqLattice lat = build_iq_lattice(kIq1sGrid, kIq1sGridSize, 8, 3);
            return lat;
        }
        default:
            throw Error(ErrorCode::InvalidArgument,
                        "no 8-coordinate lattice for ggml type " + std::to_string(uint32_t(type)));
    }
}

const IqLattice& iq3_lattice(int grid_size) {
    // ggml's nwant: 2 distances for 256 points, 3 for 512.
    if (grid_size == kIq3xxsGridSize) {
        static const IqLattice lat = build_iq_lattice(kIq3xxsGrid, kIq3xxsGridSize, 4, 2);
        return lat;
    }
    if (grid_size == kIq3sGridSize) {
        static const IqLattice lat = build_iq_lattice(kIq3sGrid, kIq3sGridSize, 4, 3);
        return lat;
    }
    throw Error(ErrorCode::InvalidArgument, "no 4-coordinate lattice of " + std::to_string(grid_size) + " points");
}

}  // namespace quantlab
