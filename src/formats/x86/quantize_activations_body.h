// The Q8_0 activation quantizer, written once over the x86 vector layer
// (vec_x86.h): the same per-lane operations as the SIMD128 kernel it replaces
// (formats/simd128/legacy_quants_simd128.cpp), V::kFloats lanes at a time, so
// the same bytes.
#pragma once

#include "core/half.h"
#include "formats/block_types.h"
#include "formats/simd128/legacy_quants_simd128.h"

namespace quantlab::x86 {
namespace {

// f32x4_round_half_away (formats/simd128/simd128.h) lane for lane:
// t = trunc(v); t + (|v - t| >= 0.5 ? copysign(1, v) : +0).
template <class V>
inline typename V::F round_half_away(typename V::F v) {
    const auto t = V::trunc_f(v);
    const auto step = V::ge_f(V::abs_f(V::sub_f(v, t)), V::set1_f(0.5f));
    const auto one_signed =
        V::cast_if(V::or_(V::cast_fi(V::set1_f(1.0f)), V::and_(V::cast_fi(v), V::set1_i32(int32_t(0x80000000u)))));
    return V::add_f(t, V::masked_f(step, one_signed));
}

template <class V>
void quantize_row_q8_0(const float* x, void* vy, int64_t k) {
    constexpr int R = QK8_0 / V::kFloats;  // registers per block
    auto* y = static_cast<block_q8_0*>(vy);
    const int64_t nb = k / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float* xb = x + i * QK8_0;
        typename V::F v[R];
        bool nan = false;
        for (int r = 0; r < R; ++r) {
            v[r] = V::load_f(xb + r * V::kFloats);
            nan |= V::any(V::unordered_f(v[r], v[r]));
        }
        // NaN (whose max differs between x86 and wasm) and values that scale
        // beyond the int32 range take the SIMD128 kernel, the definition here.
        if (nan) {
            quantize_row_q8_0_simd128(xb, y + i, QK8_0);
            continue;
        }
        auto mx = V::abs_f(v[0]);
        for (int r = 1; r < R; ++r) mx = V::max_f(mx, V::abs_f(v[r]));
        const float amax = V::reduce_max(mx);  // max is exact, so the order does not matter
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        bool in_range = true;
        for (int r = 0; r < R; ++r) {
            v[r] = V::mul_f(v[r], V::set1_f(id));
            in_range &= V::all(V::lt_f(V::abs_f(v[r]), V::set1_f(2147483648.0f)));
        }
        if (!in_range) {
            quantize_row_q8_0_simd128(xb, y + i, QK8_0);
            continue;
        }
        y[i].d = fp32_to_fp16(d);
        for (int r = 0; r < R; ++r) V::store_i32_as_i8(y[i].qs + r * V::kFloats, V::cvtt_i32(round_half_away<V>(v[r])));
    }
}

// The level's row quantizer (for activations) of type t, or nullptr.
template <class V>
QuantizeRowFn activation_quantizer(GgmlType t) {
    return t == GgmlType::Q8_0 ? quantize_row_q8_0<V> : nullptr;
}

}  // namespace
}  // namespace quantlab::x86
