#include "stats/rank_correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace quantlab {

std::vector<double> fractional_ranks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> rank(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        const double mean = 0.5 * double(i + j) + 1.0;
        for (size_t k = i; k <= j; ++k) rank[order[k]] = mean;
        i = j + 1;
    }
    return rank;
}

double spearman_rho(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size() || a.size() < 2) {
        throw Error(ErrorCode::InvalidArgument, "rank correlation needs two lists of the same length, at least 2");
    }
    const std::vector<double> ra = fractional_ranks(a), rb = fractional_ranks(b);
    const double n = double(a.size()), mean = (n + 1.0) / 2.0;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        sab += (ra[i] - mean) * (rb[i] - mean);
        saa += (ra[i] - mean) * (ra[i] - mean);
        sbb += (rb[i] - mean) * (rb[i] - mean);
    }
    if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
    return sab / std::sqrt(saa * sbb);
}

}  // namespace quantlab
