// Inner loops of attention, scalar and SIMD128. Values in the KV cache are
// already rounded to f16 precision (llama.cpp caches K and V as f16) but kept
// as float so no conversion sits in the O(n^2) loop.
#pragma once

#include <cstdint>

#include "formats/type_traits.h"

namespace quantlab {

// Round every value to the nearest f16-representable float (ties to even),
// exactly as fp16_to_fp32(fp32_to_fp16(x)).
void round_to_f16(float* x, int64_t n, KernelVariant v);

float dot_f32(const float* a, const float* b, int64_t n, KernelVariant v);

// The scores of nq (1..4) queries against n_keys keys, each exactly
// dot_f32(K + j * k_stride, q[k], d, v): scores[k * n_keys + j]. Natively the
// x86 kernels let several queries share each key load.
void dot_f32_keys(const float* K, int64_t k_stride, int64_t n_keys, const float* const* q, int nq, int64_t d,
                  float* scores, KernelVariant v);

// acc = round_f16(acc * scale)        (the online-softmax rescale)
void scale_round_f16(float* acc, float scale, int64_t n, KernelVariant v);

// acc = round_f16(acc + x * w)        (f16 accumulation of a value row)
void axpy_round_f16(float* acc, const float* x, float w, int64_t n, KernelVariant v);

// The value half of one head's online softmax over n cache rows, with the
// accumulator kept at f16 precision as llama.cpp's flash attention keeps it:
// for j in 0..n-1:  if ms[j] != 1: acc = round_f16(acc * ms[j])
//                   acc = round_f16(acc + v[j * v_stride + 0..d) * vs[j])
// Equal to the sequence of scale_round_f16 / axpy_round_f16 calls bit for bit;
// the SIMD128 version keeps the accumulator in registers across all rows.
void accumulate_values_f16(float* acc, const float* v, int64_t v_stride, const float* ms, const float* vs, int64_t n,
                           int64_t d, KernelVariant var);

// accumulate_values_f16 for nq (1..4) queries over the same value rows: query
// k's accumulator acc[k] takes rows 0..n[k]-1 with its own weights ms[k] and
// vs[k]. Bit for bit nq calls of accumulate_values_f16; natively the x86
// kernels let the queries share each row load and overlap their rounding
// chains (each row step is a dependency chain of add, round, round).
void accumulate_values_f16_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* ms,
                                   const float* const* vs, const int64_t* n, int nq, int64_t d, KernelVariant var);

// The value half of batched attention (LlamaContext::attention_head's f32 path),
// kept in f32 as llama.cpp's tiled flash attention keeps it: query k's
// accumulator takes rows 0..n[k]-1 in order, acc[k] = acc[k] + v[j] * w[k][j]
// per column, a multiply then an add (no FMA), so every vector width computes
// the same floats. Natively the x86 kernels let the nq (1..4) queries share
// each row load.
void accumulate_values_f32_queries(float* const* acc, const float* v, int64_t v_stride, const float* const* w,
                                   const int64_t* n, int nq, int64_t d, KernelVariant var);

}  // namespace quantlab
