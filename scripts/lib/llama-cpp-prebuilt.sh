# The prebuilt llama.cpp CPU libraries from npm, for scripts that link small
# C/C++ programs of our own against them. Nothing is ever built from
# llama.cpp's sources: the shared libraries come from @node-llama-cpp/linux-x64
# and only the headers from the source bundle inside node-llama-cpp (both at
# the pinned version below, fetched with `npm pack`, so no dependency tree and
# no install scripts).
#
# Source this file, then call `llama_cpp_prebuilt`. It installs once into
# build/llama-cpp-prebuilt (or $LLAMA_CPP_PREBUILT_DIR) and sets
#   LLAMA_CPP_VERSION   the pinned node-llama-cpp version
#   LLAMA_CPP_BINS      folder of libggml-base.so, libggml.v0.5.0.so, libllama.v0.5.0.so and the
#                       libggml-cpu-<variant>.so the loader chooses from
#   LLAMA_CPP_SRC       the source bundle's checkout (headers: include/, ggml/include/)
#   LLAMA_CPP_COMMIT    the llama.cpp commit of that bundle
# Used by scripts/bench-llama-cpp-native.sh and scripts/golden-ggml.sh.

LLAMA_CPP_VERSION=3.22.1

llama_cpp_prebuilt() {
  local root dir tmp
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  dir=${LLAMA_CPP_PREBUILT_DIR:-$root/build/llama-cpp-prebuilt}
  if [ "$(cat "$dir/VERSION" 2>/dev/null)" != "$LLAMA_CPP_VERSION" ]; then
    echo "llama-cpp-prebuilt: fetching node-llama-cpp $LLAMA_CPP_VERSION and @node-llama-cpp/linux-x64 from npm" >&2
    rm -rf "$dir" "$dir.tmp"
    tmp=$dir.tmp
    mkdir -p "$tmp/pack"
    (cd "$tmp/pack" && npm pack --silent "node-llama-cpp@$LLAMA_CPP_VERSION" \
      "@node-llama-cpp/linux-x64@$LLAMA_CPP_VERSION" >/dev/null)
    tar -xzf "$tmp/pack/node-llama-cpp-linux-x64-$LLAMA_CPP_VERSION.tgz" -C "$tmp" --strip-components=1 package/bins
    tar -xzf "$tmp/pack/node-llama-cpp-$LLAMA_CPP_VERSION.tgz" -C "$tmp" --strip-components=2 \
      package/llama/gitRelease.bundle
    git -c advice.detachedHead=false clone -q "$tmp/gitRelease.bundle" "$tmp/llama.cpp-src"
    rm -rf "$tmp/pack" "$tmp/gitRelease.bundle"
    echo "$LLAMA_CPP_VERSION" > "$tmp/VERSION"
    mv "$tmp" "$dir"
  fi
  LLAMA_CPP_BINS=$dir/bins/linux-x64
  LLAMA_CPP_SRC=$dir/llama.cpp-src
  LLAMA_CPP_COMMIT=$(git -C "$LLAMA_CPP_SRC" rev-parse HEAD)
}
