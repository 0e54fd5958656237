// Scale-search helpers shared by the K-quant reference kernels and their
// SIMD128 twins. Both must round exactly like ggml-quants.c, so the float
// expressions below keep ggml's operand order and float (never double)
// arithmetic; the library is built with -ffp-contract=off so no FMA sneaks in.
// Algorithms: ggml-quants.c nearest_int, make_qx_quants, make_q3_quants,
// make_qkx2_quants, make_qkx3_quants, make_qp_quants, get_scale_min_k4.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace quantlab {

// Below this a group's largest magnitude counts as zero: dividing by it could
// overflow the scale (ggml-quants.c GROUP_MAX_EPS).
constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, for |x| <= 4194303: adding 1.5 * 2^23 puts
// the integer part in the low mantissa bits, where the FPU already rounded it.
inline int nearest_int(float fval) {
    const float val = fval + 12582912.f;
    int32_t i;
    std::memcpy(&i, &val, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

// ggml's MAX/MIN macros: which operand wins on ties and NaN matters for
// byte-exactness, so std::max/min (same choice) are avoided for clarity.
template <typename T>
inline T qmax(T a, T b) { return a > b ? a : b; }
template <typename T>
inline T qmin(T a, T b) { return a < b ? a : b; }

// Symmetric quantization of n values to [-nmax, nmax-1], stored in L with an
// offset of +nmax. rmse_type 1 searches 18 scales around nmax/max with
// weights qw (or x^2 when qw is null); returns the scale.
inline float make_qx_quants(int n, int nmax, const float* x, int8_t* L, int rmse_type, const float* qw) {
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    auto weight = [&](int i, int type) -> float {
        if (qw) return qw[i];
        if (type == 1) return x[i] * x[i];
        if (type == 2) return 1;
        if (type == 3) return std::fabs(x[i]);
        return std::sqrt(std::fabs(x[i]));
    };
    float iscale = float(-nmax) / max;
    if (rmse_type == 0) {
        for (int i = 0; i < n; ++i) {
            const int l = nearest_int(iscale * x[i]);
            L[i] = int8_t(nmax + qmax(-nmax, qmin(nmax - 1, l)));
        }
        return 1 / iscale;
    }
    bool return_early = false;
    if (rmse_type < 0) {
        rmse_type = -rmse_type;
        return_early = true;
    }
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = qmax(-nmax, qmin(nmax - 1, l));
        L[i] = int8_t(l + nmax);
        const float w = weight(i, rmse_type);
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    if (return_early) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(float(nmax) + 0.1f * float(is)) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = qmax(-nmax, qmin(nmax - 1, l));
            const float w = weight(i, rmse_type);
            sumlx += w * x[i] * float(l);
            suml2 += w * float(l) * float(l);
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                const int l = nearest_int(iscale * x[i]);
                L[i] = int8_t(nmax + qmax(-nmax, qmin(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// Q3_K's group quantizer: symmetric to [-nmax, nmax-1] (L offset by +nmax),
// optionally refined by up to 5 rounds of coordinate descent on x^2-weighted error.
inline float make_q3_quants(int n, int nmax, const float* x, int8_t* L, bool do_rmse) {
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    const float iscale = float(-nmax) / max;
    if (do_rmse) {
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = qmax(-nmax, qmin(nmax - 1, l));
            L[i] = int8_t(l);
            const float w = x[i] * x[i];
            sumlx += w * x[i] * float(l);
            suml2 += w * float(l) * float(l);
        }
        for (int itry = 0; itry < 5; ++itry) {
            int n_changed = 0;
            for (int i = 0; i < n; ++i) {
                const float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * float(L[i]);
                if (slx > 0) {
                    float sl2 = suml2 - w * float(L[i]) * float(L[i]);
                    int new_l = nearest_int(x[i] * sl2 / slx);
                    new_l = qmax(-nmax, qmin(nmax - 1, new_l));
                    if (new_l != L[i]) {
                        slx += w * x[i] * float(new_l);
                        sl2 += w * float(new_l) * float(new_l);
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = int8_t(new_l);
                            sumlx = slx;
                            suml2 = sl2;
                            ++n_changed;
                        }
                    }
                }
            }
            if (!n_changed) break;
        }
        for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = qmax(-nmax, qmin(nmax - 1, l));
        L[i] = int8_t(l + nmax);
    }
    return 1 / iscale;
}

// Asymmetric (scale, min) fit of n values to [0, nmax]: a grid of nstep+1
// candidate scales, each refined by weighted least squares; the weighted
// error (|diff| with use_mad, else diff^2) picks the winner. Writes -min to
// *the_min and returns the scale.
inline float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                              uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    float min = x[0];
    float max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = float(nmax) / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * (x[i] - min));
        L[i] = uint8_t(qmax(0, qmin(nmax, l)));
        float diff = scale * float(L[i]) + min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        best_error += weights[i] * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * (x[i] - min));
            l = qmax(0, qmin(nmax, l));
            Laux[i] = uint8_t(l);
            const float w = weights[i];
            sum_l += w * float(l);
            sum_l2 += w * float(l) * float(l);
            sum_xl += w * float(l) * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * float(Laux[i]) + this_min - x[i];
                diff = use_mad ? std::fabs(diff) : diff * diff;
                cur_error += weights[i] * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; ++i) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

// The imatrix variant of make_qkx2_quants (weights null: x^2). Differences
// that change bytes: max <= min for the flat case, and the candidate grid
// measures against the best min found so far, clamping before rounding so an
// infinite or NaN ratio lands on 0 or nmax instead of garbage.
inline float make_qkx3_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                              uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    auto weight = [&](int i) -> float { return weights ? weights[i] : x[i] * x[i]; };
    float min = x[0];
    float max = x[0];
    float sum_w = weight(0);
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weight(i);
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max <= min) {
        std::memset(L, 0, size_t(n));
        *the_min = -min;
        return 0.f;
    }
    float iscale = float(nmax) / (max - min);
    float scale = 1 / iscale;
    float best_mad = 0;
    for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * (x[i] - min));
        L[i] = uint8_t(qmax(0, qmin(nmax, l)));
        float diff = scale * float(L[i]) + min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        best_mad += weight(i) * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * float(is) + float(nmax)) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const float v = iscale * (x[i] - min);
            const int l = v > 0 ? nearest_int(qmin(v, float(nmax))) : 0;
            Laux[i] = uint8_t(l);
            const float w = weight(i);
            sum_l += w * float(l);
            sum_l2 += w * float(l) * float(l);
            sum_xl += w * float(l) * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float mad = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * float(Laux[i]) + this_min - x[i];
                diff = use_mad ? std::fabs(diff) : diff * diff;
                mad += weight(i) * diff;
            }
            if (mad < best_mad) {
                for (int i = 0; i < n; ++i) L[i] = Laux[i];
                best_mad = mad;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

// The weighted squared error of make_qp_quants' 8 trial scales (is = -4..-1,
// 1..4): mse[t] = sum_i w_i * (x_i - scale[t] * min(nmax, round(iscale[t] * x_i)))^2
// in index order. A SIMD caller may pass its own, computing the same floats.
using QpTrialErrorsFn = void (*)(int n, int nmax, const float* x, const float* w, const float* iscale,
                                 const float* scale, float* mse);

inline void qp_trial_errors(int n, int nmax, const float* x, const float* w, const float* iscale, const float* scale,
                            float* mse) {
    for (int t = 0; t < 8; ++t) {
        float e = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale[t] * x[i]);
            l = qmin(nmax, l);
            const float diff = x[i] - scale[t] * float(l);
            e += w[i] * diff * diff;
        }
        mse[t] = e;
    }
}

// Quantizes non-negative values (sub-block scales or mins) to [0, nmax] with
// weights quant_weights: 9-point scale grid, then coordinate descent. L is
// uint8_t on purpose: ggml stores the unclamped rounding into uint8_t too.
inline float make_qp_quants(int n, int nmax, const float* x, uint8_t* L, const float* quant_weights,
                            QpTrialErrorsFn trial_errors = qp_trial_errors) {
    float max = 0;
    for (int i = 0; i < n; ++i) max = qmax(max, x[i]);
    if (max < kGroupMaxEps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    float iscale = float(nmax) / max;
    for (int i = 0; i < n; ++i) L[i] = uint8_t(nearest_int(iscale * x[i]));
    const float scale = 1 / iscale;
    float best_mse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale * float(L[i]);
        best_mse += quant_weights[i] * diff * diff;
    }
    float iscale_is[8], scale_is[8], mse[8];
    for (int t = 0; t < 8; ++t) {
        const int is = t < 4 ? t - 4 : t - 3;
        iscale_is[t] = (0.1f * float(is) + float(nmax)) / max;
        scale_is[t] = 1 / iscale_is[t];
    }
    trial_errors(n, nmax, x, quant_weights, iscale_is, scale_is, mse);
    for (int t = 0; t < 8; ++t) {
        if (mse[t] < best_mse) {
            best_mse = mse[t];
            iscale = iscale_is[t];
        }
    }
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = qmin(nmax, l);
        L[i] = uint8_t(l);
        const float w = quant_weights[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = quant_weights[i];
            float slx = sumlx - w * x[i] * float(L[i]);
            float sl2 = suml2 - w * float(L[i]) * float(L[i]);
            if (slx > 0 && sl2 > 0) {
                int new_l = nearest_int(x[i] * sl2 / slx);
                new_l = qmin(nmax, new_l);
                if (new_l != L[i]) {
                    slx += w * x[i] * float(new_l);
                    sl2 += w * float(new_l) * float(new_l);
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = uint8_t(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// The 12-byte scale block of Q4_K/Q5_K holds 8 six-bit scales and 8 six-bit
// mins: entries 0-3 sit in the low 6 bits of bytes 0-3 (scales) and 4-7
// (mins); entries 4-7 put their low nibbles in bytes 8-11 and their top two
// bits in the spare high bits of bytes 0-7 (ggml-common.h / get_scale_min_k4).
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
    if (j < 4) {
        *d = uint8_t(q[j] & 63);
        *m = uint8_t(q[j + 4] & 63);
    } else {
        *d = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = uint8_t((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
    }
}

// Inverse of get_scale_min_k4 for entry j (ls, lm < 64). Entries 0-3 assign
// bytes 0-7 outright and entries 4-7 OR their top bits into them, so callers
// must store j = 0..7 in increasing order, as ggml does.
inline void set_scale_min_k4(int j, uint8_t ls, uint8_t lm, uint8_t* q) {
    if (j < 4) {
        q[j] = ls;
        q[j + 4] = lm;
    } else {
        q[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
        q[j - 4] = uint8_t(q[j - 4] | ((ls >> 4) << 6));
        q[j - 0] = uint8_t(q[j - 0] | ((lm >> 4) << 6));
    }
}

}  // namespace quantlab
