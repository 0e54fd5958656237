#!/usr/bin/env bash
# CPU time per token of native quantlab beside native llama.cpp, one thread, for
# a loaded machine: wall time there measures the neighbours, CPU time
# (perf stat's task-clock) much less so. Each cell runs a process with 1 and
# with 6 repetitions of the test and divides the difference by the 5 x tokens
# extra tokens, so model loading and the warm-up drop out; rounds interleave
# every program, and the minimum over rounds is reported.
#   usage: scripts/bench-cpu-time.sh [quantlab binary]...   (default build/native-gcc/quantlab)
# Knobs: QUANTLAB_BENCH_ROUNDS (3), QUANTLAB_BENCH_MODELS ("q8_0 q4_0 q4_k_m"),
# QUANTLAB_BENCH_LEVELS ("avx512vnni avx2"), QUANTLAB_BENCH_TEST (tg64 | pp256).
# llama.cpp is the npm prebuilt of scripts/bench-llama-cpp-native.sh (its
# llama_bench program, built there): its best CPU build against quantlab at
# avx512vnni, its haswell build against quantlab at avx2.
# Results: ms of CPU per token, and tokens per CPU second, in build/cpu-time/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${QUANTLAB_SHARED:-$root/../shared}
out=$root/build/cpu-time
rounds=${QUANTLAB_BENCH_ROUNDS:-3}
models=${QUANTLAB_BENCH_MODELS:-q8_0 q4_0 q4_k_m}
levels=${QUANTLAB_BENCH_LEVELS:-avx512vnni avx2}
test=${QUANTLAB_BENCH_TEST:-tg64}
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("$root/build/native-gcc/quantlab")
case $test in
  tg64) np=0 ng=64 tokens=64 ;;
  pp256) np=256 ng=0 tokens=256 ;;
  *) echo "QUANTLAB_BENCH_TEST: tg64 or pp256" >&2; exit 1 ;;
esac
lc=$root/build/llama-cpp-native
[ -x "$lc/llama_bench" ] || { echo "run scripts/bench-llama-cpp-native.sh once first (builds $lc/llama_bench)" >&2; exit 1; }
source scripts/lib/llama-cpp-prebuilt.sh
llama_cpp_prebuilt
mkdir -p "$out"
raw=$out/raw.txt
: > "$raw"

cpu_ms() {  # command... -> CPU milliseconds
  perf stat -x, -e task-clock -o "$out/stat.txt" "$@" > /dev/null 2>&1
  awk -F, '$3 ~ /task-clock/ {print $1}' "$out/stat.txt"
}
cpu_pair() {  # runner (called with reps) -> "CPU ms at 1 rep, at 6 reps"
  echo "$("$@" 1) $("$@" 6)"
}
run_llama() { cpu_ms env LLAMA_BINS="$1" "$lc/llama_bench" "$2" 1 "$3" "$np" "$ng"; }
run_quantlab() { cpu_ms env QUANTLAB_X86_KERNELS="${2%vnni}" "$1" bench -m "$3" -t 1 -p "$np" -n "$ng" -r "$4"; }

for ((round = 1; round <= rounds; round++)); do
  for level in $levels; do
    lib=$LLAMA_CPP_BINS
    [ "$level" = avx2 ] && lib=$lc/variants/haswell
    for m in $models; do
      f=$shared/bench/models/synth512-$m.gguf
      echo "$round $level $m llama.cpp $(cpu_pair run_llama "$lib" "$f")" >> "$raw"
      for b in "${bins[@]}"; do
        echo "$round $level $m $b $(cpu_pair run_quantlab "$b" "$level" "$f")" >> "$raw"
      done
    done
  done
done

{
  echo "# $test CPU time per token, 1 thread, min over $rounds rounds, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
  echo
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). ms per token (tokens per CPU second); ratio = llama.cpp's ms / the program's."
  echo
  echo "| level | model | program | ms/token | tokens/CPU-s | vs llama.cpp |"
  echo "|---|---|---|---:|---:|---:|"
  awk -v n="$tokens" '{k = $2 " " $3 " " $4; if (!(k in a) || $5 < a[k]) a[k] = $5; if (!(k in b) || $6 < b[k]) b[k] = $6}
    END {
      for (k in a) best[k] = (b[k] - a[k]) / (5 * n)
      for (k in best) { split(k, p, " "); if (p[3] == "llama.cpp") ref[p[1] " " p[2]] = best[k] }
      for (k in best) {
        split(k, p, " "); r = ref[p[1] " " p[2]]
        printf "| %s | %s | %s | %.4f | %.0f | %.2f |\n", p[1], p[2], p[3], best[k], 1000 / best[k], r / best[k]
      }
    }' "$raw" | sort
} | tee "$out/results.md"
