#!/usr/bin/env bash
# Single-thread quantize / dequantize throughput of libggml (the npm prebuilt,
# scripts/lib/llama-cpp-prebuilt.sh) beside quantlab's wasm SIMD128 kernels,
# interleaved in one run: for each repetition, libggml's own program
# tests/formats/golden_gen/quantize_timing.c, then quantlab_bench under Node.
# Both quantize the same input with the same importance weights and print MB/s
# of float32 data per CPU second (best of the runs within 0.4 s).
# Not part of npm test: a benchmark. Needs build/wasm (scripts/build.sh wasm).
#   scripts/bench-ggml-quantize.sh [--reps N] [--mb N] [TYPE...]     default: iq2_xxs iq2_xs iq2_s q4_K
set -euo pipefail
cd "$(dirname "$0")/.."
reps=3 mb=16
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || set -- iq2_xxs iq2_xs iq2_s q4_K
types=$(IFS=,; echo "$*")

source scripts/lib/llama-cpp-prebuilt.sh
llama_cpp_prebuilt
work=build/ggml-timing
mkdir -p "$work"
gcc -O2 -std=gnu11 -Wall -Wextra -o "$work/quantize_timing" tests/formats/golden_gen/quantize_timing.c \
  -I"$LLAMA_CPP_SRC/ggml/include" -L"$LLAMA_CPP_BINS" -l:libggml-base.so -Wl,-rpath,"$LLAMA_CPP_BINS" -lm
[ -f build/wasm/tests/quantlab_bench.js ] || { echo "bench-ggml-quantize: build/wasm first (scripts/build.sh wasm)" >&2; exit 1; }

for r in $(seq 1 "$reps"); do
  echo "== repetition $r / $reps"
  "$work/quantize_timing" --mb "$mb" "$@"
  node build/wasm/tests/quantlab_bench.js --mb "$mb" --cpu --variant simd128 --type "$types"
done
