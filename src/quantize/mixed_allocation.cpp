#include "quantize/mixed_allocation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace quantlab {

namespace {

uint64_t gcd64(uint64_t a, uint64_t b) {
    while (b) {
        const uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

}  // namespace

AllocationTable::AllocationTable(std::vector<AllocationItem> items, size_t max_cells) : items_(std::move(items)) {
    if (items_.empty()) throw Error(ErrorCode::InvalidArgument, "nothing to allocate");
    // Pareto fronts: by bytes, then damage; keep an option only if it is less
    // damaging than every smaller one.
    uint64_t g = 0, span = 0;
    for (const auto& it : items_) {
        if (it.options.empty()) throw Error(ErrorCode::InvalidArgument, "tensor " + it.name + " has no allowed format");
        for (const auto& o : it.options) {
            if (!(o.damage >= 0.0) || !std::isfinite(o.damage)) {
                throw Error(ErrorCode::InvalidArgument, "tensor " + it.name + " has a damage that is not a finite number >= 0");
            }
        }
        std::vector<size_t> idx(it.options.size());
        std::iota(idx.begin(), idx.end(), size_t(0));
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
            const auto &x = it.options[a], &y = it.options[b];
            return x.bytes != y.bytes ? x.bytes < y.bytes : x.damage < y.damage;
        });
        std::vector<size_t> f;
        for (size_t i : idx) {
            if (f.empty() || it.options[i].damage < it.options[f.back()].damage) f.push_back(i);
        }
        if (f.size() > 255) throw Error(ErrorCode::InvalidArgument, "too many formats for tensor " + it.name);
        const uint64_t lo = it.options[f.front()].bytes;
        min_bytes_ += lo;
        max_bytes_ += it.options[f.back()].bytes;
        for (size_t i : f) g = gcd64(g, it.options[i].bytes - lo);
        span += it.options[f.back()].bytes - lo;
        front_.push_back(std::move(f));
    }
    // Cells: the span in units, bounded so that the choice table stays small.
    const size_t per_item_cells = std::max<size_t>(1024, max_cells / items_.size());
    unit_ = g == 0 ? 1 : g;
    exact_ = true;
    if (span / unit_ + 1 > per_item_cells) {
        unit_ = std::max<uint64_t>(unit_, (span + per_item_cells - 2) / (per_item_cells - 1));
        exact_ = false;
    }
    for (size_t i = 0; i < items_.size(); ++i) {
        const uint64_t lo = items_[i].options[front_[i].front()].bytes;
        std::vector<uint64_t> u;
        for (size_t k : front_[i]) u.push_back((items_[i].options[k].bytes - lo + unit_ - 1) / unit_);  // rounded up
        units_.push_back(std::move(u));
    }
    uint64_t total_units = 0;
    for (const auto& u : units_) total_units += u.back();
    cells_ = size_t(total_units) + 1;
    // Rounded up, the top plan may need a little more than its true size.
    if (!exact_) max_bytes_ = min_bytes_ + total_units * unit_;

    // best[c]: least damage of items 0..i with at most c extra units.
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> prev(cells_, 0.0), cur(cells_);
    pick_.assign(items_.size() * cells_, 0);
    for (size_t i = 0; i < items_.size(); ++i) {
        const auto& opts = items_[i].options;
        uint8_t* pick = pick_.data() + i * cells_;
        for (size_t c = 0; c < cells_; ++c) {
            double b = inf;
            uint8_t bk = 0;
            for (size_t k = 0; k < front_[i].size(); ++k) {
                const uint64_t w = units_[i][k];
                if (w > c) break;  // units grow along the front
                const double d = prev[c - size_t(w)] + opts[front_[i][k]].damage;
                if (d < b) {
                    b = d;
                    bk = uint8_t(k);
                }
            }
            cur[c] = b;
            pick[c] = bk;
        }
        std::swap(prev, cur);
    }
    best_ = std::move(prev);
}

Allocation AllocationTable::best(uint64_t capacity) const {
    if (capacity < min_bytes_) {
        throw Error(ErrorCode::InvalidArgument, "the budget of " + std::to_string(capacity) +
                                                    " bytes is below the smallest possible total of " +
                                                    std::to_string(min_bytes_));
    }
    size_t c = size_t(std::min<uint64_t>((capacity - min_bytes_) / unit_, cells_ - 1));
    Allocation a;
    a.choice.resize(items_.size());
    for (size_t i = items_.size(); i-- > 0;) {
        const size_t k = pick_[i * cells_ + c];
        a.choice[i] = front_[i][k];
        c -= size_t(units_[i][k]);
        const AllocationOption& o = items_[i].options[a.choice[i]];
        a.bytes += o.bytes;
        a.damage += o.damage;
    }
    return a;
}

std::vector<std::pair<uint64_t, double>> AllocationTable::frontier() const {
    std::vector<std::pair<uint64_t, double>> out;
    double last = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < cells_; ++c) {
        if (best_[c] < last) {
            last = best_[c];
            const Allocation a = best(min_bytes_ + uint64_t(c) * unit_);
            out.emplace_back(a.bytes, a.damage);
        }
    }
    // With rounded sizes a later (less damaging) plan can be truly smaller
    // than an earlier one, which it then dominates.
    std::vector<std::pair<uint64_t, double>> kept;
    uint64_t smallest = UINT64_MAX;
    for (size_t i = out.size(); i-- > 0;) {
        if (out[i].first < smallest) {
            kept.push_back(out[i]);
            smallest = out[i].first;
        }
    }
    std::reverse(kept.begin(), kept.end());
    return kept;
}

}  // namespace quantlab
