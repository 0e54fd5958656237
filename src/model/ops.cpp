#include "model/ops.h"

#include <cmath>

#include "formats/prepared_activations.h"
#include "model/sincos.h"

namespace quantlab {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
    // Four double partial sums in a fixed order (lane i % 4, then (0+1)+(2+3))
    // instead of ggml's one serial chain: the chain of dependent double adds
    // was latency-bound (1.7 % of pp256 at Q4_0). Plain C++, so every target
    // (native, SIMDe, wasm) runs this same order and gets the same bits; the
    // double sums differ from ggml's serial one far below the float rounding
    // of the mean.
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; ++j) acc[j] += double(x[i + j] * x[i + j]);
    for (int j = 0; i < n; ++i, ++j) acc[j] += double(x[i] * x[i]);
    const double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    const float mean = float(sum / double(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void rope_angles(int64_t pos, int64_t n_rot, float freq_base, float freq_scale, float* cos_out, float* sin_out) {
    const float theta_scale = std::pow(freq_base, -2.0f / float(n_rot));
    float theta = float(pos);
    for (int64_t k = 0; k < n_rot / 2; ++k) {
        const float t = freq_scale * theta;
        sincos_rope(t, &sin_out[k], &cos_out[k]);  // not libm's: the same bits on every target
        theta *= theta_scale;
    }
}

void rope_rotate(float* x, int64_t n_head, int64_t head_dim, int64_t n_rot, const float* cs, const float* sn,
                 RopeType type, bool inverse) {
    for (int64_t h = 0; h < n_head; ++h) {
        float* v = x + h * head_dim;
        for (int64_t k = 0; k < n_rot / 2; ++k) {
            // Norm pairs adjacent values; NeoX pairs value k with k + n_rot/2.
            // Negating the sine is exact, so inverse is exactly the transpose.
            const int64_t i0 = type == RopeType::Norm ? 2 * k : k;
            const int64_t i1 = type == RopeType::Norm ? 2 * k + 1 : k + n_rot / 2;
            const float a = v[i0], b = v[i1], c = cs[k], s = inverse ? -sn[k] : sn[k];
            v[i0] = a * c - b * s;
            v[i1] = a * s + b * c;
        }
    }
}

size_t activation_row_bytes(const WeightMatrix& w) { return row_size(type_traits(w.traits->vec_dot_type), w.n_in); }

void quantize_activations(const WeightMatrix& w, const float* x, int64_t t0, int64_t t1, uint8_t* aq,
                          KernelVariant variant) {
    const KernelSet ak = resolve_kernels(type_traits(w.traits->vec_dot_type), variant);
    const size_t arow = activation_row_bytes(w);
    for (int64_t t = t0; t < t1; ++t) ak.quantize_row(x + t * w.n_in, aq + size_t(t) * arow, w.n_in);
}

void matmul_quantized(const WeightMatrix& w, const uint8_t* aq, int64_t n_tokens, float* y, int64_t r0, int64_t r1,
                      KernelVariant variant, uint64_t acts_tag) {
    if (r1 <= r0 || n_tokens <= 0) return;
    const KernelSet wk = resolve_kernels(*w.traits, variant);
    const size_t arow = activation_row_bytes(w);
    // The format's gemm when it has one: the same numbers as vec_dot, with
    // unpacked blocks shared across rows and tokens (each gemm picks its own
    // single-token path).
    if (wk.gemm) {
        const ActivationTagScope tag(acts_tag);
        wk.gemm(w.n_in, w.row(r0), w.row_bytes, r1 - r0, aq, arow, n_tokens, y + r0, size_t(w.n_out));
        return;
    }
    // Rows outer, tokens inner: each weight row is read once per batch.
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* wr = w.row(r);
        for (int64_t t = 0; t < n_tokens; ++t) y[t * w.n_out + r] = wk.vec_dot(w.n_in, wr, aq + size_t(t) * arow);
    }
}

void embedding_row(const WeightMatrix& w, int64_t id, float* out) {
    w.traits->ref.dequantize_row(w.row(id), out, w.n_in);
}

}  // namespace quantlab
