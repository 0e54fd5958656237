// Gradients derived by hand; the comments give the formula each loop computes.
#include "train/backward_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "model/ops.h"
#include "train/gemm.h"

namespace quantlab::train_ops {

void rmsnorm_forward(const float* x, const float* w, float* y, float* rstd, int64_t rows, int64_t n, float eps) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * n;
        float* yr = y + r * n;
        // As model/ops.cpp rms_norm (and ggml): squares in float, summed in double.
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) sum += double(xr[i] * xr[i]);
        const float mean = float(sum / double(n));
        const float scale = 1.0f / std::sqrt(mean + eps);
        rstd[r] = scale;
        for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * scale) * w[i];
    }
}

void rmsnorm_backward(const float* x, const float* w, const float* rstd, const float* dy, float* dx, float* dw_partial,
                      int64_t rows, int64_t n, bool accumulate) {
    std::fill(dw_partial, dw_partial + n, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * n;
        const float* dyr = dy + r * n;
        float* dxr = dx + r * n;
        const float s = rstd[r];
        // y_i = x_i s w_i, s = (mean(x^2) + eps)^-1/2, ds/dx_j = -s^3 x_j / n:
        // dx_j = s w_j dy_j - x_j s^3 / n * sum_i dy_i w_i x_i
        float dot = 0.0f;
        for (int64_t i = 0; i < n; ++i) dot += dyr[i] * w[i] * xr[i];
        const float c = dot * s * s * s / float(n);
        if (accumulate) {
            for (int64_t i = 0; i < n; ++i) dxr[i] += s * w[i] * dyr[i] - xr[i] * c;
        } else {
            for (int64_t i = 0; i < n; ++i) dxr[i] = s * w[i] * dyr[i] - xr[i] * c;
        }
        for (int64_t i = 0; i < n; ++i) dw_partial[i] += dyr[i] * xr[i] * s;
    }
}

RopeTable::RopeTable(int64_t n_ctx, int64_t n_rot, float freq_base, float freq_scale) : n_ctx_(n_ctx), n_rot_(n_rot) {
    const int64_t half = n_rot / 2;
    cos_.resize(size_t(n_ctx * half));
    sin_.resize(cos_.size());
    for (int64_t pos = 0; pos < n_ctx; ++pos) {
        rope_angles(pos, n_rot, freq_base, freq_scale, cos_.data() + pos * half, sin_.data() + pos * half);
    }
}

// The engine's rotation (model/ops.cpp) on the precomputed table: normal
// (adjacent-pair) RoPE, as the trainer's models use.
void rope_forward(float* x, int64_t n_head, int64_t head_dim, const RopeTable& t, int64_t pos) {
    rope_rotate(x, n_head, head_dim, t.n_rot(), t.cos_at(pos), t.sin_at(pos), RopeType::Norm);
}

// [a' b'] = R [a b] with R = [[c, -s], [s, c]]; the gradient goes through R^T.
void rope_backward(float* dx, int64_t n_head, int64_t head_dim, const RopeTable& t, int64_t pos) {
    rope_rotate(dx, n_head, head_dim, t.n_rot(), t.cos_at(pos), t.sin_at(pos), RopeType::Norm, /*inverse=*/true);
}

// Attention runs in blocks of query rows: block [t0, t1) only needs keys
// 0..t1-1, so the causal mask skips most of the upper triangle, and each
// product is a small matrix multiply on the vectorized kernel.
constexpr int64_t kQueryBlock = 64;

void attention_forward(const float* q, const float* k, const float* v, int64_t T, int64_t D, float scale, float* P,
                       float* out) {
    for (int64_t t0 = 0; t0 < T; t0 += kQueryBlock) {
        const int64_t t1 = std::min(T, t0 + kQueryBlock), m = t1 - t0;
        float* S = P + t0 * T;
        sgemm_serial(false, true, m, t1, D, q + t0 * D, D, k, D, 0.0f, S, T);  // S = q k^T
        for (int64_t t = t0; t < t1; ++t) {
            float* p = P + t * T;
            float mx = -INFINITY;
            for (int64_t j = 0; j <= t; ++j) {
                p[j] *= scale;
                mx = std::max(mx, p[j]);
            }
            float sum = 0.0f;
            for (int64_t j = 0; j <= t; ++j) {
                p[j] = std::exp(p[j] - mx);
                sum += p[j];
            }
            const float inv = 1.0f / sum;
            for (int64_t j = 0; j <= t; ++j) p[j] *= inv;
            for (int64_t j = t + 1; j < t1; ++j) p[j] = 0.0f;  // masked: the products below read them
        }
        sgemm_serial(false, false, m, D, t1, S, T, v, D, 0.0f, out + t0 * D, D);  // out = P v
    }
}

void attention_backward(const float* q, const float* k, const float* v, const float* P, const float* dout, int64_t T,
                        int64_t D, float scale, float* dq, float* dk, float* dv, float* scratch) {
    for (int64_t t0 = 0; t0 < T; t0 += kQueryBlock) {
        const int64_t t1 = std::min(T, t0 + kQueryBlock), m = t1 - t0;
        const float* Pb = P + t0 * T;
        float* dS = scratch;  // [m][t1]: first dP, then dS in place
        // out = P v: dP = dout v^T, dv += P^T dout
        sgemm_serial(false, true, m, t1, D, dout + t0 * D, D, v, D, 0.0f, dS, t1);
        sgemm_serial(true, false, t1, D, m, Pb, T, dout + t0 * D, D, 1.0f, dv, D);
        // softmax: ds_j = p_j (dp_j - sum_i p_i dp_i), times the score scale
        for (int64_t t = t0; t < t1; ++t) {
            const float* p = P + t * T;
            float* d = dS + (t - t0) * t1;
            float c = 0.0f;
            for (int64_t j = 0; j <= t; ++j) c += p[j] * d[j];
            for (int64_t j = 0; j <= t; ++j) d[j] = p[j] * (d[j] - c) * scale;
            for (int64_t j = t + 1; j < t1; ++j) d[j] = 0.0f;
        }
        // s = q k^T: dq = dS k, dk += dS^T q
        sgemm_serial(false, false, m, D, t1, dS, t1, k, D, 0.0f, dq + t0 * D, D);
        sgemm_serial(true, false, t1, D, m, dS, t1, q + t0 * D, D, 1.0f, dk, D);
    }
}

void attention_forward_engine_f16(const float* q, const float* k, const float* v, int64_t T, int64_t D, float scale,
                                  float* out) {
    auto h = [](float x) { return fp16_to_fp32(fp32_to_fp16(x)); };
    std::vector<float> q16(static_cast<size_t>(D)), acc(static_cast<size_t>(D));
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t i = 0; i < D; ++i) q16[size_t(i)] = h(q[t * D + i]);
        std::fill(acc.begin(), acc.end(), 0.0f);
        float M = -INFINITY, S = 0.0f;
        for (int64_t j = 0; j <= t; ++j) {
            float s = 0.0f;
            for (int64_t i = 0; i < D; ++i) s += h(k[j * D + i]) * q16[size_t(i)];
            s *= scale;
            float ms = 1.0f, vs = 1.0f;
            if (s > M) {
                const float m_old = M;
                M = s;
                ms = std::exp(m_old - M);
                for (auto& a : acc) a = h(a * ms);
            } else {
                vs = std::exp(s - M);
            }
            for (int64_t i = 0; i < D; ++i) acc[size_t(i)] = h(acc[size_t(i)] + h(v[j * D + i]) * vs);
            S = S * ms + vs;
        }
        const float inv = S == 0.0f ? 0.0f : 1.0f / S;
        for (int64_t i = 0; i < D; ++i) out[t * D + i] = acc[size_t(i)] * inv;
    }
}

void swiglu_forward(const float* g, const float* u, float* h, int64_t n) {
    for (int64_t i = 0; i < n; ++i) h[i] = (g[i] / (1.0f + std::exp(-g[i]))) * u[i];
}

void swiglu_backward(const float* g, const float* u, const float* dh, float* dg, float* du, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        // silu'(x) = s (1 + x (1 - s)), s = sigmoid(x)
        const float s = 1.0f / (1.0f + std::exp(-g[i]));
        const float silu = g[i] * s;
        du[i] = dh[i] * silu;
        dg[i] = dh[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
    }
}

float cross_entropy(const float* logits, int64_t n_vocab, int32_t target, float grad_scale, float* dlogits) {
    const float target_logit = logits[target];  // read first: dlogits may overwrite logits in place
    float m = logits[0];
    for (int64_t i = 1; i < n_vocab; ++i) m = std::max(m, logits[i]);
    float sum = 0.0f;
    for (int64_t i = 0; i < n_vocab; ++i) {
        dlogits[i] = std::exp(logits[i] - m);
        sum += dlogits[i];
    }
    const float inv = grad_scale / sum;
    for (int64_t i = 0; i < n_vocab; ++i) dlogits[i] *= inv;
    dlogits[target] -= grad_scale;
    return std::log(sum) + m - target_logit;
}

void embedding_forward(const float* table, const int32_t* ids, int64_t n, int64_t dim, float* out) {
    for (int64_t t = 0; t < n; ++t) std::memcpy(out + t * dim, table + int64_t(ids[t]) * dim, size_t(dim) * sizeof(float));
}

void embedding_backward(const int32_t* ids, const float* dout, int64_t n, int64_t dim, int64_t c0, int64_t c1,
                        float* dtable) {
    for (int64_t t = 0; t < n; ++t) {
        float* row = dtable + int64_t(ids[t]) * dim;
        const float* d = dout + t * dim;
        for (int64_t c = c0; c < c1; ++c) row[c] += d[c];
    }
}

}  // namespace quantlab::train_ops
