#!/usr/bin/env bash
# Native llama.cpp beside native quantlab on this machine:
#   speed: pp256 / tg64 on ../shared/bench/models (Q8_0, Q4_0, Q4_K_M) at 1 and
#   2 threads, for each x86 level this CPU runs: llama.cpp's best CPU build
#   (zen4 / AVX-512 here) against quantlab at avx512vnni, and its haswell (AVX2)
#   build against quantlab at avx2. Each cell runs llama.cpp, then quantlab,
#   then llama.cpp again (a busy neighbour shows as a spread), and the whole
#   table is repeated QUANTLAB_BENCH_ROUNDS times, interleaved. Then quantlab's
#   own 1 -> 2 thread scaling, including the built-in model.
#   perplexity (QUANTLAB_BENCH_PPL=1, the default): every reference file over
#   ../shared/reference/eval.txt at context 128 under llama.cpp's builds and quantlab.
# llama.cpp is the prebuilt CPU build in the npm package @node-llama-cpp/linux-x64
# (installed by scripts/lib/llama-cpp-prebuilt.sh; the loader picks the
# libggml-cpu-<variant>.so that suits this CPU, or the one variant a directory
# offers); only its headers come from the source bundle inside the npm package. Nothing is built from llama.cpp's
# sources. Needs npm, git, gcc and a built build/native-gcc/quantlab
# (scripts/build.sh native).
# Knobs: QUANTLAB_BENCH_ROUNDS (2), QUANTLAB_BENCH_REPS (5), QUANTLAB_BENCH_THREADS ("1 2"),
# QUANTLAB_BENCH_MODELS ("q8_0 q4_0 q4_k_m"), QUANTLAB_BENCH_PPL (1).
# Results: build/llama-cpp-native/results.md (every sample in raw.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${QUANTLAB_SHARED:-$root/../shared}
out=$root/build/llama-cpp-native
rounds=${QUANTLAB_BENCH_ROUNDS:-2}
reps=${QUANTLAB_BENCH_REPS:-5}
threads_list=${QUANTLAB_BENCH_THREADS:-1 2}
models=${QUANTLAB_BENCH_MODELS:-q8_0 q4_0 q4_k_m}
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
q=$root/build/native-gcc/quantlab
# quantlab level : llama.cpp library directory (its best build for avx512vnni, haswell for avx2).
levels=()
grep -qw avx512_vnni /proc/cpuinfo && levels+=("avx512vnni:$bins")
grep -qw avx2 /proc/cpuinfo && levels+=("avx2:$out/variants/haswell")
raw=$out/raw.txt
: > "$raw"

llama() {  # libdir model threads -> "pp tg"
  LLAMA_BINS=$1 "$out/llama_bench" "$2" "$3" "$reps" |
    awk '$3 == "pp256" {sub("mean=", "", $4); pp = $4} $3 == "tg64" {sub("mean=", "", $4); tg = $4} END {print pp, tg}'
}
quantlab() {  # level model threads -> "pp tg"
  local level=${1%vnni}
  QUANTLAB_X86_KERNELS=$level "$q" bench -m "$2" -t "$3" -r "$reps" |
    awk -F'|' '$5 == " pp256 " {split($6, v, " "); pp = v[1]} $5 == " tg64 " {split($6, v, " "); tg = v[1]} END {print pp, tg}'
}

for ((round = 1; round <= rounds; round++)); do
  for lv in "${levels[@]}"; do
    level=${lv%%:*} lib=${lv#*:}
    for m in $models; do
      f=$shared/bench/models/synth512-$m.gguf
      for t in $threads_list; do
        a=$(llama "$lib" "$f" "$t")
        b=$(quantlab "$level" "$f" "$t")
        c=$(llama "$lib" "$f" "$t")
        echo "$round $level $m $t $a $b $c" >> "$raw"  # round level model threads llama(pp tg) quantlab(pp tg) llama(pp tg)
      done
    done
    for t in $threads_list; do
      echo "$round $level builtin $t - - $(quantlab "$level" "$root/models/quantlab-stories-4M.gguf" "$t") - -" >> "$raw"
    done
  done
done

{
  echo "# Native llama.cpp ($version prebuilt) and quantlab, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
  echo
  echo "$rounds interleaved rounds, $reps repetitions per measurement; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "quantlab at avx512vnni is compared with llama.cpp's best build for this CPU, quantlab at avx2 with its haswell build."
  echo "ratio = quantlab / mean of the llama.cpp runs before and after it; tokens/s."
  echo
  echo "| level | model | threads | test | llama.cpp before | quantlab | llama.cpp after | ratio |"
  echo "|---|---|---:|---|---:|---:|---:|---:|"
  awk '$3 != "builtin" {
    for (i = 0; i < 2; i++) {
      test = i ? "tg64" : "pp256"; la = $(5 + i); qb = $(7 + i); lc = $(9 + i)
      printf "| %s | %s | %s | %s | %.1f | %.1f | %.1f | %.2f |\n", $2, $3, $4, test, la, qb, lc, qb / ((la + lc) / 2)
    }
  }' "$raw" | sort -t'|' -k2,2r -k3,3 -k4,4n -k5,5 -s
  echo
  echo "quantlab's thread scaling (same runs): tokens/s at each thread count, and the ratio to 1 thread."
  echo
  echo "| level | model | test | $(for t in $threads_list; do printf '%s thr | ' "$t"; done)ratios |"
  echo "|---|---|---|$(for t in $threads_list; do printf -- '---:|'; done)---|"
  awk -v tl="$threads_list" '
    BEGIN { n = split(tl, T, " ") }
    { for (i = 0; i < 2; i++) { key = $2 "|" $3 "|" (i ? "tg64" : "pp256"); v[key, $1, $4] = $(7 + i); keys[key] = 1; if ($1 > nr) nr = $1 } }
    END {
      for (key in keys) {
        split(key, k, "|"); line = "| " k[1] " | " k[2] " | " k[3] " |"; ratios = ""
        for (j = 1; j <= n; j++) {
          cell = ""
          for (r = 1; r <= nr; r++) cell = cell (cell == "" ? "" : " / ") v[key, r, T[j]]
          line = line " " cell " |"
        }
        for (r = 1; r <= nr; r++) {
          if (v[key, r, T[1]] > 0) ratios = ratios (ratios == "" ? "" : " / ") sprintf("%.2f", v[key, r, T[n]] / v[key, r, T[1]])
        }
        print line " " ratios " |"
      }
    }' "$raw" | sort
} | tee "$out/results.md"

[ "${QUANTLAB_BENCH_PPL:-1}" = 1 ] || exit 0
{
  echo
  echo "Perplexity over eval.txt, context 128: llama.cpp's own figures on this machine with the CPU"
  echo "kernels its loader picks (flash attention auto and off), with its AVX2 (haswell) and generic"
  echo "x86-64 (x64) kernel builds, and quantlab's:"
  echo
  echo "| file | llama.cpp best, FA auto | best, FA off | haswell | x64 | quantlab |"
  echo "|---|---:|---:|---:|---:|---:|"
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
} | tee -a "$out/results.md"
