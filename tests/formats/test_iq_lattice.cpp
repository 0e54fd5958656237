// The quantizers' lattice search structures (formats/iq_lattice.h) against
// ggml's own: sizes, digests and sampled lists in
// tests/formats/golden/lattices.txt (read out of libggml after
// ggml_quantize_init by scripts/golden-ggml.sh), entry by entry against the
// raw arrays when QUANTLAB_LATTICE_DUMPS points at them, and the properties
// the quantizers rely on.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#if !defined(__EMSCRIPTEN__)
#include <thread>
#endif

#include "core/error.h"
#include "formats/iq_grids.h"
#include "formats/iq_lattice.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

struct Named {
    const char* name;  // as in lattices.txt
    const IqLattice& (*get)();
};

const std::vector<Named>& lattices() {
    static const std::vector<Named> all{
        {"iq2xxs", []() -> const IqLattice& { return iq2_lattice(GgmlType::IQ2_XXS); }},
        {"iq2xs", []() -> const IqLattice& { return iq2_lattice(GgmlType::IQ2_XS); }},
        {"iq1s", []() -> const IqLattice& { return iq2_lattice(GgmlType::IQ1_S); }},
        {"iq2s", []() -> const IqLattice& { return iq2_lattice(GgmlType::IQ2_S); }},
        {"iq3xxs", []() -> const IqLattice& { return iq3_lattice(256); }},
        {"iq3s", []() -> const IqLattice& { return iq3_lattice(512); }},
    };
    return all;
}

// 64-bit FNV-1a over the little-endian bytes of the elements (golden_gen.c's digest).
template <typename T>
uint64_t fnv1a64(const std::vector<T>& v) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const T& e : v) {
        const uint64_t u = uint64_t(std::make_unsigned_t<T>(e));
        for (size_t b = 0; b < sizeof(T); ++b) h = (h ^ ((u >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    }
    return h;
}

std::string hex(uint64_t v) {
    std::ostringstream s;
    s << std::hex;
    s.width(16);
    s.fill('0');
    s << v;
    return s.str();
}

struct Golden {
    int grid_size = 0, map_size = 0;
    size_t neighbours_len = 0;
    std::string grid_fnv, map_fnv, neighbours_fnv;
    std::vector<std::vector<long>> samples;  // map index, map value, [count, list...]
};

std::map<std::string, Golden> read_golden() {
    std::ifstream in(formats_golden_dir() + "/lattices.txt");
    REQUIRE(in.good());
    std::map<std::string, Golden> g;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string kind, name;
        s >> kind >> name;
        if (kind == "lattice") {
            Golden& e = g[name];
            s >> e.grid_size >> e.map_size >> e.neighbours_len >> e.grid_fnv >> e.map_fnv >> e.neighbours_fnv;
        } else if (kind == "sample") {
            std::vector<long> v;
            long x;
            while (s >> x) v.push_back(x);
            g[name].samples.push_back(v);
        }
    }
    return g;
}

// Squared distance between a grid point and the odd coordinates of map index u.
int distance2(const IqLattice& lat, int grid_index, int u) {
    int d2 = 0;
    for (int k = 0; k < lat.dims; ++k) {
        const int pos = 2 * ((u >> (lat.bits * k)) & ((1 << lat.bits) - 1)) + 1;
        const int diff = lat.point(grid_index)[k] - pos;
        d2 += diff * diff;
    }
    return d2;
}

template <typename T>
std::vector<T> read_raw(const std::string& path) {
    const auto bytes = read_bytes(path);
    std::vector<T> v(bytes.size() / sizeof(T));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
    return v;
}

}  // namespace

TEST_CASE("lattice search maps equal ggml's (sizes, digests, sampled lists)", "[iq][lattice]") {
    const auto golden = read_golden();
    REQUIRE(golden.size() == lattices().size());
    for (const auto& l : lattices()) {
        INFO(l.name);
        const IqLattice& lat = l.get();
        const Golden& g = golden.at(l.name);
        CHECK(lat.grid_size == g.grid_size);
        CHECK(lat.map_size == g.map_size);
        CHECK(lat.neighbours.size() == g.neighbours_len);
        CHECK(hex(fnv1a64(lat.points)) == g.grid_fnv);
        CHECK(hex(fnv1a64(lat.map)) == g.map_fnv);
        CHECK(hex(fnv1a64(lat.neighbours)) == g.neighbours_fnv);
        REQUIRE(g.samples.size() == 48);
        for (const auto& s : g.samples) {
            INFO("map index " << s[0]);
            CHECK(lat.map[size_t(s[0])] == s[1]);
            if (s[1] < 0 && lat.map[size_t(s[0])] < 0) {
                const uint16_t* list = lat.neighbours_of(int(s[0]));
                std::vector<long> got(list, list + 1 + list[0]);
                CHECK(got == std::vector<long>(s.begin() + 2, s.end()));
            }
        }
    }
}

TEST_CASE("lattice search maps equal ggml's raw arrays entry by entry (QUANTLAB_LATTICE_DUMPS)", "[iq][lattice]") {
    const char* dir = std::getenv("QUANTLAB_LATTICE_DUMPS");
    if (!dir) {
        SUCCEED("QUANTLAB_LATTICE_DUMPS not set (scripts/golden-ggml.sh leaves them in build/golden-ggml/lattices-raw)");
        return;
    }
    for (const auto& l : lattices()) {
        INFO(l.name);
        const IqLattice& lat = l.get();
        const std::string base = std::string(dir) + "/" + l.name;
        const auto points = read_raw<int8_t>(base + ".grid");
        const auto map = read_raw<int32_t>(base + ".map.i32");
        const auto neighbours = read_raw<uint16_t>(base + ".neighbours.u16");
        CHECK(points == lat.points);
        REQUIRE(map.size() == lat.map.size());
        for (size_t i = 0; i < map.size(); ++i) {
            if (map[i] != lat.map[i]) {
                INFO("map index " << i);
                REQUIRE(map[i] == lat.map[i]);
            }
        }
        REQUIRE(neighbours.size() == lat.neighbours.size());
        for (size_t i = 0; i < neighbours.size(); ++i) {
            if (neighbours[i] != lat.neighbours[i]) {
                INFO("neighbour array entry " << i);
                REQUIRE(neighbours[i] == lat.neighbours[i]);
            }
        }
    }
}

TEST_CASE("lattice search maps: every off-grid index lists its nearest points", "[iq][lattice]") {
    for (const auto& l : lattices()) {
        INFO(l.name);
        const IqLattice& lat = l.get();
        REQUIRE(lat.points.size() == size_t(lat.grid_size) * size_t(lat.dims));
        // Grid points map to themselves.
        for (int i = 0; i < lat.grid_size; ++i) {
            int8_t lv[8];
            for (int k = 0; k < lat.dims; ++k) lv[k] = int8_t((lat.point(i)[k] - 1) / 2);
            REQUIRE(lat.map[size_t(lat.index_of(lv))] == i);
        }
        // Every other index has a list: sorted by (distance, index), holding
        // all points at exactly the neighbour_distances smallest distances.
        int off_grid = 0;
        size_t listed = 0;
        for (int u = 0; u < lat.map_size; u += (lat.dims == 8 ? 7 : 1)) {
            if (lat.map[size_t(u)] >= 0) continue;
            ++off_grid;
            const uint16_t* list = lat.neighbours_of(u);
            REQUIRE(list[0] > 0);
            listed += list[0];
            std::vector<int> all(size_t(lat.grid_size));
            for (int j = 0; j < lat.grid_size; ++j) all[size_t(j)] = distance2(lat, j, u);
            std::vector<int> distinct(all);
            std::sort(distinct.begin(), distinct.end());
            distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
            const int limit = distinct[size_t(std::min<int>(lat.neighbour_distances, int(distinct.size())) - 1)];
            int expected = 0;
            for (int d : all) expected += d <= limit ? 1 : 0;
            INFO("map index " << u);
            REQUIRE(int(list[0]) == expected);
            for (int j = 1; j <= list[0]; ++j) {
                REQUIRE(list[j] < lat.grid_size);
                REQUIRE(all[list[j]] <= limit);
                if (j > 1) {
                    const int a = all[list[j - 1]], b = all[list[j]];
                    REQUIRE((a < b || (a == b && list[j - 1] < list[j])));
                }
            }
        }
        CHECK(off_grid > 0);
        CHECK(listed >= size_t(off_grid));
    }
}

TEST_CASE("lattice best_neighbour picks the weighted nearest listed point", "[iq][lattice]") {
    const IqLattice& lat = iq2_lattice(GgmlType::IQ2_XS);
    const auto x = random_floats(8 * 64, 77, 3.0f);
    const auto w = random_floats(8 * 64, 78, 1.0f);
    int checked = 0;
    for (int g = 0; g < 64; ++g) {
        const float* xv = x.data() + 8 * g;
        float wv[8];
        for (int k = 0; k < 8; ++k) wv[k] = std::fabs(w[size_t(8 * g + k)]) + 0.01f;
        int8_t lv[8];
        for (int k = 0; k < 8; ++k) lv[k] = int8_t(std::min(2, std::max(0, int(std::lround(0.5f * (xv[k] + 3.0f))))));
        const int u = lat.index_of(lv);
        if (lat.map[size_t(u)] >= 0) continue;
        const uint16_t* list = lat.neighbours_of(u);
        int8_t L[8];
        const int got = lat.best_neighbour(list, xv, wv, 0.5f, L);
        double best = 1e300;
        int want = -1;
        for (int j = 1; j <= list[0]; ++j) {
            double d2 = 0;
            for (int k = 0; k < 8; ++k) {
                const double diff = 0.5 * lat.point(list[j])[k] - xv[k];
                d2 += wv[k] * diff * diff;
            }
            if (d2 < best) {
                best = d2;
                want = list[j];
            }
        }
        CHECK(got == want);
        for (int k = 0; k < 8; ++k) CHECK(2 * L[k] + 1 == lat.point(got)[k]);
        ++checked;
    }
    CHECK(checked > 10);
}

TEST_CASE("lattices: IQ1_S and IQ1_M share one, other types are refused", "[iq][lattice]") {
    CHECK(&iq2_lattice(GgmlType::IQ1_S) == &iq2_lattice(GgmlType::IQ1_M));
    CHECK(&iq2_lattice(GgmlType::IQ2_XXS) != &iq2_lattice(GgmlType::IQ2_XS));
    CHECK(iq2_lattice(GgmlType::IQ2_S).neighbour_distances == 1);
    CHECK(iq3_lattice(512).neighbour_distances == 3);
    try {
        iq2_lattice(GgmlType::Q4_K);
        FAIL("Q4_K has no lattice");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
    }
    try {
        iq3_lattice(300);
        FAIL("no 300-point lattice");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
    }
}

#if !defined(__EMSCRIPTEN__)
TEST_CASE("lattices are built once when threads ask at the same time", "[iq][lattice]") {
    // IQ3_S's lattice may already exist from another test; either way every
    // thread must see the same fully built object.
    std::vector<const IqLattice*> seen(4, nullptr);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < seen.size(); ++t) threads.emplace_back([&seen, t] { seen[t] = &iq3_lattice(512); });
    for (auto& th : threads) th.join();
    for (const IqLattice* p : seen) {
        CHECK(p == seen[0]);
        CHECK(p->neighbours.size() > 0);
    }
}
#endif
