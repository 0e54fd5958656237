#!/usr/bin/env bash
# libggml's own single-thread quantize / dequantize throughput, for the
# comparisons in docs/benchmarks.md: the prebuilt llama.cpp CPU build from npm
# (scripts/lib/llama-cpp-prebuilt.sh) linked with our program
# tests/formats/golden_gen/ggml_quantize_bench.c. Nothing is built from
# llama.cpp's sources. Usage:
#   scripts/bench-ggml-quantize.sh [--mb N] [--seconds S] [--cpu] TYPE...    (default: iq3_xxs iq3_s)
# Compare with `quantlab_bench --type T [--imatrix] [--cpu]` on the same data (same MB).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/llama-cpp-prebuilt.sh
llama_cpp_prebuilt
work=build/golden-ggml
mkdir -p "$work"
gcc -O2 -std=gnu11 -Wall -Wextra -o "$work/ggml_quantize_bench" tests/formats/golden_gen/ggml_quantize_bench.c \
  -I"$LLAMA_CPP_SRC/ggml/include" -L"$LLAMA_CPP_BINS" -l:libggml-base.so -Wl,-rpath,"$LLAMA_CPP_BINS" -lm
args=("$@")
has_type=0
for a in "${args[@]+"${args[@]}"}"; do case "$a" in -*|[0-9]*) ;; *) has_type=1 ;; esac; done
[ "$has_type" -eq 1 ] || args+=(iq3_xxs iq3_s)
"$work/ggml_quantize_bench" "${args[@]}"
