#!/usr/bin/env bash
# quantlab's wasm SIMD128 quantize (with importance weights) against libggml's
# native single-thread quantize on the same data, in interleaved rounds, by
# process CPU time: the noise-robust comparison for docs/benchmarks.md.
# Usage:
#   scripts/bench-iq-vs-ggml.sh [--rounds N] [--mb N] [--base DIR] [TYPE...]   (default: iq1_s iq1_m iq2_xxs)
# Per round it runs `node build/wasm/tests/quantlab_bench.js --cpu --mb N --type T,... --imatrix`,
# then, with --base DIR, the same with DIR/quantlab_bench.js (e.g. a copy of an
# earlier build), then `scripts/bench-ggml-quantize.sh --cpu --mb N T...`.
# It prints each round's MB/s and ratio per type, then per type the min /
# median / max ratio and the ratio of best-of-rounds (the max MB/s of each side).
# Needs build/wasm (scripts/build.sh wasm) and npm access the first time
# (bench-ggml-quantize.sh installs the prebuilt libggml).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=8 mb=2 base=""
types=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) types+=("$1"); shift ;;
  esac
done
[ ${#types[@]} -gt 0 ] || types=(iq1_s iq1_m iq2_xxs)
list=$(IFS=,; echo "${types[*]}")
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The quantize+imat column of the simd128 rows (the last column), as "TYPE MB/s".
wasm_figures() {  # label, bench.js
  node "$2" --cpu --mb "$mb" --type "$list" --imatrix | awk -v l="$1" -v r="$round" '$2 == "simd128" { print r, l, $1, $NF }'
}

echo "$(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, --mb $mb, types $list" >&2
for round in $(seq 1 "$rounds"); do
  wasm_figures new build/wasm/tests/quantlab_bench.js >>"$out"
  [ -z "$base" ] || wasm_figures base "$base/quantlab_bench.js" >>"$out"
  bash scripts/bench-ggml-quantize.sh --cpu --mb "$mb" "${types[@]}" 2>/dev/null |
    awk -v r="$round" 'NF >= 4 && $3 ~ /^[0-9.]+$/ && $1 != "type" { print r, "ggml", $1, $3 }' >>"$out"
  echo "round $round done, load $(cut -d' ' -f1 /proc/loadavg)" >&2
done

# Tables: per type, each round's figures and ratios, then the summaries.
awk -v rounds="$rounds" -v has_base="${base:+1}" '
  { v[$1, $2, $3] = $4; seen[$3] = 1 }
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (t in seen) {
      printf "%s (MB/s per CPU second; ratio = wasm / libggml)\n", t
      printf "round  libggml  wasm new  ratio%s\n", has_base ? "  wasm base  ratio" : ""
      n = 0; bg = 0; bn = 0; bb = 0
      for (r = 1; r <= rounds; r++) {
        g = v[r, "ggml", t]; w = v[r, "new", t]; b = v[r, "base", t]
        if (g == "" || w == "") continue
        n++; rn[n] = w / g; if (has_base) rb[n] = b / g
        if (g > bg) bg = g; if (w > bn) bn = w; if (b > bb) bb = b
        if (has_base) printf "%5d  %7.1f  %8.1f  %4.2fx  %9.1f  %4.2fx\n", r, g, w, w / g, b, b / g
        else printf "%5d  %7.1f  %8.1f  %4.2fx\n", r, g, w, w / g
      }
      if (n == 0) continue
      mn = rn[1]; mx = rn[1]; for (i = 2; i <= n; i++) { if (rn[i] < mn) mn = rn[i]; if (rn[i] > mx) mx = rn[i] }
      printf "new:  ratio min %.2fx  median %.2fx  max %.2fx; best-of-rounds %.1f / %.1f = %.2fx\n", mn, median(rn, n), mx, bn, bg, bn / bg
      if (has_base) {
        mn = rb[1]; mx = rb[1]; for (i = 2; i <= n; i++) { if (rb[i] < mn) mn = rb[i]; if (rb[i] > mx) mx = rb[i] }
        printf "base: ratio min %.2fx  median %.2fx  max %.2fx; best-of-rounds %.1f / %.1f = %.2fx\n", mn, median(rb, n), mx, bb, bg, bb / bg
      }
      print ""
    }
  }' "$out"
