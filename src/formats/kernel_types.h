// Signatures shared by every format kernel, scalar and SIMD128 alike.
// They mirror ggml's to_float / from_float / quantize_chunk / vec_dot so that
// the traits table can point at either implementation interchangeably.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quantlab {

// Quantize k values (k a multiple of the block size) with the type's reference
// algorithm and no importance weights: ggml's quantize_row_<type>_ref, which
// is also the from_float used for activations.
using QuantizeRowFn = void (*)(const float* x, void* y, int64_t k);

// Quantize nrows rows of n_per_row values, optionally weighted by an importance
// matrix (n_per_row weights). This is the path llama-quantize takes
// (ggml_quantize_chunk). Returns the bytes written.
using QuantizeFn = size_t (*)(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                              const float* imatrix);

// Expand k values (a multiple of the block size) back to float.
using DequantizeRowFn = void (*)(const void* x, float* y, int64_t k);

// Dot product of n values of a weight row x with an activation row y that was
// quantized to the type's vec_dot_type.
using VecDotFn = float (*)(int64_t n, const void* x, const void* y);

// n_rows weight rows times n_tokens activation rows (quantized to the type's
// vec_dot_type): y[t * y_stride + r] = vec_dot(n, w + r * w_row_bytes,
// a + t * a_row_bytes), bit for bit the variant's vec_dot, but faster because
// each unpacked weight block serves several tokens and each activation block
// several rows (the role of ggml's repacked gemm / llamafile's tinyBLAS).
using GemmFn = void (*)(int64_t n, const void* w, size_t w_row_bytes, int64_t n_rows, const void* a,
                        size_t a_row_bytes, int64_t n_tokens, float* y, size_t y_stride);

struct KernelSet {
    QuantizeRowFn quantize_row = nullptr;
    QuantizeFn quantize = nullptr;
    DequantizeRowFn dequantize_row = nullptr;
    VecDotFn vec_dot = nullptr;
    GemmFn gemm = nullptr;  // optional: callers fall back to a vec_dot per (row, token)
};

// Quantize a whole chunk row by row with a row quantizer. Formats whose
// llama-quantize path ignores the importance matrix (or has none) use this.
inline size_t quantize_rows_with(QuantizeRowFn row, size_t row_bytes, const float* src, void* dst,
                                 int64_t nrows, int64_t n_per_row) {
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        row(src + r * n_per_row, out + size_t(r) * row_bytes, n_per_row);
    }
    return size_t(nrows) * row_bytes;
}

// The QuantizeFn of a format whose chunk path is its row quantizer and which
// ignores an importance matrix (ggml's quantize_q8_0, quantize_tq1_0, ...):
// Row over each row of n_per_row values, BytesPerBlock bytes per BlockSize values.
template <QuantizeRowFn Row, size_t BytesPerBlock, int64_t BlockSize>
size_t quantize_rows_ignoring_imatrix(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    return quantize_rows_with(Row, size_t(n_per_row / BlockSize) * BytesPerBlock, src, dst, nrows, n_per_row);
}

}  // namespace quantlab
