#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test quantlab.
# Idempotent: checks first, installs only what is missing. Sources: apt and npm only.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have cmake || missing+=(cmake)
have g++ || missing+=(g++)
have clang++ || missing+=(clang)
have em++ || missing+=(emscripten)
# The relaxed-SIMD module: emcc 3.1.6 drives clang 19 (clang 14 emits pre-standard opcodes).
have clang-19 || missing+=(clang-19)
have wasm-ld-19 || missing+=(lld-19)
[ -f /usr/include/catch2/catch.hpp ] || missing+=(catch2)
[ -f /usr/include/simde/wasm/simd128.h ] || missing+=(libsimde-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# libFuzzer and the sanitizer runtimes for the fuzz target.
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing+=(libclang-rt-dev)
have node || missing+=(nodejs)
have npm || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Vite 8 needs Node >= 20.19 (see ../shared/TOOLCHAIN.md).
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("install-deps: Node >= 20.19 is required, found "+process.versions.node); process.exit(1) }'

# npm ci only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
