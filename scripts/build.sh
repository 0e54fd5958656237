#!/usr/bin/env bash
# Incremental builds. Usage: scripts/build.sh [native|native-scalar|wasm|wasm-relaxed|wasm-mt|wasm-mt-relaxed|dist|web|fuzz|tsan|all]...
#   native         g++, SIMD128 kernels through SIMDe       -> build/native-gcc
#   native-scalar  clang++, scalar reference kernels only   -> build/native-clang-scalar
#   wasm           emcmake, -msimd128 -O3, embind module     -> build/wasm
#   wasm-relaxed   the relaxed-SIMD variant of the module: the same emcc 3.1.6, driving
#                  Debian's clang-19 (apt: clang-19 lld-19), -mrelaxed-simd  -> build/wasm-relaxed
#   wasm-mt-relaxed  both: relaxed SIMD and -pthread, the module a cross-origin-isolated page
#                  loads when the engine has relaxed SIMD                -> build/wasm-mt-relaxed
#                  (QUANTLAB_RELAXED_TESTS=1: also the relaxed Catch2 suite with the thread
#                  tests, for a cross-origin-isolated Chromium page)
#   wasm-mt        the same as wasm with -pthread (SharedArrayBuffer + Web Workers): the threaded
#                  module and the thread tests under Node               -> build/wasm-mt
#   dist           wasm + wasm-relaxed + wasm-mt + wasm-mt-relaxed + the JS wrapper assembled in dist/ (what npm pack ships)
#   web            dist + the Vite app built into web/dist
#   fuzz           clang++ with ASan+UBSan (+LeakSanitizer): the libFuzzer targets and the
#                  Catch2 suite, SIMD128 kernels through SIMDe     -> build/fuzz
#   tsan           g++ with ThreadSanitizer: the thread pool's tests        -> build/native-tsan
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # emcc's JS optimizer needs acorn from Debian's node modules
JOBS=${QUANTLAB_JOBS:-2}

configure_native() {  # dir, compiler, extra cmake args...
  local dir=$1 cxx=$2; shift 2
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    CXX=$cxx cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DQUANTLAB_WERROR=ON "$@" >/dev/null
  fi
}

build_native() {
  configure_native build/native-gcc g++ -DQUANTLAB_SIMD128=ON
  cmake --build build/native-gcc -j"$JOBS"
}

build_native_scalar() {
  configure_native build/native-clang-scalar clang++ -DQUANTLAB_SIMD128=OFF
  cmake --build build/native-clang-scalar -j"$JOBS"
}

build_wasm() {
  if [ ! -f build/wasm/CMakeCache.txt ]; then
    emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release -DQUANTLAB_WERROR=ON \
      -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
  fi
  cmake --build build/wasm -j"$JOBS"
}

# emcc 3.1.6 with clang 19 instead of its clang 14: clang 14 has no relaxed dot
# builtin and emits pre-standard opcodes for the relaxed ops it has, which no
# shipping engine accepts (docs/engine.md). emcc reads EM_LLVM_ROOT and the
# version suffix Debian puts on tool names from these variables.
relaxed_env() {
  EM_LLVM_ROOT=/usr/bin EM_LLVM_ADD_VERSION=19 EM_CLANG_ADD_VERSION=19 "$@"
}

# dir, module target, extra cmake args. QUANTLAB_RELAXED_TESTS=1 adds the Catch2 suite.
build_relaxed() {
  local dir=$1 module=$2; shift 2
  command -v clang-19 >/dev/null && command -v wasm-ld-19 >/dev/null || bash scripts/install-deps.sh
  local tests=OFF target=(--target "$module")
  if [ "${QUANTLAB_RELAXED_TESTS:-0}" = 1 ]; then tests=ON; target=(--target "$module" quantlab_tests); fi
  # Configure once; again only to switch the suite on (never off: dist after a test build keeps it).
  if [ ! -f "$dir/CMakeCache.txt" ] || { [ $tests = ON ] && grep -q "QUANTLAB_BUILD_TESTS:BOOL=OFF" "$dir/CMakeCache.txt"; }; then
    relaxed_env emcmake cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DQUANTLAB_WERROR=ON \
      -DQUANTLAB_RELAXED_SIMD=ON -DQUANTLAB_BUILD_TESTS=$tests -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node "$@" >/dev/null
  fi
  relaxed_env cmake --build "$dir" -j"$JOBS" "${target[@]}"
}

build_wasm_relaxed() { build_relaxed build/wasm-relaxed quantlab_wasm; }
build_wasm_mt_relaxed() { build_relaxed build/wasm-mt-relaxed quantlab_wasm_mt -DQUANTLAB_WASM_THREADS=ON; }

build_wasm_mt() {
  if [ ! -f build/wasm-mt/CMakeCache.txt ]; then
    emcmake cmake -S . -B build/wasm-mt -DCMAKE_BUILD_TYPE=Release -DQUANTLAB_WERROR=ON -DQUANTLAB_WASM_THREADS=ON \
      -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
  fi
  cmake --build build/wasm-mt -j"$JOBS" "$@"
}

build_dist() {
  if [ ! -f build/wasm/CMakeCache.txt ]; then build_wasm; else cmake --build build/wasm -j"$JOBS" --target quantlab_wasm; fi
  build_wasm_relaxed
  build_wasm_mt --target quantlab_wasm_mt
  build_wasm_mt_relaxed
  rm -rf dist.tmp && mkdir dist.tmp
  cp build/wasm/quantlab_wasm.mjs build/wasm/quantlab_wasm.wasm dist.tmp/
  cp build/wasm-relaxed/quantlab_wasm_relaxed.mjs build/wasm-relaxed/quantlab_wasm_relaxed.wasm dist.tmp/
  cp build/wasm-mt/quantlab_wasm_mt.mjs build/wasm-mt/quantlab_wasm_mt.wasm build/wasm-mt/quantlab_wasm_mt.worker.js dist.tmp/
  cp build/wasm-mt-relaxed/quantlab_wasm_mt_relaxed.mjs build/wasm-mt-relaxed/quantlab_wasm_mt_relaxed.wasm \
    build/wasm-mt-relaxed/quantlab_wasm_mt_relaxed.worker.js dist.tmp/
  cp bindings/js/*.mjs bindings/js/quantlab.d.ts dist.tmp/
  rm -rf dist && mv dist.tmp dist
  echo "dist: $(ls dist | tr '\n' ' ')"
}

build_fuzz() {
  configure_native build/fuzz clang++ -DQUANTLAB_FUZZ=ON -DQUANTLAB_SIMD128=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build/fuzz -j"$JOBS"
}

build_tsan() {
  configure_native build/native-tsan g++ -DQUANTLAB_TSAN=ON -DQUANTLAB_SIMD128=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build/native-tsan -j"$JOBS" --target quantlab_tsan_tests
}

build_web() {
  build_dist
  npx vite build --config web/vite.config.mjs --logLevel warn
}

[ $# -eq 0 ] && set -- all
for target in "$@"; do
  case "$target" in
    native) build_native ;;
    native-scalar) build_native_scalar ;;
    wasm) build_wasm ;;
    wasm-relaxed) build_wasm_relaxed ;;
    wasm-mt) build_wasm_mt ;;
    wasm-mt-relaxed) build_wasm_mt_relaxed ;;
    dist) build_dist ;;
    web) build_web ;;
    fuzz) build_fuzz ;;
    tsan) build_tsan ;;
    all) build_native; build_native_scalar; build_wasm; build_wasm_mt; build_dist ;;
    *) echo "unknown build target: $target" >&2; exit 2 ;;
  esac
done
