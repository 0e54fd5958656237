#!/usr/bin/env bash
# Mixed precision against the standard file types on the built-in model.
#   1. Targets: for Q3_K_M, Q4_K_M and Q5_K_M, the fixed file type (without and
#      with the calibration imatrix) beside `quantize --target-size <its exact
#      size>`; KLD against F32 and PPL on the evaluation text.
#   2. The size-KLD curve: plans for the sizes of every standard type from one
#      scan (`sensitivity --plan-sizes`), each made with its --tensor-type and
#      --override-kv arguments, measured the same way.
#   3. Whether the prebuilt llama.cpp (npm, as scripts/bench-llama-cpp-native.sh)
#      has llama-quantize's --target-bpw.
# Calibration: models/calibration.txt (`quantlab stories --split train --words 4000`,
# the built-in model's training stream, which never holds a held-out story);
# evaluation: models/heldout.txt by default. Usage:
#   scripts/bench-mixed.sh [EVAL.txt] [CHUNKS]
# Results: build/bench-mixed/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/quantlab-stories-4M.gguf
calib=models/calibration.txt
eval=${1:-models/heldout.txt}
chunks=${2:-2}
out=build/bench-mixed
mkdir -p "$out"
bash scripts/build.sh native >/dev/null
q=build/native-gcc/quantlab

$q perplexity -m "$model" -f "$eval" -c 256 --kl-divergence-base "$out/base.kld" >/dev/null 2>&1
params=$($q gguf-info "$model" | sed -nE 's/^([0-9]+) parameters.*/\1/p')

# One row: label, file, extra note.
measure() {
  local label=$1 f=$2 note=${3:-}
  local r size
  r=$($q perplexity -m "$f" -f "$eval" -c 256 --kl-divergence-base "$out/base.kld" --kl-divergence 2>/dev/null)
  size=$(stat -c %s "$f")
  printf '| %s | %d | %.4f | %s | %s | %s | %s |\n' "$label" "$size" "$(awk "BEGIN{print 8*$size/$params}")" \
    "$(sed -nE 's/^Mean PPL\(Q\) *: *([0-9.]+) ± *([0-9.]+).*/\1 ± \2/p' <<<"$r")" \
    "$(sed -nE 's/^Mean +KLD: *([0-9.]+) ± *([0-9.]+).*/\1 ± \2/p' <<<"$r")" \
    "$(sed -nE 's/^Same top p: *([0-9.]+) ±.*/\1 %/p' <<<"$r")" "$note"
}
kld_of() { $q perplexity -m "$1" -f "$eval" -c 256 --kl-divergence-base "$out/base.kld" --kl-divergence 2>/dev/null |
  sed -nE 's/^Mean +KLD: *([0-9.]+) ±.*/\1/p'; }

{
echo "# Mixed precision on the built-in model, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
echo
echo "Calibration $calib, evaluation $eval (context 256, second half of each chunk scored), $chunks calibration chunks per measurement."
echo
echo "| file | bytes | bits/weight | PPL | mean KLD | same top | note |"
echo "|---|---:|---:|---|---|---:|---|"
measure F32 "$model"
for t in Q3_K_M Q4_K_M Q5_K_M; do
  $q quantize "$model" "$out/$t.gguf" "$t" 1 >/dev/null 2>&1
  size=$(stat -c %s "$out/$t.gguf")
  start=$(date +%s.%N)
  $q quantize --target-size "$size" --calibration "$calib" --calibration-chunks "$chunks" \
    --imatrix-out "$out/imatrix.gguf" --plan-out "$out/mixed-$t.plan.json" "$model" "$out/mixed-$t.gguf" 1 \
    > "$out/mixed-$t.log" 2>&1
  secs=$(awk "BEGIN{printf \"%.0f\", $(date +%s.%N) - $start}")
  $q quantize --imatrix "$out/imatrix.gguf" "$model" "$out/$t-imatrix.gguf" "$t" 1 >/dev/null 2>&1
  measure "$t" "$out/$t.gguf"
  measure "$t + imatrix" "$out/$t-imatrix.gguf" "the plans' imatrix"
  k_fixed=$(kld_of "$out/$t.gguf")
  k_im=$(kld_of "$out/$t-imatrix.gguf")
  k_mix=$(kld_of "$out/mixed-$t.gguf")
  measure "**mixed @ $t size**" "$out/mixed-$t.gguf" \
    "KLD ×$(awk "BEGIN{printf \"%.2f\", $k_mix/$k_fixed}") of $t, ×$(awk "BEGIN{printf \"%.2f\", $k_mix/$k_im}") of $t+imatrix; $secs s"
done
echo
echo "Commands (per type T, size S = the bytes of T's file):"
echo
echo "    quantlab quantize $model T.gguf T"
echo "    quantlab quantize --target-size S --calibration $calib --calibration-chunks $chunks $model mixed-T.gguf"
echo
echo "## Size-KLD curve (one scan, plans made through --tensor-type / --override-kv)"
echo
types=(Q2_K Q3_K_S Q3_K_M Q4_0 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K Q8_0)
sizes=()
for t in "${types[@]}"; do
  [ -f "$out/$t.gguf" ] || $q quantize "$model" "$out/$t.gguf" "$t" 1 >/dev/null 2>&1
  sizes+=("$(stat -c %s "$out/$t.gguf")")
done
mkdir -p "$out/curve"
$q sensitivity -m "$model" -f "$calib" --chunks "$chunks" -o "$out/sensitivity.json" \
  --plan-sizes "$(IFS=,; echo "${sizes[*]}")" --plan-dir "$out/curve" > "$out/curve.log" 2>&1
echo "| file | bytes | bits/weight | PPL | mean KLD | same top | note |"
echo "|---|---:|---:|---|---|---:|---|"
for i in "${!types[@]}"; do
  t=${types[$i]} s=${sizes[$i]}
  plan=$out/curve/plan-size-$s.json
  mapfile -t args < <(node -e '
    const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (p.imatrix) console.log("--imatrix\n" + p.imatrix);
    for (const a of p.tensorTypes) console.log("--tensor-type\n" + a);
    for (const a of p.overrideKv) console.log("--override-kv\n" + a);
    console.log(p.ftype);' "$plan")
  ftype=${args[-1]}
  unset 'args[-1]'
  $q quantize "${args[@]}" "$model" "$out/curve/mixed-$t.gguf" "$ftype" 1 >/dev/null 2>&1
  measure "$t" "$out/$t.gguf"
  measure "mixed @ $t size" "$out/curve/mixed-$t.gguf" "plan $(basename "$plan")"
done
echo
echo "    quantlab sensitivity -m $model -f $calib --chunks $chunks --plan-sizes S1,S2,... --plan-dir DIR"
echo "    quantlab quantize --imatrix DIR/imatrix.gguf --tensor-type ... --override-kv ... $model out.gguf FTYPE   # from each plan's JSON"
echo
echo "Spearman's rho of the proxy against the exact KLD, over tensors per format ($out/sensitivity.json):"
echo
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log("| " + Object.keys(r.spearman).join(" | ") + " |");
  console.log("|" + Object.keys(r.spearman).map(() => "---:").join("|") + "|");
  console.log("| " + Object.values(r.spearman).map((v) => v === null ? "–" : v.toFixed(3)).join(" | ") + " |");
  console.log("\nscan: " + r.seconds.toFixed(1) + " s natively, 1 thread (" + r.nChunks + " chunks of " + r.nCtx + ")");' "$out/sensitivity.json"
echo
echo "## llama.cpp's --target-bpw"
echo
# The prebuilt llama.cpp from npm (scripts/lib/llama-cpp-prebuilt.sh): shared
# libraries only, no llama-quantize executable, so its options are read from
# the library's strings and from the bundled source's tools/quantize.
source scripts/lib/llama-cpp-prebuilt.sh
llama_cpp_prebuilt
quantize_tool=$(ls "$LLAMA_CPP_BINS" | grep -i quantize || true)
lib_mentions=$(strings "$LLAMA_CPP_BINS"/libllama*.so | grep -ciE 'target_bpw|target-bpw' || true)
src_mentions=$(grep -ciE 'target.bpw|target.size' "$LLAMA_CPP_SRC/tools/quantize/quantize.cpp" || true)
echo "node-llama-cpp $LLAMA_CPP_VERSION (llama.cpp $LLAMA_CPP_COMMIT): quantize executable in the package:" \
  "${quantize_tool:-none}; 'target_bpw' in libllama: $lib_mentions; '--target-bpw'/'--target-size' in" \
  "tools/quantize/quantize.cpp: $src_mentions."
if [ "$lib_mentions" = 0 ] && [ "$src_mentions" = 0 ]; then
  echo
  echo "The prebuilt llama.cpp has no --target-bpw (nor does the snapshot 3f545bec that ../shared's reference"
  echo "data came from): there is nothing of llama.cpp's automatic type selection to compare against."
else
  echo
  echo "This llama.cpp has a target-bpw option: compare by hand (not automated)."
fi
} | tee "$out/results.md"
