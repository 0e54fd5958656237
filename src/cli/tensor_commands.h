#pragma once

namespace quantlab::cli {

// quantlab tensor-quantize --type T --in x.f32 --out q.bin [--rows R] [--imatrix w.f32] [--scalar]
int run_tensor_quantize(int argc, char** argv);
// quantlab tensor-dequantize --type T --in q.bin --out y.f32 --n N [--rows R] [--scalar]
int run_tensor_dequantize(int argc, char** argv);
// quantlab formats: the traits table
int run_formats(int argc, char** argv);

}  // namespace quantlab::cli
