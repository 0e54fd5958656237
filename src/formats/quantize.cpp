#include "formats/quantize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "parallel/thread_pool.h"

namespace quantlab {

namespace {

void require_block_multiple(const TypeTraits& t, uint64_t n, const char* what) {
    if (n % uint64_t(t.block_size) != 0) {
        throw Error(ErrorCode::BadLength, std::string(what) + " " + std::to_string(n) +
                                              " is not a multiple of " + t.name + "'s block size " +
                                              std::to_string(t.block_size));
    }
}

}  // namespace

void require_finite(const float* x, size_t n, const char* what) {
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) {
            throw Error(ErrorCode::NonFinite, std::string(what) + " contains " +
                                                  (std::isnan(x[i]) ? "NaN" : "Inf") + " at index " +
                                                  std::to_string(i));
        }
    }
}

int64_t first_non_finite_row(const TypeTraits& t, const KernelSet& k, const uint8_t* data, int64_t nrows,
                             int64_t n_per_row, std::vector<float>& scratch) {
    const size_t rs = row_size(t, n_per_row);
    scratch.resize(size_t(n_per_row));
    for (int64_t r = 0; r < nrows; ++r) {
        k.dequantize_row(data + size_t(r) * rs, scratch.data(), n_per_row);
        for (const float v : scratch) {
            if (!std::isfinite(v)) return r;
        }
    }
    return -1;
}

size_t quantized_size(const TypeTraits& t, size_t n) {
    require_block_multiple(t, n, "length");
    return n / size_t(t.block_size) * t.type_size;
}

uint64_t quantized_bytes(const TypeTraits& t, uint64_t n) {
    require_block_multiple(t, n, "length");
    return n / uint64_t(t.block_size) * uint64_t(t.type_size);
}

namespace {

// The quantizers use importance weights only relative to each other (ggml's
// weighted least squares: ratios of weighted sums), but they form products
// such as w * sqrt(sigma2 + x^2) * x^2 in float. Weights near FLT_MAX
// overflowed them: fuzz_imatrix found an imatrix (legacy .dat, values around
// 1e38) that made q5_0 blocks of an ordinary row (|x| < 0.5) decode to NaN.
// Weights whose largest value lies outside [2^-64, 2^64] are scaled by a
// power of two so it lies in [1, 2): exact for every normal weight, so the
// result is what the quantizer would give in exact arithmetic. Real imatrix
// weights (means of squared activations) are far inside that range, so the
// bytes llama.cpp gives them are unchanged. Returns w or the scaled copy.
const float* importance_in_range(const float* w, size_t n, std::vector<float>& scaled) {
    if (w == nullptr) return w;
    float max_w = 0.0f;
    for (size_t i = 0; i < n; ++i) max_w = std::max(max_w, w[i]);
    if (max_w == 0.0f || (max_w >= 0x1p-64f && max_w <= 0x1p64f)) return w;
    const int shift = -std::ilogb(max_w);
    scaled.resize(n);
    for (size_t i = 0; i < n; ++i) scaled[i] = std::ldexp(w[i], shift);
    return scaled.data();
}

// Finite input can still overflow a format's f16 scales (|x| beyond about
// 65504 times the largest code): such blocks decode to Inf/NaN, and ggml
// refuses them when a model is loaded. Some formats (q3_K, q6_K, iq4_xs)
// instead collapse such a row to finite zeros; a row whose largest value is
// beyond f16's range and does not come back at least half as large is
// refused the same way. Returns the first such row of q (nrows rows quantized
// from x) or -1; *max_x is that row's largest input magnitude.
int64_t first_unstorable_row(const KernelSet& k, const float* x, const uint8_t* q, int64_t nrows, size_t n_per_row,
                             size_t row_bytes, float* max_x) {
    std::vector<float> y(n_per_row);
    for (int64_t r = 0; r < nrows; ++r) {
        k.dequantize_row(q + size_t(r) * row_bytes, y.data(), int64_t(n_per_row));
        float mx = 0.0f, my = 0.0f;
        bool finite = true;
        for (size_t i = 0; i < n_per_row; ++i) {
            mx = std::max(mx, std::fabs(x[size_t(r) * n_per_row + i]));
            finite = finite && std::isfinite(y[i]);
            my = std::max(my, std::fabs(y[i]));
        }
        constexpr float kF16Max = 65504.0f;
        if (!finite || (mx > kF16Max && my < 0.5f * mx)) {
            *max_x = mx;
            return r;
        }
    }
    return -1;
}

}  // namespace

void quantize_into(const TypeTraits& t, const float* x, size_t n, uint8_t* out, size_t out_len,
                   const QuantizeOptions& opt) {
    if (x == nullptr || n == 0) throw Error(ErrorCode::InvalidArgument, "input tensor is empty");
    if (out == nullptr) throw Error(ErrorCode::InvalidArgument, "output buffer is null");
    if (opt.n_per_row < 0) throw Error(ErrorCode::InvalidArgument, "row length must not be negative");
    const size_t n_per_row = opt.n_per_row == 0 ? n : size_t(opt.n_per_row);
    if (n % n_per_row != 0) {
        throw Error(ErrorCode::BadLength, "length " + std::to_string(n) + " is not a whole number of rows of " +
                                              std::to_string(n_per_row));
    }
    require_block_multiple(t, n_per_row, "row length");
    const size_t need = quantized_size(t, n);
    if (out_len != need) {
        throw Error(ErrorCode::BufferSize, std::string("output buffer holds ") + std::to_string(out_len) +
                                               " bytes but " + t.name + " needs " + std::to_string(need));
    }
    require_finite(x, n, "input");
    if (opt.imatrix == nullptr && quantize_requires_imatrix(t.type)) {
        throw Error(ErrorCode::InvalidArgument, imatrix_required_message(t.name));
    }
    if (opt.imatrix != nullptr) {
        if (opt.imatrix_len != n_per_row) {
            throw Error(ErrorCode::BufferSize, "importance matrix has " + std::to_string(opt.imatrix_len) +
                                                   " weights but rows have " + std::to_string(n_per_row) +
                                                   " columns");
        }
        require_finite(opt.imatrix, opt.imatrix_len, "importance matrix");
        for (size_t i = 0; i < opt.imatrix_len; ++i) {
            if (opt.imatrix[i] < 0.0f) {
                throw Error(ErrorCode::InvalidArgument,
                            "importance matrix weight " + std::to_string(i) + " is negative");
            }
        }
    }
    const KernelSet k = resolve_kernels(t, opt.variant);
    if (k.quantize == nullptr) {
        throw Error(ErrorCode::Unsupported, std::string("quantization to ") + t.name + " is not implemented");
    }
    const int64_t nrows = int64_t(n / n_per_row);
    std::vector<float> rescaled;
    const float* importance = importance_in_range(opt.imatrix, opt.imatrix_len, rescaled);
    const size_t rs = row_size(t, int64_t(n_per_row));
    // Rows [r0, r1) quantized, then checked, a block of rows at a time: the
    // first that cannot be stored, or -1.
    const int64_t block_rows = std::max<int64_t>(1, kQuantizeBlockValues / int64_t(n_per_row));
    auto convert = [&](int64_t r0, int64_t r1, float* max_x) {
        for (int64_t b = r0; b < r1; b += block_rows) {
            const int64_t e = std::min(r1, b + block_rows);
            k.quantize(x + size_t(b) * n_per_row, out + size_t(b) * rs, e - b, int64_t(n_per_row), importance);
            const int64_t bad =
                first_unstorable_row(k, x + size_t(b) * n_per_row, out + size_t(b) * rs, e - b, n_per_row, rs, max_x);
            if (bad >= 0) return b + bad;
        }
        return int64_t(-1);
    };
    int64_t bad = -1;
    float max_x = 0.0f;
    const int64_t tasks = opt.pool ? std::min<int64_t>(nrows, 4 * int64_t(opt.pool->size())) : 1;
    if (tasks <= 1) {
        bad = convert(0, nrows, &max_x);
    } else {
        // Rows are quantized independently: any split writes the same bytes,
        // and the error names the same (first) row whatever the thread count.
        std::vector<int64_t> bad_of(size_t(tasks), -1);
        std::vector<float> max_of(size_t(tasks), 0.0f);
        opt.pool->run(tasks, [&](int64_t task, int) {
            const TaskRange r = task_range(nrows, tasks, task);
            bad_of[size_t(task)] = convert(r.begin, r.end, &max_of[size_t(task)]);
        });
        for (int64_t task = 0; task < tasks && bad < 0; ++task) {
            bad = bad_of[size_t(task)];
            max_x = max_of[size_t(task)];
        }
    }
    if (bad >= 0) {
        throw Error(ErrorCode::NonFinite, "row " + std::to_string(opt.first_row + bad) + " cannot be stored as " +
                                              t.name + ": its largest magnitude " + std::to_string(max_x) +
                                              " overflows the format's scales");
    }
}

std::vector<uint8_t> quantize(const TypeTraits& t, const float* x, size_t n, const QuantizeOptions& opt) {
    if (x == nullptr || n == 0) throw Error(ErrorCode::InvalidArgument, "input tensor is empty");
    std::vector<uint8_t> out(quantized_size(t, n));
    quantize_into(t, x, n, out.data(), out.size(), opt);
    return out;
}

namespace {
// The input checks of dequantize and dequantize_into, made before any output
// is allocated: a wrong n is a BufferSize error, not an allocation of n floats.
void check_quantized_input(const TypeTraits& t, const uint8_t* q, size_t q_len, size_t n) {
    if (q == nullptr || q_len == 0 || n == 0) throw Error(ErrorCode::InvalidArgument, "quantized input is empty");
    const size_t need = quantized_size(t, n);
    if (q_len != need) {
        throw Error(ErrorCode::BufferSize, std::to_string(n) + " values of " + t.name + " take " +
                                               std::to_string(need) + " bytes, got " + std::to_string(q_len));
    }
}
}  // namespace

void dequantize_into(const TypeTraits& t, const uint8_t* q, size_t q_len, float* y, size_t n, KernelVariant variant,
                     ThreadPool* pool) {
    check_quantized_input(t, q, q_len, n);
    if (y == nullptr) throw Error(ErrorCode::InvalidArgument, "no output buffer");
    const KernelSet k = resolve_kernels(t, variant);
    if (k.dequantize_row == nullptr) {
        throw Error(ErrorCode::Unsupported, std::string("dequantization of ") + t.name + " is not implemented");
    }
    const int64_t blocks = int64_t(n) / t.block_size;
    const int64_t tasks = pool ? std::min<int64_t>(blocks / 256 + 1, 4 * int64_t(pool->size())) : 1;
    if (tasks <= 1) {
        k.dequantize_row(q, y, int64_t(n));
        return;
    }
    pool->run(tasks, [&](int64_t task, int) {
        const TaskRange r = task_range(blocks, tasks, task);
        k.dequantize_row(q + size_t(r.begin) * t.type_size, y + r.begin * t.block_size, (r.end - r.begin) * t.block_size);
    });
}

std::vector<float> dequantize(const TypeTraits& t, const uint8_t* q, size_t q_len, size_t n, KernelVariant variant,
                              ThreadPool* pool) {
    check_quantized_input(t, q, q_len, n);
    std::vector<float> y(n);
    dequantize_into(t, q, q_len, y.data(), n, variant, pool);
    return y;
}

}  // namespace quantlab
