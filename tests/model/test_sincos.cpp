// RoPE's sin/cos (model/sincos.h): accurate to the float rounding of the
// exact value, and the same bits on every target (the table fingerprint
// below runs natively and in wasm; libm's sinf/cosf differ between the two).
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "model/ops.h"
#include "model/sincos.h"
#include "support/test_support.h"

using namespace quantlab;

TEST_CASE("RoPE's sin and cos are within one float ulp of the exact values", "[rope]") {
    // Compared with libm's double sin/cos rounded to float (themselves within
    // an ulp of double): at most one float ulp apart, almost always none.
    int64_t differ = 0, n = 0;
    auto check = [&](float x) {
        float s, c;
        sincos_rope(x, &s, &c);
        const float ws = float(std::sin(double(x))), wc = float(std::cos(double(x)));
        INFO("x = " << x);
        REQUIRE(test::ulp_distance(s, ws) <= 1);
        REQUIRE(test::ulp_distance(c, wc) <= 1);
        differ += (s != ws) + (c != wc);
        n += 2;
    };
    for (int i = -20000; i <= 20000; ++i) check(float(i) * 0.0137f);
    for (int pos = 0; pos < 4096; ++pos) check(float(pos));                  // the first RoPE angle of each position
    for (float x : {0.0f, -0.0f, 1e-30f, 1.5707964f, 3.1415927f, 4.712389f, 6.2831855f, 1048575.0f}) check(x);
    CHECK(differ * 10000 < n);  // fewer than 1 in 10,000
    float s, c;
    sincos_rope(0.0f, &s, &c);
    CHECK(s == 0.0f);
    CHECK(c == 1.0f);
}

TEST_CASE("RoPE's angle tables are the same bits on every target", "[rope][targets]") {
    // FNV-1a over the cos and sin tables of positions 0..8191 (n_rot 64 and
    // 128, the common base and one with a frequency scale). Taken natively on
    // 2026-12-05 and the same in wasm under Node.
    uint64_t h = test::kFnvOffset;
    auto mix = [&](const std::vector<float>& v) { h = test::fnv1a_floats(v.data(), v.size(), h); };
    for (int64_t n_rot : {64, 128}) {
        for (float scale : {1.0f, 0.25f}) {
            std::vector<float> cs(size_t(n_rot / 2)), sn(size_t(n_rot / 2));
            for (int64_t pos = 0; pos < 8192; ++pos) {
                rope_angles(pos, n_rot, 10000.0f, scale, cs.data(), sn.data());
                mix(cs);
                mix(sn);
            }
        }
    }
    INFO("fingerprint 0x" << std::hex << h);
    CHECK(h == 0xe4e8eddc278eabd1ull);
}
