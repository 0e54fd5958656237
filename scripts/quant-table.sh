#!/usr/bin/env bash
# Quantize a model to a list of llama.cpp file types with quantlab, then measure
# each copy's perplexity and KL divergence against the original on a text.
# Prints a Markdown table. Usage:
#   scripts/quant-table.sh MODEL.gguf TEXT.txt [CTX] [TYPES...]
# Default types: the tutorial's Q8_0 Q6_K Q5_K_M Q4_K_M Q4_0 Q3_K_M Q2_K.
# IMATRIX=FILE (from `quantlab imatrix`): the lattice types IQ1_*, IQ2_*,
# IQ3_* are quantized with it, as llama.cpp users quantize them (most refuse
# to quantize without one); every other type without.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 text=$2 ctx=${3:-256}
shift $(( $# >= 3 ? 3 : $# ))
types=("$@")
[ ${#types[@]} -gt 0 ] || types=(Q8_0 Q6_K Q5_K_M Q4_K_M Q4_0 Q3_K_M Q2_K)
# Only the CLI is needed: configure once as build.sh does, then build that target.
[ -f build/native-gcc/CMakeCache.txt ] || bash scripts/build.sh native >/dev/null
cmake --build build/native-gcc -j"${QUANTLAB_JOBS:-2}" --target quantlab >/dev/null
q=build/native-gcc/quantlab
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

base=$($q perplexity -m "$model" -f "$text" -c "$ctx" --kl-divergence-base "$work/base.kld" 2>/dev/null | grep 'Final estimate')
base_ppl=$(echo "$base" | sed -E 's/.*PPL = ([0-9.]+) \+\/- ([0-9.]+).*/\1 ± \2/')
size=$(stat -c %s "$model")
params=$($q gguf-info "$model" | sed -nE 's/^([0-9]+) parameters.*/\1/p')
echo "| type | size (MiB) | bits/weight | PPL | ΔPPL | mean KLD | same top token | 2-D weights not of the intended type |"
echo "|---|---:|---:|---|---|---|---:|---|"
printf '| original | %.2f | %.2f | %s | — | — | — | — |\n' "$(awk "BEGIN{print $size/1048576}")" "$(awk "BEGIN{print 8*$size/$params}")" "$base_ppl"
for t in "${types[@]}"; do
  out="$work/$t.gguf"
  im=()
  [[ -n "${IMATRIX:-}" && $t =~ ^IQ[123]_ ]] && im=(--imatrix "$IMATRIX")
  $q quantize "${im[@]}" "$model" "$out" "$t" 1 > "$work/$t.log" 2>&1
  # A row length that does not fit the intended type makes quantize print "falling back".
  fallbacks=$(grep -c 'falling back' "$work/$t.log" || true)
  r=$($q perplexity -m "$out" -f "$text" -c "$ctx" --kl-divergence-base "$work/base.kld" --kl-divergence 2>/dev/null)
  ppl=$(echo "$r" | sed -nE 's/^Mean PPL\(Q\) *: *([0-9.]+) ± *([0-9.]+).*/\1 ± \2/p')
  dppl=$(echo "$r" | sed -nE 's/^Mean PPL\(Q\)-PPL\(base\) *: *(-?[0-9.]+) ± *([0-9.]+).*/\1 ± \2/p')
  kld=$(echo "$r" | sed -nE 's/^Mean +KLD: *([0-9.]+) ± *([0-9.]+).*/\1 ± \2/p')
  same=$(echo "$r" | sed -nE 's/^Same top p: *([0-9.]+) ±.*/\1 %/p')
  qsize=$(stat -c %s "$out")
  printf '| %s | %.2f | %.2f | %s | %s | %s | %s | %s |\n' "$t${im[*]:+ (imatrix)}" "$(awk "BEGIN{print $qsize/1048576}")" \
    "$(awk "BEGIN{print 8*$qsize/$params}")" "$ppl" "$dppl" "$kld" "$same" "$([ "$fallbacks" = 0 ] && echo none || echo "$fallbacks (see log)")"
done
