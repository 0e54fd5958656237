#!/usr/bin/env bash
# Engine speed beside llama.cpp-in-wasm (wllama) in headless Chromium, with the
# harness in ../shared/bench (pp256 / tg64 on the synth512 models; 1 thread unless
# --threads 1,2 is passed: the page is cross-origin isolated, so quantlab runs its
# threaded module for 2). Engines: quantlab (the build browser.mjs picks: relaxed
# SIMD in Chromium, one-thread or threaded) and quantlab-simd128 (the plain
# SIMD128 builds, one-thread or threaded).
# Results: build/bench-results/*.md. Not part of npm test: a benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=$PWD
SHARED=$(realpath ../shared)
bash scripts/build.sh dist
rm -rf build/bench-engine && mkdir -p build/bench-engine
cp dist/* build/bench-engine/
cp tests/bench/wllama_bench_engine.mjs build/bench-engine/engine.js
cp tests/bench/wllama_bench_engine_simd128.mjs build/bench-engine/engine_simd128.js
if [ ! -d build/wbench/node_modules ]; then
  rm -rf build/wbench && cp -r "$SHARED/bench/wllama" build/wbench && chmod -R u+w build/wbench
  (cd build/wbench && npm ci --no-audit --no-fund --loglevel=error)
fi
MODELS_DIR=$SHARED/bench/models \
REF_MODEL=$SHARED/reference/stories260K-f32.gguf REF_TEXT=$SHARED/reference/eval.txt \
  node build/wbench/bench.mjs --no-native --models "${MODELS:-q8_0,q4_0,q4_k_m}" --threads 1 \
    --engine quantlab=$Q/build/bench-engine/engine.js \
    --engine quantlab-simd128=$Q/build/bench-engine/engine_simd128.js --out "$Q/build/bench-results" "$@"
