// The IQ1 SIMD128 quantizers' searches against the reference's, one search at
// a time, on many random and adversarial inputs: the split searches (which
// resolve ggml's sequential comparisons max-first, iq1_quants_simd128.cpp)
// must return the reference's winner and its scale bit for bit, and the
// neighbour search (a vectorised arg-min) the reference's point. Inputs aim
// at the proof's edges: near-ties and exact ties (repeated values, constant
// groups, symmetric clusters, values a few ulps apart), zero and negative
// weights (sumq2 <= 0), tiny and subnormal sums, and sums too large for the
// fast path (its fallback).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "formats/ref/iq1_search.h"
#include "formats/type_traits.h"
#include "support/test_support.h"

#if QUANTLAB_SIMD128
#include "formats/simd128/iq1_quants_simd128.h"
#endif

using namespace quantlab;
using namespace quantlab::test;

#if QUANTLAB_SIMD128

namespace {

bool same_split(const iq1::Split& a, const iq1::Split& b) {
    return a.i1 == b.i1 && a.i2 == b.i2 && a.shift == b.shift && std::memcmp(&a.scale, &b.scale, sizeof(float)) == 0;
}

// One group of n values of kind `kind` (see the switch).
void make_group(Rng& rng, int kind, int n, float* x) {
    const float a = std::pow(10.0f, float(rng.below(7)) - 3.0f);
    switch (kind) {
        case 0: for (int i = 0; i < n; ++i) x[i] = a * rng.gauss(); break;
        case 1: for (int i = 0; i < n; ++i) x[i] = a * 0.25f * float(rng.below(3) - 1); break;  // three values
        case 2: for (int i = 0; i < n; ++i) x[i] = a; break;                                    // constant
        case 3: for (int i = 0; i < n; ++i) x[i] = rng.below(2) ? a : -a; break;                // symmetric clusters
        case 4:  // two clusters, each value a few ulps off its centre
            for (int i = 0; i < n; ++i) {
                float v = rng.below(2) ? a : -a;
                for (int k = rng.below(4); k > 0; --k) v = std::nextafter(v, rng.below(2) ? INFINITY : -INFINITY);
                x[i] = v;
            }
            break;
        case 5:  // both halves mirror each other (IQ1_M's +- / -+ level sets tie)
            for (int i = 0; i < n / 2; ++i) x[i] = x[n / 2 + i] = a * rng.sym();
            break;
        case 6: for (int i = 0; i < n; ++i) x[i] = rng.below(6) == 0 ? a * rng.sym() : 0.0f; break;
        case 7: for (int i = 0; i < n; ++i) x[i] = 1e-30f * rng.gauss(); break;  // tiny: subnormal products
        default: for (int i = 0; i < n; ++i) x[i] = a * float(i % 4); break;      // repeated ramp
    }
}

// Importance weights of kind `kind` for n values x (sigma2 as the driver).
void make_weights(Rng& rng, int kind, int n, const float* x, float* w) {
    for (int i = 0; i < n; ++i) {
        switch (kind) {
            case 0: w[i] = 1.0f; break;
            case 1: w[i] = rng.unif(); break;
            case 2: w[i] = rng.below(3) == 0 ? 0.0f : rng.unif(); break;
            case 3: w[i] = std::pow(10.0f, float(rng.below(9)) - 4.0f) * rng.unif(); break;
            case 4: w[i] = 0.0f; break;
            case 5: w[i] = x[i] * x[i]; break;  // IQ1_M without an importance matrix
            default: w[i] = rng.sym(); break;   // negative weights: sumq2 <= 0 for some candidates
        }
    }
}

constexpr int kKinds = 9, kWeightKinds = 7;

}  // namespace

TEST_CASE("IQ1 SIMD128 split searches return the reference's winner on random and near-tie groups", "[iq1][simd]") {
    Rng rng(1313);
    int checked_s = 0, checked_m = 0, mismatches = 0;
    for (int rep = 0; rep < 1200; ++rep) {
        for (int kind = 0; kind < kKinds; ++kind) {
            const int wkind = rng.below(kWeightKinds);
            INFO("rep " << rep << " kind " << kind << " weights " << wkind);
            // IQ1_S: 32 values, prefix sums over the sorted order (the driver's).
            {
                constexpr int n = iq1::kGroupS;
                float x[n], w[n], sumx[n + 1 + iq1::kSumsPad] = {}, sumw[n + 1 + iq1::kSumsPad] = {};
                int idx[n];
                make_group(rng, kind, n, x);
                make_weights(rng, wkind, n, x, w);
                iq1::RefSteps::order(x, n, idx);
                for (int j = 0; j < n; ++j) {
                    sumx[j + 1] = sumx[j] + w[idx[j]] * x[idx[j]];
                    sumw[j + 1] = sumw[j] + w[idx[j]];
                }
                const iq1::Split r = iq1::RefSteps::split_s(sumx, sumw), s = iq1_split_s_simd128(sumx, sumw);
                if (!same_split(r, s)) ++mismatches;
                CHECK(same_split(r, s));
                ++checked_s;
            }
            // IQ1_M: 16 values, prefix sums per half.
            {
                constexpr int n = iq1::kGroupM;
                float x[n], w[n];
                int idx[n];
                iq1::HalfSums hs;
                make_group(rng, kind, n, x);
                make_weights(rng, wkind, n, x, w);
                iq1::RefSteps::order(x, n, idx);
                for (int j = 0; j < n; ++j) {
                    const int i = idx[j], h = i < n / 2 ? 0 : 1;
                    hs.px[h][j + 1] = hs.px[h][j] + w[i] * x[i];
                    hs.px[1 - h][j + 1] = hs.px[1 - h][j];
                    hs.pw[h][j + 1] = hs.pw[h][j] + w[i];
                    hs.pw[1 - h][j + 1] = hs.pw[1 - h][j];
                }
                const iq1::Split r = iq1::RefSteps::split_m(hs), s = iq1_split_m_simd128(hs);
                if (!same_split(r, s)) ++mismatches;
                CHECK(same_split(r, s));
                ++checked_m;
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(checked_s == 1200 * kKinds);
    CHECK(checked_m == 1200 * kKinds);
}

TEST_CASE("IQ1 SIMD128 split searches match the reference on raw prefix sums, huge and non-finite ones too",
          "[iq1][simd]") {
    // Prefix sums not from any sorted group: increments of either sign and
    // any magnitude, equal increments (exact ties), sums past 1e20 (the
    // fallback path; up to 1e33, past the SIMD padding's 1e30, and 1e37),
    // an infinity or a NaN.
    Rng rng(77);
    int mismatches = 0;
    for (int rep = 0; rep < 3000; ++rep) {
        const int mode = rep % 8;
        // One increment of a prefix sum of w * x (scale: of the values) or of w (weight).
        auto step = [&](float scale, bool weight) -> float {
            switch (mode) {
                case 0: return scale * rng.sym();
                case 1: return scale * float(rng.below(3));  // repeated small integers: exact ties
                case 2: return scale;                         // every increment equal
                case 3: return scale * 1e37f * rng.unif();    // beyond the fast path's bound
                case 4: return rng.below(40) == 0 ? INFINITY : scale * rng.unif();
                case 5: return rng.below(40) == 0 ? NAN : scale * rng.sym();
                case 6: return std::pow(10.0f, float(15 + rng.below(19))) * rng.unif();  // up to 1e33
                default: return weight ? 1e31f : scale;  // equal weights past the padding: one-level ties
            }
        };
        const float scale = std::pow(10.0f, float(rng.below(13)) - 6.0f);
        {
            constexpr int n = iq1::kGroupS;
            float sumx[n + 1 + iq1::kSumsPad] = {}, sumw[n + 1 + iq1::kSumsPad] = {};
            for (int j = 0; j < n; ++j) {
                sumx[j + 1] = sumx[j] + step(scale, false);
                sumw[j + 1] = sumw[j] + std::fabs(step(1.0f, true));
            }
            const bool same = same_split(iq1::RefSteps::split_s(sumx, sumw), iq1_split_s_simd128(sumx, sumw));
            if (!same) ++mismatches;
            CHECK(same);
        }
        {
            constexpr int n = iq1::kGroupM;
            iq1::HalfSums hs;
            for (int j = 0; j < n; ++j) {
                const int h = rng.below(2);
                hs.px[h][j + 1] = hs.px[h][j] + step(scale, false);
                hs.px[1 - h][j + 1] = hs.px[1 - h][j];
                hs.pw[h][j + 1] = hs.pw[h][j] + step(1.0f, true);
                hs.pw[1 - h][j + 1] = hs.pw[1 - h][j];
            }
            const bool same = same_split(iq1::RefSteps::split_m(hs), iq1_split_m_simd128(hs));
            if (!same) ++mismatches;
            CHECK(same);
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("IQ1 SIMD128 neighbour search returns the reference's point, ties to the first listed", "[iq1][simd]") {
    const IqLattice& lat = iq2_lattice(GgmlType::IQ1_S);
    Rng rng(4242);
    int checked = 0, mismatches = 0;
    std::vector<int> off_grid;
    for (int u = 0; u < lat.map_size; ++u) {
        if (lat.map[size_t(u)] < 0) off_grid.push_back(u);
    }
    REQUIRE(off_grid.size() > 1000);
    for (int rep = 0; rep < 20000; ++rep) {
        const int u = off_grid[size_t(rng.below(int(off_grid.size())))];
        const uint16_t* list = lat.neighbours_of(u);
        float x[8], w[8];
        const int kind = rep % 5;
        for (int i = 0; i < 8; ++i) {
            switch (kind) {
                case 0: x[i] = rng.sym(); w[i] = rng.unif(); break;
                case 1: x[i] = 0.5f * float(rng.below(3) - 1); w[i] = 1.0f; break;  // on-level values: ties
                case 2: x[i] = 0.0f; w[i] = rng.unif(); break;                      // every point ties at scale 0
                case 3: x[i] = rng.sym(); w[i] = rng.below(2) ? 0.0f : rng.unif(); break;
                default: x[i] = 1e20f * rng.sym(); w[i] = 1e20f; break;  // distances overflow: the fallback
            }
        }
        const float scale = kind == 2 ? 0.0f : 0.5f + rng.unif();
        const float* xg = rng.below(2) ? iq1::kXp : iq1::kXm;
        int8_t La[8], Lb[8];
        const int a = iq1::RefSteps::neighbour(lat, list, x, w, scale, xg, La);
        const int b = iq1_neighbour_simd128(lat, list, x, w, scale, xg, Lb);
        const bool same = a == b && std::memcmp(La, Lb, sizeof La) == 0;
        if (!same) ++mismatches;
        CHECK(same);
        ++checked;
    }
    CHECK(mismatches == 0);
    CHECK(checked == 20000);
}

#endif  // QUANTLAB_SIMD128
