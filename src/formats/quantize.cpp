#include "formats/quantize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "parallel/thread_pool.h"

namespace quantlab {

namespace {

void require_block_multiple(const TypeTraits& t, size_t n, const char* what) {
    if (n % size_t(t.block_size) != 0) {
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

size_t quantized_size(const TypeTraits& t, size_t n) {
    require_block_multiple(t, n, "length");
    return n / size_t(t.block_size) * t.type_size;
}

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
    const int64_t rows = int64_t(n / n_per_row);
    const int64_t tasks = opt.pool ? std::min<int64_t>(rows, 4 * int64_t(opt.pool->size())) : 1;
    if (tasks <= 1) {
        k.quantize(x, out, rows, int64_t(n_per_row), opt.imatrix);
        return;
    }
    // Rows are quantized independently: any split writes the same bytes.
    const size_t row_bytes = need / size_t(rows);
    opt.pool->run(tasks, [&](int64_t task, int) {
        const TaskRange r = task_range(rows, tasks, task);
        k.quantize(x + size_t(r.begin) * n_per_row, out + size_t(r.begin) * row_bytes, r.end - r.begin,
                   int64_t(n_per_row), opt.imatrix);
    });
}

std::vector<uint8_t> quantize(const TypeTraits& t, const float* x, size_t n, const QuantizeOptions& opt) {
    if (x == nullptr || n == 0) throw Error(ErrorCode::InvalidArgument, "input tensor is empty");
    std::vector<uint8_t> out(quantized_size(t, n));
    quantize_into(t, x, n, out.data(), out.size(), opt);
    return out;
}

std::vector<float> dequantize(const TypeTraits& t, const uint8_t* q, size_t q_len, size_t n, KernelVariant variant,
                              ThreadPool* pool) {
    if (q == nullptr || q_len == 0 || n == 0) throw Error(ErrorCode::InvalidArgument, "quantized input is empty");
    const size_t need = quantized_size(t, n);
    if (q_len != need) {
        throw Error(ErrorCode::BufferSize, std::to_string(n) + " values of " + t.name + " take " +
                                               std::to_string(need) + " bytes, got " + std::to_string(q_len));
    }
    const KernelSet k = resolve_kernels(t, variant);
    if (k.dequantize_row == nullptr) {
        throw Error(ErrorCode::Unsupported, std::string("dequantization of ") + t.name + " is not implemented");
    }
    std::vector<float> y(n);
    const int64_t blocks = int64_t(n) / t.block_size;
    const int64_t tasks = pool ? std::min<int64_t>(blocks / 256 + 1, 4 * int64_t(pool->size())) : 1;
    if (tasks <= 1) {
        k.dequantize_row(q, y.data(), int64_t(n));
        return y;
    }
    pool->run(tasks, [&](int64_t task, int) {
        const TaskRange r = task_range(blocks, tasks, task);
        k.dequantize_row(q + size_t(r.begin) * t.type_size, y.data() + r.begin * t.block_size,
                         (r.end - r.begin) * t.block_size);
    });
    return y;
}

}  // namespace quantlab
