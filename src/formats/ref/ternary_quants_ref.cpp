// Scalar reference kernels of the ternary formats TQ1_0 and TQ2_0.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_tq1_0_ref,
// quantize_row_tq2_0_ref, quantize_tq*_0, dequantize_row_tq*_0) and
// ggml/src/ggml-cpu/quants.c (ggml_vec_dot_tq1_0_q8_K_generic,
// ggml_vec_dot_tq2_0_q8_K_generic).
//
// Both formats scale a super-block of 256 values by d = max |x| (fp16) and
// store round(x / d) in {-1, 0, 1} as a digit 0, 1, 2. TQ2_0 keeps 2 bits per
// digit; TQ1_0 packs five digits into a byte as the base-3 fraction
// ceil(digits * 256 / 243), so that a digit comes back as the top bits of
// byte * 3^i * 3 (mod 2^8 before the * 3).
#include "formats/ref/ternary_quants_ref.h"

#include <cmath>

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/kernel_types.h"

namespace quantlab {

namespace {

// ggml's lroundf(x * id) + 1. id is +inf when d is a float subnormal (its
// reciprocal overflows), so x * id is +-inf or NaN: glibc's lroundf returns
// LONG_MIN for those, whose low 32 bits (ggml keeps an int) are 0, so the
// digit is 1, which the golden vectors' subnormal block shows.
inline int ternary_digit(float v) {
    if (!(std::fabs(v) < 0x1p30f)) return 1;
    return int(std::lround(v)) + 1;
}

// max |x| over one super-block (ggml's MAX macro: a NaN would win) and its
// reciprocal (0 for an all-zero block).
inline void ternary_scale(const float* x, float* d, float* id) {
    float amax = 0.0f;
    for (int j = 0; j < QK_K; ++j) {
        const float a = std::fabs(x[j]);
        amax = amax > a ? amax : a;
    }
    *d = amax;
    *id = amax != 0.0f ? 1.0f / amax : 0.0f;
}

// Five (or four, then a zero) base-3 digits as ceil(value * 256 / 243).
inline uint8_t pack_trits(int value) { return uint8_t((value * 256 + (243 - 1)) / 243); }

// A digit back from a packed byte: trit t of five, most significant first.
inline int unpack_trit(uint8_t byte, int t) {
    static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    const uint8_t q = uint8_t(byte * kPow3[t]);
    return (int(q) * 3) >> 8;
}

}  // namespace

void quantize_row_tq1_0_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_tq1_0*>(vy);
    for (int64_t i = 0; i < k / QK_K; ++i, x += QK_K) {
        float d, id;
        ternary_scale(x, &d, &id);
        y[i].d = fp32_to_fp16(d);
        for (int b = 0; b < 48; ++b) {
            int v = 0;
            for (int t = 0; t < 5; ++t) v = v * 3 + ternary_digit(x[tq1_0_qs_value(b, t)] * id);
            y[i].qs[b] = pack_trits(v);
        }
        for (int j = 0; j < 4; ++j) {
            int v = 0;
            for (int t = 0; t < 4; ++t) v = v * 3 + ternary_digit(x[240 + j + 4 * t] * id);
            y[i].qh[j] = pack_trits(v * 3);  // four digits in the top positions
        }
    }
}

void quantize_row_tq2_0_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_tq2_0*>(vy);
    for (int64_t i = 0; i < k / QK_K; ++i, x += QK_K) {
        float d, id;
        ternary_scale(x, &d, &id);
        y[i].d = fp32_to_fp16(d);
        // Byte 32h + m holds values 128h + m + 32l at bits 2l.
        for (int h = 0; h < 2; ++h) {
            for (int m = 0; m < 32; ++m) {
                int q = 0;
                for (int l = 0; l < 4; ++l) q |= (ternary_digit(x[128 * h + m + 32 * l] * id) & 3) << (2 * l);
                y[i].qs[32 * h + m] = uint8_t(q);
            }
        }
    }
}

void dequantize_row_tq1_0_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_tq1_0*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const float d = fp16_to_fp32(x[i].d);
        for (int b = 0; b < 48; ++b) {
            for (int t = 0; t < 5; ++t) y[tq1_0_qs_value(b, t)] = float(unpack_trit(x[i].qs[b], t) - 1) * d;
        }
        for (int j = 0; j < 4; ++j) {
            for (int t = 0; t < 4; ++t) y[240 + j + 4 * t] = float(unpack_trit(x[i].qh[j], t) - 1) * d;
        }
    }
}

void dequantize_row_tq2_0_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_tq2_0*>(vx);
    for (int64_t i = 0; i < k / QK_K; ++i, y += QK_K) {
        const float d = fp16_to_fp32(x[i].d);
        for (int h = 0; h < 2; ++h) {
            for (int l = 0; l < 4; ++l) {
                for (int m = 0; m < 32; ++m) {
                    y[128 * h + 32 * l + m] = float(((x[i].qs[32 * h + m] >> (2 * l)) & 3) - 1) * d;
                }
            }
        }
    }
}

// The integer sum of a super-block is exact; one float step per block, in
// ggml's operand order.
float vec_dot_tq1_0_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_tq1_0*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        int32_t sum = 0;
        for (int b = 0; b < 48; ++b) {
            for (int t = 0; t < 5; ++t) sum += (unpack_trit(x[i].qs[b], t) - 1) * y[i].qs[tq1_0_qs_value(b, t)];
        }
        for (int j = 0; j < 4; ++j) {
            for (int t = 0; t < 4; ++t) sum += (unpack_trit(x[i].qh[j], t) - 1) * y[i].qs[240 + j + 4 * t];
        }
        sumf += float(sum) * (fp16_to_fp32(x[i].d) * y[i].d);
    }
    return sumf;
}

float vec_dot_tq2_0_q8_K_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_tq2_0*>(vx);
    const auto* y = static_cast<const block_q8_K*>(vy);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        int32_t sum = 0;
        for (int h = 0; h < 2; ++h) {
            for (int l = 0; l < 4; ++l) {
                for (int m = 0; m < 32; ++m) {
                    sum += y[i].qs[128 * h + 32 * l + m] * (((x[i].qs[32 * h + m] >> (2 * l)) & 3) - 1);
                }
            }
        }
        sumf += float(sum) * (y[i].d * fp16_to_fp32(x[i].d));
    }
    return sumf;
}

}  // namespace quantlab
