#include "stats/error_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "formats/quantize.h"

namespace quantlab {

ErrorStats compute_error_stats(const float* original, const float* reconstructed, size_t n, int bins, double range) {
    if (original == nullptr || reconstructed == nullptr || n == 0) {
        throw Error(ErrorCode::InvalidArgument, "error statistics need two non-empty arrays");
    }
    if (bins < 0 || bins > 100000) throw Error(ErrorCode::InvalidArgument, "histogram bins must be in 0..100000");
    if (!std::isfinite(range)) throw Error(ErrorCode::InvalidArgument, "histogram range must be a finite number");
    require_finite(original, n, "original");
    require_finite(reconstructed, n, "reconstructed");

    ErrorStats s;
    s.n = n;
    double sum_e = 0, sum_abs = 0, sum_e2 = 0, sum_x2 = 0, sum_y2 = 0, sum_xy = 0;
    for (size_t i = 0; i < n; ++i) {
        const double x = original[i], y = reconstructed[i], e = y - x;
        sum_e += e;
        sum_abs += std::fabs(e);
        sum_e2 += e * e;
        sum_x2 += x * x;
        sum_y2 += y * y;
        sum_xy += x * y;
        s.max_abs = std::max(s.max_abs, std::fabs(e));
    }
    s.mean_error = sum_e / double(n);
    s.mae = sum_abs / double(n);
    s.rmse = std::sqrt(sum_e2 / double(n));
    if (sum_e2 == 0.0) {
        s.snr_db = std::numeric_limits<double>::infinity();
    } else if (sum_x2 == 0.0) {
        s.snr_db = -std::numeric_limits<double>::infinity();
    } else {
        s.snr_db = 10.0 * std::log10(sum_x2 / sum_e2);
    }
    if (sum_x2 == 0.0 && sum_y2 == 0.0) {
        s.cosine = 1.0;  // two zero vectors are identical
    } else if (sum_x2 == 0.0 || sum_y2 == 0.0) {
        s.cosine = 0.0;
    } else {
        s.cosine = sum_xy / (std::sqrt(sum_x2) * std::sqrt(sum_y2));
    }

    if (bins > 0) {
        double half = range > 0.0 ? range : s.max_abs;
        if (half == 0.0) half = 1e-12;  // all errors zero: one narrow range around 0
        s.histogram.lo = -half;
        s.histogram.hi = half;
        s.histogram.counts.assign(size_t(bins), 0);
        // A range near the smallest double would make the width underflow to 0.
        const double width = std::max(2.0 * half / bins, std::numeric_limits<double>::min());
        for (size_t i = 0; i < n; ++i) {
            const double e = double(reconstructed[i]) - double(original[i]);
            // Errors outside an explicit range land in the edge bins. Clamped
            // as a double: converting a position like 1e300 to an integer is
            // undefined behaviour (a trap in WebAssembly).
            const double pos = std::floor((e + half) / width);
            const size_t b = pos <= 0.0 ? 0 : pos >= double(bins - 1) ? size_t(bins - 1) : size_t(pos);
            ++s.histogram.counts[b];
        }
    }
    return s;
}

}  // namespace quantlab
