// How far a reconstruction is from the original: the numbers the tutorial
// shows after every quantize/dequantize round trip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quantlab {

struct ErrorHistogram {
    double lo = 0.0, hi = 0.0;       // range covered by the bins (signed error)
    std::vector<uint64_t> counts;    // equal-width bins over [lo, hi]
};

struct ErrorStats {
    size_t n = 0;
    double mean_error = 0.0;         // mean of (reconstructed - original): bias
    double mae = 0.0;                // mean |error|
    double max_abs = 0.0;            // max |error|
    double rmse = 0.0;
    double snr_db = 0.0;             // 10 log10(sum x^2 / sum e^2); +inf for a perfect copy
    double cosine = 0.0;             // cosine similarity of the two vectors
    ErrorHistogram histogram;
};

// bins == 0 skips the histogram. range <= 0 spans [-max_abs, +max_abs].
// Throws Error(InvalidArgument) for empty input and NonFinite for NaN/Inf.
ErrorStats compute_error_stats(const float* original, const float* reconstructed, size_t n, int bins = 0,
                               double range = 0.0);

}  // namespace quantlab
