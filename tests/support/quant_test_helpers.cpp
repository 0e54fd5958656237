#include "support/quant_test_helpers.h"

#include <cmath>

#include "support/test_support.h"

namespace quantlab::test {

std::vector<uint8_t> quantize_with(const TypeTraits& t, const std::vector<float>& x, const std::vector<float>* imatrix,
                                   KernelVariant v, size_t n_per_row) {
    QuantizeOptions opt;
    opt.variant = v;
    opt.n_per_row = int64_t(n_per_row);
    if (imatrix) {
        opt.imatrix = imatrix->data();
        opt.imatrix_len = imatrix->size();
    }
    return quantize(t, x.data(), x.size(), opt);
}

std::vector<float> roundtrip(const TypeTraits& t, const std::vector<float>& x, const std::vector<float>* imatrix,
                             size_t n_per_row, KernelVariant v) {
    const auto q = quantize_with(t, x, imatrix, v, n_per_row);
    return dequantize(t, q.data(), q.size(), x.size(), v);
}

DequantizedDot dequantized_dot(const TypeTraits& wt, const void* wq, const TypeTraits& at, const void* aq, size_t n) {
    std::vector<float> wd(n), ad(n);
    wt.ref.dequantize_row(wq, wd.data(), int64_t(n));
    at.ref.dequantize_row(aq, ad.data(), int64_t(n));
    DequantizedDot r;
    for (size_t i = 0; i < n; ++i) {
        r.sum += double(wd[i]) * double(ad[i]);
        r.mag += std::fabs(double(wd[i]) * double(ad[i]));
    }
    return r;
}

double weighted_sq_error(const std::vector<float>& x, const std::vector<float>& y, const std::vector<float>& w) {
    double e = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double d = double(x[i]) - double(y[i]);
        e += double(w[i % w.size()]) * d * d;
    }
    return e;
}

double rmse(const std::vector<float>& x, const std::vector<float>& y) {
    return std::sqrt(weighted_sq_error(x, y, {1.0f}) / double(x.size()));
}

double relative_rms_error(const std::vector<float>& x, const std::vector<float>& y) {
    double e = 0, s = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        e += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
        s += double(x[i]) * x[i];
    }
    return s > 0 ? std::sqrt(e / s) : 0.0;
}

std::vector<block_q8_K> make_q8_K(size_t nb, uint32_t seed) {
    std::vector<block_q8_K> y(nb);
    const auto r = random_floats(nb * QK_K, seed, 127.0f);
    for (size_t b = 0; b < nb; ++b) {
        y[b].d = 0.01f + 0.003f * float(b);
        for (int j = 0; j < QK_K; ++j) y[b].qs[j] = int8_t(std::lround(r[b * QK_K + size_t(j)]));
        for (int g = 0; g < QK_K / 16; ++g) {
            int s = 0;
            for (int j = 0; j < 16; ++j) s += y[b].qs[16 * g + j];
            y[b].bsums[g] = int16_t(s);
        }
    }
    return y;
}

bool all_finite(const std::vector<float>& y) {
    for (float v : y) {
        if (!std::isfinite(v)) return false;
    }
    return true;
}

std::vector<float> weights_like(size_t n, uint32_t seed) {
    auto x = random_floats(n, seed, 1.0f);
    for (size_t i = 0; i < n; i += 13) x[i] *= 4.0f;
    return x;
}

std::vector<float> skewed_imatrix(size_t n, uint32_t seed) {
    auto u = random_floats(n, seed, 1.0f);
    for (auto& v : u) v = std::exp(4.0f * v);
    return u;
}

}  // namespace quantlab::test
