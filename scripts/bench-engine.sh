#!/usr/bin/env bash
# Engine speed beside llama.cpp-in-wasm (wllama) in headless Chromium, with the
# harness in ../shared/bench (pp256 / tg64 on the synth512 models; 1 thread unless
# --threads 1,2 is passed: the page is cross-origin isolated, so quantlab runs its
# threaded module for 2). Engines: quantlab (the build browser.mjs picks: relaxed
# SIMD in Chromium, one-thread or threaded) and quantlab-simd128 (the plain
# SIMD128 builds, one-thread or threaded).
#   --rounds N   run the comparison N times, interleaved: each round runs one model
#                at a time (all engines of a model close together in time), with
#                quantlab's two engines and the thread counts in a different order
#                each round, because on this shared machine whichever engine runs
#                first in a pair tends to win (docs/benchmarks.md, "Threaded
#                relaxed module slower at tg64? Interleaved re-check"). The summary
#                gives every cell's median over rounds and each round's ratios.
# Other arguments go to the harness (e.g. --engines wllama2 --no-ppl --reps 3).
# Results: build/bench-results/*.md (one run), or build/bench-results/rounds/
# (summary.md, and one folder per round and model) with --rounds.
# Not part of npm test: a benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=$PWD
SHARED=$(realpath ../shared)
rounds=0
threads=1
models=${MODELS:-q8_0,q4_0,q4_k_m}
pass=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
bash scripts/build.sh dist
rm -rf build/bench-engine && mkdir -p build/bench-engine
cp dist/* build/bench-engine/
cp tests/bench/wllama_bench_engine.mjs build/bench-engine/engine.js
cp tests/bench/wllama_bench_engine_simd128.mjs build/bench-engine/engine_simd128.js
if [ ! -d build/wbench/node_modules ]; then
  rm -rf build/wbench && cp -r "$SHARED/bench/wllama" build/wbench && chmod -R u+w build/wbench
  (cd build/wbench && npm ci --no-audit --no-fund --loglevel=error)
fi
relaxed=(--engine "quantlab=$Q/build/bench-engine/engine.js")
simd128=(--engine "quantlab-simd128=$Q/build/bench-engine/engine_simd128.js")
harness() {  # out-dir models threads engine-args... (then the caller's arguments)
  local out=$1 ms=$2 ts=$3
  shift 3
  MODELS_DIR=$SHARED/bench/models \
  REF_MODEL=$SHARED/reference/stories260K-f32.gguf REF_TEXT=$SHARED/reference/eval.txt \
    node build/wbench/bench.mjs --no-native --models "$ms" --threads "$ts" "$@" --out "$out" "${pass[@]}"
}
if [ "$rounds" -eq 0 ]; then
  harness "$Q/build/bench-results" "$models" "$threads" "${relaxed[@]}" "${simd128[@]}"
  exit 0
fi
# The harness runs its --engines first, then the --engine modules in the order
# given, each engine's thread counts in the order of --threads.
reversed=$(echo "$threads" | tr ',' '\n' | tac | paste -sd, -)
rm -rf build/bench-results/rounds && mkdir -p build/bench-results/rounds
for ((r = 1; r <= rounds; r++)); do
  for m in ${models//,/ }; do
    # rounds 1-4: (relaxed first, threads as given), (SIMD128 first, reversed),
    # (relaxed first, reversed), (SIMD128 first, as given); then again.
    if [ $((r % 2)) -eq 1 ]; then order=("${relaxed[@]}" "${simd128[@]}"); else order=("${simd128[@]}" "${relaxed[@]}"); fi
    if [ $((r % 4)) -ge 2 ]; then ts=$reversed; else ts=$threads; fi
    echo "[rounds] round $r of $rounds, $m, threads $ts, first quantlab engine ${order[1]%%=*}, $(uptime)" >&2
    harness "$Q/build/bench-results/rounds/r$r-$m" "$m" "$ts" "${order[@]}" > /dev/null
  done
done
node scripts/lib/bench-engine-rounds.mjs build/bench-results/rounds | tee build/bench-results/rounds/summary.md
