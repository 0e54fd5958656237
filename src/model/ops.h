// The handful of tensor operations a llama forward pass needs, each with the
// arithmetic llama.cpp's CPU backend performs (ggml-cpu/ops.cpp, vec.h).
#pragma once

#include <cstdint>
#include <vector>

#include "model/llama_hparams.h"
#include "model/llama_model.h"

namespace quantlab {

// y = x / sqrt(mean(x^2) + eps) * w   (sum of squares in double, as ggml, in four partial sums)
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);

// Rotary position embedding, in two halves shared by the forward pass and the
// trainer (train/backward_ops.cpp): x is [n_head][head_dim], the first n_rot
// dims of each head rotate. rope_angles gives the n_rot / 2 angles of
// position pos as ggml builds them (theta_k = pos * freq_base^(-2k/n_rot) by
// repeated multiplication in float, times freq_scale); rope_rotate rotates
// every head by given cos / sin tables.
// inverse rotates by minus the angles (the transpose, for gradients).
void rope_angles(int64_t pos, int64_t n_rot, float freq_base, float freq_scale, float* cos_out, float* sin_out);
void rope_rotate(float* x, int64_t n_head, int64_t head_dim, int64_t n_rot, const float* cs, const float* sn,
                 RopeType type, bool inverse = false);

// y[t][r] = dot(W row r, x[t]) for n_tokens rows of x ([n_tokens][n_in] -> [n_tokens][n_out]),
// in two steps so that matrices sharing an input (q/k/v, gate/up) quantize it
// once: quantize_activations writes x quantized to w's vec_dot_type, as ggml
// does (activation_row_bytes(w) per token); matmul_quantized multiplies any
// matrix with the same n_in and vec_dot_type by it. Both work on a slice
// (tokens [t0, t1), output rows [r0, r1)) so that threads can share one
// multiplication; every output value is computed the same way whatever the
// slices, so results do not depend on how the work is split.
size_t activation_row_bytes(const WeightMatrix& w);
void quantize_activations(const WeightMatrix& w, const float* x, int64_t t0, int64_t t1, uint8_t* aq,
                          KernelVariant variant);
// acts_tag: a tag naming aq's rows (formats/prepared_activations.h) when the
// caller calls again with the same rows unchanged, so the gemm's per-thread
// layout of them is reused; 0 (the default) prepares them every call.
void matmul_quantized(const WeightMatrix& w, const uint8_t* aq, int64_t n_tokens, float* y, int64_t r0, int64_t r1,
                      KernelVariant variant, uint64_t acts_tag = 0);

// Expand row `id` of an embedding matrix to float.
void embedding_row(const WeightMatrix& w, int64_t id, float* out);

}  // namespace quantlab
