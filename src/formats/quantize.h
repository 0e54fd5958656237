// Checked entry points for quantizing and dequantizing whole tensors. These
// validate everything a caller can get wrong and throw quantlab::Error before
// any kernel runs, so kernels themselves can stay assertion-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/type_traits.h"

namespace quantlab {

class ThreadPool;

struct QuantizeOptions {
    int64_t n_per_row = 0;          // 0: the whole input is one row
    const float* imatrix = nullptr; // optional importance weights, one per column
    size_t imatrix_len = 0;
    KernelVariant variant = default_kernel_variant();
    int64_t first_row = 0;          // errors number rows from here (the input is a slice of a larger tensor)
    ThreadPool* pool = nullptr;     // rows shared out over its threads (the same bytes for any count)
};

// Rows of at most this many floats (128 KiB of F32) go through a
// conversion's passes (quantize, then check the result) together, so the
// passes after the first read them from the core's L2, not from memory.
inline constexpr int64_t kQuantizeBlockValues = int64_t(1) << 15;

// Quantize n floats (nrows = n / n_per_row rows) to type t.
std::vector<uint8_t> quantize(const TypeTraits& t, const float* x, size_t n, const QuantizeOptions& opt = {});

// Same, into a caller buffer of exactly quantized_size(t, n) bytes.
void quantize_into(const TypeTraits& t, const float* x, size_t n, uint8_t* out, size_t out_len,
                   const QuantizeOptions& opt = {});

// Bytes n values occupy in type t (n must be a multiple of the block size).
size_t quantized_size(const TypeTraits& t, size_t n);
// The same for counts beyond size_t (wasm32): sizes a caller asks about.
uint64_t quantized_bytes(const TypeTraits& t, uint64_t n);

// Dequantize n values from exactly quantized_size(t, n) bytes.
// With a pool, blocks are shared out over its threads.
std::vector<float> dequantize(const TypeTraits& t, const uint8_t* q, size_t q_len, size_t n,
                              KernelVariant variant = default_kernel_variant(), ThreadPool* pool = nullptr);
// Same, into a caller buffer of n floats.
void dequantize_into(const TypeTraits& t, const uint8_t* q, size_t q_len, float* y, size_t n,
                     KernelVariant variant = default_kernel_variant(), ThreadPool* pool = nullptr);

// Throws Error(NonFinite) naming the first NaN/Inf and its index.
void require_finite(const float* x, size_t n, const char* what);

// ggml_validate_row_data's question for nrows rows of n_per_row values in
// type t (are the stored scales and values finite?), answered by decoding
// each row with k.dequantize_row, so every format in the traits table is
// covered: the index of the first row that decodes to NaN/Inf, or -1.
// scratch is resized to n_per_row.
int64_t first_non_finite_row(const TypeTraits& t, const KernelSet& k, const uint8_t* data, int64_t nrows,
                             int64_t n_per_row, std::vector<float>& scratch);

}  // namespace quantlab
