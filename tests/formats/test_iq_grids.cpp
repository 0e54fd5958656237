// The lattice grids and sign tables of formats/iq_grids.h against what
// libggml's to_float decodes (tests/formats/golden/tables/, written by
// scripts/golden-ggml.sh), every entry, plus the structure the dequantizers
// rely on.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "formats/iq_grids.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

// Entry i of a little-endian table of `bytes`-byte words.
uint64_t word(const std::vector<uint8_t>& t, size_t i, size_t bytes) {
    uint64_t v = 0;
    for (size_t b = bytes; b-- > 0;) v = (v << 8) | t[i * bytes + b];
    return v;
}

template <typename T>
void check_table(const char* file, const T* table, size_t entries) {
    const auto dump = read_bytes(formats_golden_dir() + "/tables/" + file);
    REQUIRE(dump.size() == entries * sizeof(T));
    size_t mismatches = 0;
    for (size_t i = 0; i < entries; ++i) {
        if (uint64_t(table[i]) != word(dump, i, sizeof(T))) {
            if (mismatches++ < 3) {
                INFO(file << " entry " << i);
                CHECK(uint64_t(table[i]) == word(dump, i, sizeof(T)));
            }
        }
    }
    INFO(file);
    CHECK(mismatches == 0);
}

// The distinct coordinate values of a grid, as signed bytes.
template <typename T>
std::set<int> coordinate_values(const T* grid, size_t entries) {
    std::set<int> v;
    for (size_t i = 0; i < entries; ++i) {
        for (size_t k = 0; k < sizeof(T); ++k) v.insert(int(int8_t(uint8_t(grid[i] >> (8 * k)))));
    }
    return v;
}

template <typename T>
size_t distinct_entries(const T* grid, size_t entries) {
    return std::set<T>(grid, grid + entries).size();
}

}  // namespace

TEST_CASE("i-quant grids equal what libggml decodes, entry by entry", "[iq][tables]") {
    check_table("iq2xxs_grid.u64", kIq2xxsGrid, kIq2xxsGridSize);
    check_table("iq2xs_grid.u64", kIq2xsGrid, kIq2xsGridSize);
    check_table("iq2s_grid.u64", kIq2sGrid, kIq2sGridSize);
    check_table("iq3xxs_grid.u32", kIq3xxsGrid, kIq3xxsGridSize);
    check_table("iq3s_grid.u32", kIq3sGrid, kIq3sGridSize);
    check_table("iq1s_grid.u64", kIq1sGrid, kIq1sGridSize);
}

TEST_CASE("i-quant sign tables equal what libggml decodes", "[iq][tables]") {
    check_table("ksigns_iq2xs.u8", kIq2xsSigns, 128);
    check_table("kmask_iq2xs.u8", kIq2xsMask, 8);
}

TEST_CASE("i-quant grids have the structure the kernels assume", "[iq][tables]") {
    // Coordinates take the documented values, and no point appears twice.
    CHECK(coordinate_values(kIq2xxsGrid, kIq2xxsGridSize) == std::set<int>{8, 25, 43});
    CHECK(coordinate_values(kIq2xsGrid, kIq2xsGridSize) == std::set<int>{8, 25, 43});
    CHECK(coordinate_values(kIq2sGrid, kIq2sGridSize) == std::set<int>{8, 25, 43});
    CHECK(coordinate_values(kIq3xxsGrid, kIq3xxsGridSize) == std::set<int>{4, 12, 20, 28, 36, 44, 52, 62});
    CHECK(coordinate_values(kIq3sGrid, kIq3sGridSize) == std::set<int>{1, 3, 5, 7, 9, 11, 13, 15});
    CHECK(coordinate_values(kIq1sGrid, kIq1sGridSize) == std::set<int>{-1, 0, 1});
    CHECK(distinct_entries(kIq2xxsGrid, kIq2xxsGridSize) == size_t(kIq2xxsGridSize));
    CHECK(distinct_entries(kIq2xsGrid, kIq2xsGridSize) == size_t(kIq2xsGridSize));
    CHECK(distinct_entries(kIq2sGrid, kIq2sGridSize) == size_t(kIq2sGridSize));
    CHECK(distinct_entries(kIq3xxsGrid, kIq3xxsGridSize) == size_t(kIq3xxsGridSize));
    CHECK(distinct_entries(kIq3sGrid, kIq3sGridSize) == size_t(kIq3sGridSize));
    CHECK(distinct_entries(kIq1sGrid, kIq1sGridSize) == size_t(kIq1sGridSize));
    // Known entries (ggml-common.h): the first point of each grid, and the last of IQ1_S.
    CHECK(kIq2xxsGrid[0] == 0x0808080808080808ull);
    CHECK(kIq3sGrid[0] == 0x01010101u);
    CHECK(kIq1sGrid[0] == 0xffffffffffffffffull);
    CHECK(kIq1sGrid[kIq1sGridSize - 1] == 0x0101010101010101ull);
}

TEST_CASE("sign bytes: the 7-bit index plus an even-parity eighth bit", "[iq][tables]") {
    for (int s = 0; s < 128; ++s) {
        INFO("sign index " << s);
        int minus = 0;
        for (int j = 0; j < 8; ++j) minus += (kIq2xsSigns[s] >> j) & 1;
        CHECK(minus % 2 == 0);
        CHECK((kIq2xsSigns[s] & 127) == s);
        uint64_t spread = 0;
        for (int j = 0; j < 8; ++j) spread |= uint64_t(kIq2xsSigns[s] & kIq2xsMask[j] ? 0xff : 0) << (8 * j);
        CHECK(kIq2xsSignBytes[s] == spread);
    }
    for (int j = 0; j < 8; ++j) CHECK(kIq2xsMask[j] == (1u << j));
}
