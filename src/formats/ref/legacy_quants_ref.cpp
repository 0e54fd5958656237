// Scalar reference kernels of the 32-value block formats.
// Source of the algorithms: ggml/src/ggml-quants.c (quantize_row_*_ref,
// dequantize_row_*) and ggml-cpu/quants.c (ggml_vec_dot_*_generic).
#include "formats/ref/legacy_quants_ref.h"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstring>

#include "formats/block_types.h"
#include "formats/ref/quant_search.h"  // nearest_int, kGroupMaxEps, make_qkx3_quants (shared with the K-quants)
#include "formats/kernel_types.h"

namespace quantlab {

namespace {
inline int cast_i8(float v);  // ggml's x86 float -> int8 cast, defined below
}  // namespace

// ---------------------------------------------------------------- Q8_0
// d = max|x| / 127; q = round-half-away(x / d).
void quantize_row_q8_0_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_0*>(vy);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK8_0;
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; ++j) y[i].qs[j] = int8_t(cast_i8(std::round(xb[j] * id)));
    }
}

size_t quantize_q8_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    // ggml has no imatrix variant of Q8_0: every row goes through the reference quantizer.
    const size_t row_bytes = size_t(n_per_row / QK8_0) * sizeof(block_q8_0);
    return quantize_rows_with(quantize_row_q8_0_ref, row_bytes, src, dst, nrows, n_per_row);
}

void dequantize_row_q8_0_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_0*>(vx);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK8_0; ++j) y[i * QK8_0 + j] = float(x[i].qs[j]) * d;
    }
}

float vec_dot_q8_0_q8_0_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q8_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    float sum = 0.0f;
    for (int64_t i = 0; i < nb; ++i) {
        int32_t sumi = 0;
        for (int j = 0; j < QK8_0; ++j) sumi += int32_t(x[i].qs[j]) * int32_t(y[i].qs[j]);
        sum += float(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
    }
    return sum;
}

// ---------------------------------------------------------------- shared helpers
namespace {

// C's float -> int8_t / uint8_t cast as ggml's x86 build executes it: cvttss2si
// truncates to int32 (0x80000000 for NaN or out of range) and the low byte is
// kept. Only an overflowing 1/d (a block of subnormals) reaches the NaN/inf
// case; spelling it out keeps it defined everywhere, and a plain cast would
// trap in WebAssembly.
inline int32_t cvtt_i32(float v) {
    return (v >= -2147483648.0f && v < 2147483648.0f) ? int32_t(v) : INT32_MIN;
}
inline int cast_i8(float v) { return int8_t(uint8_t(uint32_t(cvtt_i32(v)) & 0xffu)); }
inline uint8_t cast_u8(float v) { return uint8_t(uint32_t(cvtt_i32(v)) & 0xffu); }

// sigma2 of ggml's legacy imatrix paths: the mean square of the whole row,
// summed in index order.
float row_sigma2(const float* x, int64_t n_per_row) {
    float sum_x2 = 0.0f;
    for (int64_t j = 0; j < n_per_row; ++j) sum_x2 += x[j] * x[j];
    return sum_x2 / float(n_per_row);
}

void importance_weights(const float* xb, const float* qw, float sigma2, float* weight) {
    for (int j = 0; j < 32; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
}

// Bit j of qh holds the fifth bit of value j (first half) and bit j+16 that of
// value j+16, exactly as the nibbles pair them.
void pack_5bit(const uint8_t* L, uint8_t* qs, uint8_t* qh_bytes) {
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        const uint8_t xi0 = L[j];
        const uint8_t xi1 = L[j + 16];
        qs[j] = uint8_t((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
        qh |= uint32_t((xi0 & 0x10u) >> 4) << (j + 0);
        qh |= uint32_t((xi1 & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(qh_bytes, &qh, sizeof qh);
}

// Runs a per-row imatrix quantizer over a chunk, or the reference row
// quantizer over the whole chunk when there is no imatrix (ggml quantize_<t>).
template <class Block, class RowImpl>
size_t quantize_chunk(QuantizeRowFn ref_row, RowImpl impl, const float* src, void* dst, int64_t nrows,
                      int64_t n_per_row, const float* imatrix) {
    const size_t row_bytes = size_t(n_per_row / 32) * sizeof(Block);
    if (imatrix == nullptr) {
        ref_row(src, dst, nrows * n_per_row);
        return size_t(nrows) * row_bytes;
    }
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t r = 0; r < nrows; ++r) {
        impl(src + r * n_per_row, reinterpret_cast<Block*>(out + size_t(r) * row_bytes), n_per_row, imatrix);
    }
    return size_t(nrows) * row_bytes;
}

// The signed value of largest magnitude; ggml's strict "amax < |v|" scan keeps
// the first of equal magnitudes, so -a before +a yields -a.
float signed_absmax(const float* x, int n) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < n; ++j) {
        const float v = x[j];
        if (amax < std::fabs(v)) {
            amax = std::fabs(v);
            max = v;
        }
    }
    return max;
}

}  // namespace

// ---------------------------------------------------------------- Q4_0
// algorithm: ggml-quants.c quantize_row_q4_0_ref. d = (signed absmax) / -8 so
// the extreme value lands on level -8; the +8.5 then truncation rounds half up.
void quantize_row_q4_0_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q4_0*>(vy);
    const int64_t nb = k / QK4_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK4_0;
        const float max = signed_absmax(xb, QK4_0);
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            const float x0 = xb[j] * id;
            const float x1 = xb[QK4_0 / 2 + j] * id;
            const int xi0 = std::min(15, cast_i8(x0 + 8.5f));
            const int xi1 = std::min(15, cast_i8(x1 + 8.5f));
            y[i].qs[j] = uint8_t(xi0 | (xi1 << 4));
        }
    }
}

// algorithm: ggml-quants.c quantize_row_q4_0_impl
static void quantize_row_q4_0_imatrix(const float* x, block_q4_0* y, int64_t n_per_row, const float* quant_weights) {
    float weight[QK4_0];
    int8_t L[QK4_0];
    const float sigma2 = row_sigma2(x, n_per_row);
    const int64_t nb = n_per_row / QK4_0;
    for (int64_t ib = 0; ib < nb; ++ib) {
        const float* xb = x + QK4_0 * ib;
        importance_weights(xb, quant_weights + QK4_0 * ib, sigma2, weight);
        const float d = make_qx_quants(QK4_0, 8, xb, L, 1, weight);
        y[ib].d = fp32_to_fp16(d);
        for (int j = 0; j < 16; ++j) y[ib].qs[j] = uint8_t(L[j] | (L[j + 16] << 4));
    }
}

size_t quantize_q4_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk<block_q4_0>(quantize_row_q4_0_ref, quantize_row_q4_0_imatrix, src, dst, nrows, n_per_row,
                                      imatrix);
}

void dequantize_row_q4_0_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q4_0*>(vx);
    const int64_t nb = k / QK4_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            const int x0 = (x[i].qs[j] & 0x0F) - 8;
            const int x1 = (x[i].qs[j] >> 4) - 8;
            y[i * QK4_0 + j] = float(x0) * d;
            y[i * QK4_0 + j + QK4_0 / 2] = float(x1) * d;
        }
    }
}

// algorithm: ggml-cpu quants.c ggml_vec_dot_q4_0_q8_0_generic; the scale
// product is applied as (sumi * dx) * dy, in that order.
float vec_dot_q4_0_q8_0_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q4_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < nb; ++ib) {
        int32_t sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < QK8_0 / 2; ++j) {
            const int v0 = (x[ib].qs[j] & 0x0F) - 8;
            const int v1 = (x[ib].qs[j] >> 4) - 8;
            sumi0 += v0 * y[ib].qs[j];
            sumi1 += v1 * y[ib].qs[j + QK8_0 / 2];
        }
        sumf += float(sumi0 + sumi1) * fp16_to_fp32(x[ib].d) * fp16_to_fp32(y[ib].d);
    }
    return sumf;
}

// ---------------------------------------------------------------- Q4_1
// algorithm: ggml-quants.c quantize_row_q4_1_ref (min/max affine, 16 levels).
void quantize_row_q4_1_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q4_1*>(vy);
    const int64_t nb = k / QK4_1;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK4_1;
        float min = FLT_MAX;
        float max = -FLT_MAX;
        for (int j = 0; j < QK4_1; ++j) {
            if (xb[j] < min) min = xb[j];
            if (xb[j] > max) max = xb[j];
        }
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(min);
        for (int j = 0; j < QK4_1 / 2; ++j) {
            const float x0 = (xb[j] - min) * id;
            const float x1 = (xb[QK4_1 / 2 + j] - min) * id;
            const int xi0 = std::min(15, cast_i8(x0 + 0.5f));
            const int xi1 = std::min(15, cast_i8(x1 + 0.5f));
            y[i].qs[j] = uint8_t(xi0 | (xi1 << 4));
        }
    }
}

// algorithm: ggml-quants.c quantize_row_q4_1_impl
static void quantize_row_q4_1_imatrix(const float* x, block_q4_1* y, int64_t n_per_row, const float* quant_weights) {
    float weight[QK4_1];
    uint8_t L[QK4_1], Laux[QK4_1];
    const float sigma2 = row_sigma2(x, n_per_row);
    const int64_t nb = n_per_row / QK4_1;
    for (int64_t ib = 0; ib < nb; ++ib) {
        const float* xb = x + QK4_1 * ib;
        importance_weights(xb, quant_weights + QK4_1 * ib, sigma2, weight);
        float min;
        const float d = make_qkx3_quants(QK4_1, 15, xb, weight, L, &min, Laux, -0.9f, 0.05f, 36, false);
        y[ib].d = fp32_to_fp16(d);
        y[ib].m = fp32_to_fp16(-min);
        for (int j = 0; j < 16; ++j) y[ib].qs[j] = uint8_t(L[j] | (L[j + 16] << 4));
    }
}

size_t quantize_q4_1_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk<block_q4_1>(quantize_row_q4_1_ref, quantize_row_q4_1_imatrix, src, dst, nrows, n_per_row,
                                      imatrix);
}

void dequantize_row_q4_1_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q4_1*>(vx);
    const int64_t nb = k / QK4_1;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const float m = fp16_to_fp32(x[i].m);
        for (int j = 0; j < QK4_1 / 2; ++j) {
            y[i * QK4_1 + j] = float(x[i].qs[j] & 0x0F) * d + m;
            y[i * QK4_1 + j + QK4_1 / 2] = float(x[i].qs[j] >> 4) * d + m;
        }
    }
}

// algorithm: ggml-cpu quants.c ggml_vec_dot_q4_1_q8_1_generic: the minimum
// enters through Q8_1's precomputed s = d * sum(qs).
float vec_dot_q4_1_q8_1_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q4_1*>(vx);
    const auto* y = static_cast<const block_q8_1*>(vy);
    const int64_t nb = n / QK8_1;
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < nb; ++ib) {
        int32_t sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < QK8_1 / 2; ++j) {
            sumi0 += (x[ib].qs[j] & 0x0F) * y[ib].qs[j];
            sumi1 += (x[ib].qs[j] >> 4) * y[ib].qs[j + QK8_1 / 2];
        }
        sumf += (fp16_to_fp32(x[ib].d) * fp16_to_fp32(y[ib].d)) * float(sumi0 + sumi1) +
                fp16_to_fp32(x[ib].m) * fp16_to_fp32(y[ib].s);
    }
    return sumf;
}

// ---------------------------------------------------------------- Q5_0
// algorithm: ggml-quants.c quantize_row_q5_0_ref (as Q4_0 with 32 levels).
void quantize_row_q5_0_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q5_0*>(vy);
    const int64_t nb = k / QK5_0;
    uint8_t L[QK5_0];
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK5_0;
        const float max = signed_absmax(xb, QK5_0);
        const float d = max / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < QK5_0; ++j) L[j] = uint8_t(std::min(31, cast_i8(xb[j] * id + 16.5f)));
        pack_5bit(L, y[i].qs, y[i].qh);
    }
}

// algorithm: ggml-quants.c quantize_row_q5_0_impl
static void quantize_row_q5_0_imatrix(const float* x, block_q5_0* y, int64_t n_per_row, const float* quant_weights) {
    float weight[QK5_0];
    int8_t L[QK5_0];
    const float sigma2 = row_sigma2(x, n_per_row);
    const int64_t nb = n_per_row / QK5_0;
    for (int64_t ib = 0; ib < nb; ++ib) {
        const float* xb = x + QK5_0 * ib;
        importance_weights(xb, quant_weights + QK5_0 * ib, sigma2, weight);
        const float d = make_qx_quants(QK5_0, 16, xb, L, 1, weight);
        y[ib].d = fp32_to_fp16(d);
        pack_5bit(reinterpret_cast<const uint8_t*>(L), y[ib].qs, y[ib].qh);
    }
}

size_t quantize_q5_0_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk<block_q5_0>(quantize_row_q5_0_ref, quantize_row_q5_0_imatrix, src, dst, nrows, n_per_row,
                                      imatrix);
}

void dequantize_row_q5_0_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q5_0*>(vx);
    const int64_t nb = k / QK5_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        uint32_t qh;
        std::memcpy(&qh, x[i].qh, sizeof qh);
        for (int j = 0; j < QK5_0 / 2; ++j) {
            const int xh0 = int((qh >> j) << 4) & 0x10;
            const int xh1 = int(qh >> (j + 12)) & 0x10;
            const int x0 = ((x[i].qs[j] & 0x0F) | xh0) - 16;
            const int x1 = ((x[i].qs[j] >> 4) | xh1) - 16;
            y[i * QK5_0 + j] = float(x0) * d;
            y[i * QK5_0 + j + QK5_0 / 2] = float(x1) * d;
        }
    }
}

// algorithm: ggml-cpu quants.c ggml_vec_dot_q5_0_q8_0_generic
float vec_dot_q5_0_q8_0_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q5_0*>(vx);
    const auto* y = static_cast<const block_q8_0*>(vy);
    const int64_t nb = n / QK8_0;
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < nb; ++ib) {
        uint32_t qh;
        std::memcpy(&qh, x[ib].qh, sizeof qh);
        int32_t sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < QK8_0 / 2; ++j) {
            const int xh0 = int((qh >> j) << 4) & 0x10;
            const int xh1 = int(qh >> (j + 12)) & 0x10;
            const int x0 = ((x[ib].qs[j] & 0x0F) | xh0) - 16;
            const int x1 = ((x[ib].qs[j] >> 4) | xh1) - 16;
            sumi0 += x0 * y[ib].qs[j];
            sumi1 += x1 * y[ib].qs[j + QK8_0 / 2];
        }
        sumf += (fp16_to_fp32(x[ib].d) * fp16_to_fp32(y[ib].d)) * float(sumi0 + sumi1);
    }
    return sumf;
}

// ---------------------------------------------------------------- Q5_1
// algorithm: ggml-quants.c quantize_row_q5_1_ref (as Q4_1 with 32 levels; ggml
// applies no upper clamp here, the range already bounds it to 31).
void quantize_row_q5_1_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q5_1*>(vy);
    const int64_t nb = k / QK5_1;
    uint8_t L[QK5_1];
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK5_1;
        float min = FLT_MAX;
        float max = -FLT_MAX;
        for (int j = 0; j < QK5_1; ++j) {
            if (xb[j] < min) min = xb[j];
            if (xb[j] > max) max = xb[j];
        }
        const float d = (max - min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(min);
        for (int j = 0; j < QK5_1; ++j) L[j] = cast_u8((xb[j] - min) * id + 0.5f);
        pack_5bit(L, y[i].qs, y[i].qh);
    }
}

// algorithm: ggml-quants.c quantize_row_q5_1_impl
static void quantize_row_q5_1_imatrix(const float* x, block_q5_1* y, int64_t n_per_row, const float* quant_weights) {
    float weight[QK5_1];
    uint8_t L[QK5_1], Laux[QK5_1];
    const float sigma2 = row_sigma2(x, n_per_row);
    const int64_t nb = n_per_row / QK5_1;
    for (int64_t ib = 0; ib < nb; ++ib) {
        const float* xb = x + QK5_1 * ib;
        importance_weights(xb, quant_weights + QK5_1 * ib, sigma2, weight);
        float min;
        const float d = make_qkx3_quants(QK5_1, 31, xb, weight, L, &min, Laux, -0.9f, 0.05f, 36, false);
        y[ib].d = fp32_to_fp16(d);
        y[ib].m = fp32_to_fp16(-min);
        pack_5bit(L, y[ib].qs, y[ib].qh);
    }
}

size_t quantize_q5_1_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* imatrix) {
    return quantize_chunk<block_q5_1>(quantize_row_q5_1_ref, quantize_row_q5_1_imatrix, src, dst, nrows, n_per_row,
                                      imatrix);
}

void dequantize_row_q5_1_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q5_1*>(vx);
    const int64_t nb = k / QK5_1;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const float m = fp16_to_fp32(x[i].m);
        uint32_t qh;
        std::memcpy(&qh, x[i].qh, sizeof qh);
        for (int j = 0; j < QK5_1 / 2; ++j) {
            const int xh0 = int((qh >> j) << 4) & 0x10;
            const int xh1 = int(qh >> (j + 12)) & 0x10;
            const int x0 = (x[i].qs[j] & 0x0F) | xh0;
            const int x1 = (x[i].qs[j] >> 4) | xh1;
            y[i * QK5_1 + j] = float(x0) * d + m;
            y[i * QK5_1 + j + QK5_1 / 2] = float(x1) * d + m;
        }
    }
}

// algorithm: ggml-cpu quants.c ggml_vec_dot_q5_1_q8_1_generic
float vec_dot_q5_1_q8_1_ref(int64_t n, const void* vx, const void* vy) {
    const auto* x = static_cast<const block_q5_1*>(vx);
    const auto* y = static_cast<const block_q8_1*>(vy);
    const int64_t nb = n / QK8_1;
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < nb; ++ib) {
        uint32_t qh;
        std::memcpy(&qh, x[ib].qh, sizeof qh);
        int32_t sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < QK8_1 / 2; ++j) {
            const int xh0 = int((qh >> j) << 4) & 0x10;
            const int xh1 = int(qh >> (j + 12)) & 0x10;
            sumi0 += ((x[ib].qs[j] & 0x0F) | xh0) * y[ib].qs[j];
            sumi1 += ((x[ib].qs[j] >> 4) | xh1) * y[ib].qs[j + QK8_1 / 2];
        }
        sumf += (fp16_to_fp32(x[ib].d) * fp16_to_fp32(y[ib].d)) * float(sumi0 + sumi1) +
                fp16_to_fp32(x[ib].m) * fp16_to_fp32(y[ib].s);
    }
    return sumf;
}

// ---------------------------------------------------------------- Q8_1
// algorithm: ggml-quants.c quantize_row_q8_1_ref: Q8_0's rounding plus the
// block sum s = d * sum(qs) the Q4_1/Q5_1 dot products need for the minimum.
// s uses the float d, not the fp16 value stored beside it.
void quantize_row_q8_1_ref(const float* x, void* vy, int64_t k) {
    auto* y = static_cast<block_q8_1*>(vy);
    const int64_t nb = k / QK8_1;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK8_1;
        float amax = 0.0f;
        for (int j = 0; j < QK8_1; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        int32_t sum = 0;
        for (int j = 0; j < QK8_1; ++j) {
            y[i].qs[j] = int8_t(cast_i8(std::round(xb[j] * id)));
            sum += y[i].qs[j];
        }
        y[i].s = fp32_to_fp16(float(sum) * d);
    }
}

size_t quantize_q8_1_ref(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
    // An activation format: ggml has no imatrix variant.
    const size_t row_bytes = size_t(n_per_row / QK8_1) * sizeof(block_q8_1);
    return quantize_rows_with(quantize_row_q8_1_ref, row_bytes, src, dst, nrows, n_per_row);
}

void dequantize_row_q8_1_ref(const void* vx, float* y, int64_t k) {
    const auto* x = static_cast<const block_q8_1*>(vx);
    const int64_t nb = k / QK8_1;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK8_1; ++j) y[i * QK8_1 + j] = float(x[i].qs[j]) * d;
    }
}

}  // namespace quantlab
