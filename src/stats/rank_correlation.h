// Spearman's rank correlation: how well one measure orders items the way
// another does (the sensitivity proxy against the exact KL divergence).
#pragma once

#include <vector>

namespace quantlab {

// Ranks 1..n, ties sharing their mean rank.
std::vector<double> fractional_ranks(const std::vector<double>& v);

// Pearson correlation of the fractional ranks. Needs two equally long inputs
// of at least two values; returns NaN when either side is constant.
// Throws Error(InvalidArgument) otherwise.
double spearman_rho(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace quantlab
