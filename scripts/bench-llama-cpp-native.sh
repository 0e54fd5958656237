#!/usr/bin/env bash
# Native llama.cpp beside native quantlab on this machine, 1 thread:
#   pp256 / tg64 on ../shared/bench/models (llama.cpp, then quantlab, then
#   llama.cpp again, so a busy neighbour shows as a spread), and perplexity
#   over ../shared/reference/eval.txt at context 128 (flash attention auto and
#   off) on every reference file.
# llama.cpp is the prebuilt CPU build in the npm package @node-llama-cpp/linux-x64
# (installed by scripts/lib/llama-cpp-prebuilt.sh; the loader picks the
# libggml-cpu-<variant>.so that suits this CPU); only its headers come from the
# source bundle inside the npm package. Nothing is built from llama.cpp's
# sources. Needs npm, git, gcc and a built build/native-gcc/quantlab
# (scripts/build.sh native).
# Results: build/llama-cpp-native/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${QUANTLAB_SHARED:-$root/../shared}
out=$root/build/llama-cpp-native
mkdir -p "$out"
source scripts/lib/llama-cpp-prebuilt.sh
llama_cpp_prebuilt
version=$LLAMA_CPP_VERSION
bins=$LLAMA_CPP_BINS
src=$LLAMA_CPP_SRC
libs=(-L"$bins" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$bins" -lm)
for tool in llama_bench llama_perplexity; do
  gcc -O2 -std=gnu11 -Wall -o "$out/$tool" "tests/bench/llama_cpp_native/$tool.c" \
    -I"$src/include" -I"$src/ggml/include" "${libs[@]}"
done
export LLAMA_BINS=$bins
q=$root/build/native-gcc/quantlab
{
  echo "# Native llama.cpp ($version prebuilt) and quantlab, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
  echo
  echo "| model | test | llama.cpp (before) | quantlab | llama.cpp (after) |"
  echo "|---|---|---:|---:|---:|"
  for m in q8_0 q4_0 q4_k_m; do
    f=$shared/bench/models/synth512-$m.gguf
    a=$("$out/llama_bench" "$f" 1 10)
    b=$("$q" bench -m "$f" -r 10)
    c=$("$out/llama_bench" "$f" 1 10)
    for t in pp256 tg64; do
      la=$(awk -v t=$t '$3 == t {sub("mean=", "", $4); print $4}' <<<"$a")
      lc=$(awk -v t=$t '$3 == t {sub("mean=", "", $4); print $4}' <<<"$c")
      qb=$(awk -F'|' -v t=" $t " '$4 == t {split($5, v, " "); print v[1]}' <<<"$b")
      echo "| $m | $t | $la | $qb | $lc |"
    done
  done
  echo
  echo "Perplexity over eval.txt, context 128: llama.cpp's own figures on this machine with the CPU"
  echo "kernels its loader picks (flash attention auto and off), with its AVX2 (haswell) and generic"
  echo "x86-64 (x64) kernel builds, and quantlab's:"
  echo
  echo "| file | llama.cpp best, FA auto | best, FA off | haswell | x64 | quantlab |"
  echo "|---|---:|---:|---:|---:|---:|"
  # A directory per forced variant: every library but the other libggml-cpu-*.so.
  for v in haswell x64; do
    d=$out/variants/$v
    rm -rf "$d" && mkdir -p "$d"
    for lib in "$bins"/*; do
      case $(basename "$lib") in
        libggml-cpu-*) [ "$(basename "$lib")" = "libggml-cpu-$v.so" ] && ln -s "$lib" "$d/";;
        *) ln -s "$lib" "$d/";;
      esac
    done
  done
  for m in f32 q8_0 q4_k_m iq4_nl q4_0; do
    f=$shared/reference/stories260K-$m.gguf
    t=$shared/reference/eval.txt
    auto=$("$out/llama_perplexity" "$f" "$t" 128 -1 | awk '{print $2}')
    off=$("$out/llama_perplexity" "$f" "$t" 128 0 | awk '{print $2}')
    hsw=$(LLAMA_BINS=$out/variants/haswell "$out/llama_perplexity" "$f" "$t" 128 -1 | awk '{print $2}')
    x64=$(LLAMA_BINS=$out/variants/x64 "$out/llama_perplexity" "$f" "$t" 128 -1 | awk '{print $2}')
    ql=$("$q" perplexity -m "$f" -f "$t" -c 128 2>/dev/null | grep -Eo 'PPL = [0-9.]+' | awk '{print $3}')
    echo "| $m | $auto | $off | $hsw | $x64 | $ql |"
  done
} | tee "$out/results.md"
