// sin and cos for RoPE's angles, computed the same way on every target.
// libm's sinf/cosf are not: glibc's and Emscripten's musl (wasm) differ in
// the last bit for some of RoPE's angles (measured 2026-12-05 on the synth512
// tables), and q is not rounded to f16 on the batched attention path
// (model/llama_context.cpp), so that bit reached the logits. Here the angle
// is reduced and evaluated in double with IEEE adds and multiplies only (no
// FMA: quantlab_core builds with -ffp-contract=off), then rounded to float:
// the float result is the correctly rounded sin/cos except when the exact
// value lies within about 1e-16 (relative) of a rounding boundary, and it is
// the same on every target.
#pragma once

namespace quantlab {

// *s = sin(x), *c = cos(x), for |x| < 2^20 (RoPE's angles are positions
// times factors <= 1); larger |x| lose accuracy but stay deterministic.
void sincos_rope(float x, float* s, float* c);

}  // namespace quantlab
