// The knapsack behind mixed precision: optimal against brute force on small
// problems, never over budget, and monotone in the budget, exact or bucketed.
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <limits>

#include "core/error.h"
#include "quantize/mixed_allocation.h"
#include "stats/rank_correlation.h"

using namespace quantlab;

namespace {

// xorshift32: deterministic problems.
struct Rng {
    uint32_t s;
    uint32_t next() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    }
    double uniform() { return double(next()) / 4294967296.0; }
};

std::vector<AllocationItem> random_items(uint32_t seed, int n_items, int n_options, uint64_t granule) {
    Rng r{seed};
    std::vector<AllocationItem> items;
    for (int i = 0; i < n_items; ++i) {
        AllocationItem it;
        it.name = "t" + std::to_string(i);
        const double gain = 0.1 + 10 * r.uniform();  // how sensitive this tensor is
        for (int k = 0; k < n_options; ++k) {
            AllocationOption o;
            o.type = GgmlType(k);
            o.bytes = granule * (1 + r.next() % 40);
            // Mostly "more bytes, less damage", with dominated options mixed in.
            o.damage = gain * std::exp(-double(o.bytes) / double(granule) / 8.0) * (0.7 + 0.6 * r.uniform());
            it.options.push_back(o);
        }
        items.push_back(std::move(it));
    }
    return items;
}

double brute_force(const std::vector<AllocationItem>& items, uint64_t cap) {
    double best = std::numeric_limits<double>::infinity();
    std::function<void(size_t, uint64_t, double)> go = [&](size_t i, uint64_t bytes, double dmg) {
        if (bytes > cap) return;
        if (i == items.size()) {
            best = std::min(best, dmg);
            return;
        }
        for (const auto& o : items[i].options) go(i + 1, bytes + o.bytes, dmg + o.damage);
    };
    go(0, 0, 0.0);
    return best;
}

}  // namespace

TEST_CASE("allocation: the table's answer is the brute-force optimum", "[mixed][allocation]") {
    for (uint32_t seed = 1; seed <= 6; ++seed) {
        const auto items = random_items(seed, 5, 4, 96);
        const AllocationTable table(items);
        REQUIRE(table.exact());
        for (uint64_t cap = table.min_bytes(); cap <= table.max_bytes() + 200; cap += 37) {
            const Allocation a = table.best(cap);
            REQUIRE(a.bytes <= cap);
            REQUIRE(a.damage == Approx(brute_force(items, cap)).epsilon(1e-12));
        }
    }
}

TEST_CASE("allocation: never over budget, and a larger budget never predicts more damage", "[mixed][allocation]") {
    for (size_t max_cells : {size_t(1) << 24, size_t(3000)}) {  // exact, then bucketed
        const auto items = random_items(42, 60, 9, 4096 + 32);
        const AllocationTable table(items, max_cells);
        if (max_cells < 10000) REQUIRE_FALSE(table.exact());
        double last = std::numeric_limits<double>::infinity();
        for (uint64_t cap = table.min_bytes(); cap <= table.max_bytes() + 5000; cap += 3001) {
            const Allocation a = table.best(cap);
            uint64_t bytes = 0;
            double damage = 0;
            for (size_t i = 0; i < items.size(); ++i) {
                bytes += items[i].options[a.choice[i]].bytes;
                damage += items[i].options[a.choice[i]].damage;
            }
            REQUIRE(bytes == a.bytes);
            REQUIRE(damage == Approx(a.damage));
            REQUIRE(a.bytes <= cap);
            REQUIRE(a.damage <= last + 1e-12);
            last = a.damage;
        }
        // At the top every tensor takes its least damaging option.
        const Allocation top = table.best(table.max_bytes());
        for (size_t i = 0; i < items.size(); ++i) {
            double least = std::numeric_limits<double>::infinity();
            for (const auto& o : items[i].options) least = std::min(least, o.damage);
            REQUIRE(items[i].options[top.choice[i]].damage == least);
        }
        // The frontier steps down as the size grows.
        const auto f = table.frontier();
        REQUIRE(f.size() >= 2);
        for (size_t i = 1; i < f.size(); ++i) {
            REQUIRE(f[i].first > f[i - 1].first);
            REQUIRE(f[i].second < f[i - 1].second);
        }
    }
}

TEST_CASE("allocation: bad problems and budgets are typed errors", "[mixed][allocation]") {
    auto items = random_items(3, 3, 3, 64);
    const AllocationTable table(items);
    try {
        table.best(table.min_bytes() - 1);
        FAIL("expected an error");
    } catch (const Error& e) {
        REQUIRE(e.code() == ErrorCode::InvalidArgument);
    }
    items[1].options.clear();
    REQUIRE_THROWS_AS(AllocationTable(items), Error);
    items = random_items(3, 3, 3, 64);
    items[0].options[0].damage = std::nan("");
    REQUIRE_THROWS_AS(AllocationTable(items), Error);
    REQUIRE_THROWS_AS(AllocationTable({}), Error);
}

TEST_CASE("spearman's rho with ties", "[mixed][stats]") {
    REQUIRE(spearman_rho({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
    REQUIRE(spearman_rho({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
    const auto r = fractional_ranks({5, 1, 5, 2});
    REQUIRE(r == std::vector<double>{3.5, 1, 3.5, 2});
    // 1 - 6 sum d^2 / (n (n^2 - 1)) without ties: d = (0, 1, -1, 0, 0)
    REQUIRE(spearman_rho({1, 2, 3, 4, 5}, {1, 3, 2, 4, 5}) == Approx(1.0 - 6.0 * 2 / (5 * 24)));
    REQUIRE(std::isnan(spearman_rho({1, 1, 1}, {1, 2, 3})));
    REQUIRE_THROWS_AS(spearman_rho({1}, {1}), Error);
}
