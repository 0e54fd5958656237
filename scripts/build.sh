#!/usr/bin/env bash
# Incremental builds. Usage: scripts/build.sh [native|native-scalar|wasm|dist|web|all]...
#   native         g++, SIMD128 kernels through SIMDe       -> build/native-gcc
#   native-scalar  clang++, scalar reference kernels only   -> build/native-clang-scalar
#   wasm           emcmake, -msimd128 -O3, embind module     -> build/wasm
#   wasm-mt        the same with -pthread (SharedArrayBuffer + Web Workers): the threaded
#                  module and the thread tests under Node               -> build/wasm-mt
#   dist           wasm + wasm-mt + the JS wrapper assembled in dist/ (what npm pack ships)
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

build_wasm_mt() {
  if [ ! -f build/wasm-mt/CMakeCache.txt ]; then
    emcmake cmake -S . -B build/wasm-mt -DCMAKE_BUILD_TYPE=Release -DQUANTLAB_WERROR=ON -DQUANTLAB_WASM_THREADS=ON \
      -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
  fi
  cmake --build build/wasm-mt -j"$JOBS" "$@"
}

build_dist() {
  if [ ! -f build/wasm/CMakeCache.txt ]; then build_wasm; else cmake --build build/wasm -j"$JOBS" --target quantlab_wasm; fi
  build_wasm_mt --target quantlab_wasm_mt
  rm -rf dist.tmp && mkdir dist.tmp
  cp build/wasm/quantlab_wasm.mjs build/wasm/quantlab_wasm.wasm dist.tmp/
  cp build/wasm-mt/quantlab_wasm_mt.mjs build/wasm-mt/quantlab_wasm_mt.wasm build/wasm-mt/quantlab_wasm_mt.worker.js dist.tmp/
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
    wasm-mt) build_wasm_mt ;;
    dist) build_dist ;;
    web) build_web ;;
    fuzz) build_fuzz ;;
    tsan) build_tsan ;;
    all) build_native; build_native_scalar; build_wasm; build_wasm_mt; build_dist ;;
    *) echo "unknown build target: $target" >&2; exit 2 ;;
  esac
done
