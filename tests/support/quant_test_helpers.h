// Helpers shared by the per-family format suites (legacy, K-quant, IQ4):
// quantize/dequantize round trips with an optional importance matrix and the
// error measures the imatrix tests compare.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/block_types.h"
#include "formats/quantize.h"

namespace quantlab::test {

std::vector<uint8_t> quantize_with(const TypeTraits& t, const std::vector<float>& x, const std::vector<float>* imatrix,
                                   KernelVariant v, size_t n_per_row = 0);

// Quantize then dequantize with the same kernel variant.
std::vector<float> roundtrip(const TypeTraits& t, const std::vector<float>& x, const std::vector<float>* imatrix,
                             size_t n_per_row = 0, KernelVariant v = KernelVariant::Ref);

// sum_i w[i % w.size()] * (x_i - y_i)^2 in double (w may be one row's weights).
double weighted_sq_error(const std::vector<float>& x, const std::vector<float>& y, const std::vector<float>& w);
double rmse(const std::vector<float>& x, const std::vector<float>& y);
// sqrt(sum (x - y)^2 / sum x^2) in double; 0 when x is all zeros.
double relative_rms_error(const std::vector<float>& x, const std::vector<float>& y);
bool all_finite(const std::vector<float>& y);

// A Q8_K activation row built directly (d and int8 quants, bsums), so dot
// products are tested independently of any Q8_K quantizer.
std::vector<block_q8_K> make_q8_K(size_t nb, uint32_t seed);

// The exact dot product of two quantized rows of n values (weights of type wt,
// activations of type at): both dequantized by the reference and summed in
// double, with the sum of |terms| that error bounds are relative to.
struct DequantizedDot {
    double sum = 0.0;
    double mag = 0.0;
};
DequantizedDot dequantized_dot(const TypeTraits& wt, const void* wq, const TypeTraits& at, const void* aq, size_t n);

// Test rows with a few large values, as real weight rows have.
std::vector<float> weights_like(size_t n, uint32_t seed);
// Importance spread over e^-4 .. e^4, like activation statistics.
std::vector<float> skewed_imatrix(size_t n, uint32_t seed);

}  // namespace quantlab::test
