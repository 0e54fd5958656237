#!/usr/bin/env bash
# `npm test`: every test, from a fresh machine. Exits non-zero on any failure.
#   1. native g++ build (SIMD128 via SIMDe) -> Catch2 under ctest
#   2. the thread pool's tests under ThreadSanitizer (g++)
#   3. native clang++ build, scalar kernels only -> Catch2 under ctest
#   4. clang ASan+UBSan+LeakSanitizer build: the committed fuzz regression inputs,
#      each libFuzzer target for 20 s, and the Catch2 suite (leaks fail it)
#   5. wasm build (-msimd128) -> Catch2 under Node through ctest
#   6. the relaxed-SIMD wasm builds (clang 19): the one-thread module, and the threaded
#      module with the relaxed Catch2 suite, which runs in Chromium (COOP/COEP) in step 8
#   7. the -pthread wasm build's thread tests under Node through ctest
#   8. JS API tests, npm-pack test and browser tests under Vitest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

# Each step prints the seconds since npm test started, so CI logs show where the time goes.
T0=$SECONDS
step() { printf '\n==== [%4ds] %s\n' "$((SECONDS - T0))" "$*"; }

step "native g++ (SIMD128 through SIMDe)"
bash scripts/build.sh native
ctest --test-dir build/native-gcc --output-on-failure -j2

step "thread pool and thread-count tests under ThreadSanitizer"
bash scripts/build.sh tsan
ctest --test-dir build/native-tsan --output-on-failure -R pool_under_tsan

step "native clang++ (scalar reference only)"
bash scripts/build.sh native-scalar
ctest --test-dir build/native-clang-scalar --output-on-failure -j2

step "ASan+UBSan+LeakSanitizer (clang): fuzz regressions, 5 fuzz targets x 20 s, the native suite"
bash scripts/build.sh fuzz
# Left to the two builds above: the slowest accuracy tests (a held-out KLD, the
# engine without the x86 kernels, the i-quant models' perplexity sanity checks:
# ~200 s under ASan; their code paths run here in the i-quant models' batched-vs-
# token-by-token logits tests) and the one timing test (ASan is slower by design).
slow_accuracy='imatrix: quantizing with the computed imatrix does not raise held-out KLD|simd128_without_native_kernels'
slow_accuracy+='|a model in IQ1_S / IQ1_M generates and measures sane perplexity'
slow_accuracy+='|a model in IQ2_XXS / IQ2_XS / IQ2_S generates and measures sane perplexity'
slow_accuracy+='|the built-in model in IQ3_XXS and IQ3_S generates and scores like a 3-bit model'
ctest --test-dir build/fuzz --output-on-failure -j2 \
  -E "^(${slow_accuracy}|eval.txt tokenizes well under 100 ms)$"

step "wasm under Node (SIMD128)"
bash scripts/build.sh wasm
ctest --test-dir build/wasm --output-on-failure

step "wasm relaxed SIMD (emcc + clang 19): the module, the threaded module and its Catch2 suite (run in Chromium by Vitest)"
bash scripts/build.sh wasm-relaxed
QUANTLAB_RELAXED_TESTS=1 bash scripts/build.sh wasm-mt-relaxed

step "wasm with pthreads under Node: the pool, and results independent of the thread count"
bash scripts/build.sh wasm-mt
ctest --test-dir build/wasm-mt --output-on-failure

step "JavaScript, npm package and browser tests"
bash scripts/build.sh web   # the npm package in dist/ and the static site in web/dist/
npx vitest run --config tests/vitest.config.mjs
step "done"
