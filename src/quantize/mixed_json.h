// JSON forms of the mixed-precision reports: a sensitivity table and a plan
// (see docs/mixed-precision.md for the fields).
#pragma once

#include <string>

#include "quantize/sensitivity.h"

namespace quantlab {

// {"types":[...], "exact":bool, "nCtx", "nChunks", "nScored", "basePpl", "seconds",
//  "tensors":[{"name","kind","layer","shape","cells":[{"type","bytes","proxy","kld","rejected"}]}],
//  "spearman":{type: rho}}
std::string sensitivity_to_json(const SensitivityResult& r);

// Spearman's rho of proxy against exact KLD over the tensors, per type (NaN
// where fewer than two tensors were measured), and over every measured cell.
struct ProxyAgreement {
    std::vector<std::pair<GgmlType, double>> per_type;
    double all_cells = 0.0;
};
ProxyAgreement proxy_agreement(const SensitivityResult& r);

}  // namespace quantlab
