#!/usr/bin/env bash
# quantlab quantize beside llama-quantize, tensor by tensor, on synthetic models.
#
# llama.cpp is the prebuilt CPU build in the npm package @node-llama-cpp/linux-x64
# (installed as scripts/bench-llama-cpp-native.sh does; only its headers come from
# the source bundle inside the package, nothing of llama.cpp is built). Three small
# programs of our own are linked against its libraries (tests/bench/llama_cpp_native/):
#   synth_models           llama models and imatrix files written with libggml's GGUF writer
#   llama_quantize_params  llama-quantize's options -> llama_model_quantize (libllama)
#   gguf_compare           metadata and tensors of two GGUF files (or split sets), byte for byte
# Every case quantizes the same input with the same options and imatrix through both,
# then compares: metadata keys (order, types, values) and every tensor (order, type,
# shape, bytes). When quantlab cannot write a file type yet (its kernels are missing),
# the case compares quantlab's dry-run plan with the tensor types of llama.cpp's file.
#
# usage: scripts/compare-llama-quantize.sh [--capture] [FILTER]   (FILTER: a grep -E pattern on case names)
#   --capture  also writes tests/quantize/llama_quantize_types.inc: llama-quantize's tensor types for
#              every file type on the synthetic models, which the Catch2 plan tests check quantlab's
#              plan against (so npm test needs no llama.cpp)
# Needs npm, git, gcc and build/native-gcc/quantlab (scripts/build.sh native).
# Results: build/llama-quantize-compare/results.md (one row per case); exit 1 if any differs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
capture=
if [ "${1:-}" = --capture ]; then capture=1; shift; fi
filter=${1:-.}
lc=$root/build/llama-cpp-native   # shared with bench-llama-cpp-native.sh
out=$root/build/llama-quantize-compare
version=3.22.1
mkdir -p "$lc" "$out"
if [ ! -d "$lc/node_modules/@node-llama-cpp/linux-x64/bins" ]; then
  (cd "$lc" && { [ -f package.json ] || echo '{"private": true}' > package.json; }
   npm install --no-audit --no-fund --ignore-scripts "node-llama-cpp@$version" >/dev/null)
fi
bins=$lc/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
src=$lc/llama.cpp-src
[ -d "$src" ] || git -c advice.detachedHead=false clone -q "$lc/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$src"
libs=(-L"$bins" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$bins" -lm)
inc=(-I"$src/include" -I"$src/ggml/include")
d=tests/bench/llama_cpp_native
gcc -O2 -std=gnu11 -Wall -o "$out/synth_models" $d/synth_models.c "${inc[@]}" "${libs[@]}"
gcc -O2 -std=gnu11 -Wall -o "$out/gguf_compare" $d/gguf_compare.c "${inc[@]}" "${libs[@]}"
g++ -O2 -std=c++17 -Wall -o "$out/llama_quantize_params" $d/llama_quantize_params.cpp "${inc[@]}" "${libs[@]}" -l:libllama-common.so
export LLAMA_BINS=$bins
q=${QUANTLAB:-$root/build/native-gcc/quantlab}   # QUANTLAB=path: another quantlab binary
[ -x "$q" ] || { echo "build quantlab first: scripts/build.sh native" >&2; exit 2; }

cd "$out"
mkdir -p models llama ql
[ -f models/gqa.gguf ] || ./synth_models models >/dev/null

# name | model | file type | options (IM = --imatrix models/<model>.imatrix.gguf)
cases() {
  local base=(F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K IQ4_NL IQ4_XS)
  local low=(Q2_K_S IQ2_XXS IQ2_XS IQ2_S IQ2_M IQ1_S IQ1_M IQ3_XXS)   # refused without an imatrix
  local mid=(IQ3_XS IQ3_S IQ3_M TQ1_0 TQ2_0)
  for m in gqa tied odd moe; do
    for t in "${base[@]}" "${mid[@]}"; do echo "$m-$t|$m|$t|"; done
    for t in "${base[@]}" "${mid[@]}" "${low[@]}"; do echo "$m-$t-imatrix|$m|$t|IM"; done
    for t in "${low[@]}"; do echo "$m-$t-no-imatrix|$m|$t|"; done
  done
  echo "split-Q4_K_M|split|Q4_K_M|IM"
  echo "split-IQ2_XS|split|IQ2_XS|IM"
  echo "keep-split-Q4_K_M|split|Q4_K_M|IM --keep-split"
  echo "keep-split-one-file|gqa|Q5_K_M|--keep-split"
  echo "keep-split-prune|split|Q4_K_S|--keep-split --prune-layers 1,6"
  echo "leave-output|gqa|Q4_K_M|--leave-output-tensor"
  echo "leave-output-tied|tied|Q3_K_M|--leave-output-tensor"
  echo "output-embd-types|gqa|Q4_K_M|--output-tensor-type q8_0 --token-embedding-type q4_0"
  echo "tensor-types|gqa|Q4_K_M|--tensor-type attn_v=q8_0 --tensor-type ffn_down=q5_k --tensor-type blk\\.[0-3]\\.attn_q=iq4_nl"
  echo "pure|gqa|Q3_K_M|--pure"
  echo "include-weights|gqa|Q4_K_M|IM --include-weights attn_ --include-weights blk.7."
  echo "exclude-weights|gqa|IQ4_XS|IM --exclude-weights ffn_down"
  echo "include-weights-iq2|gqa|IQ2_XS|IM --include-weights ffn_"
  echo "override-kv|gqa|Q4_K_M|--override-kv general.name=str:renamed --override-kv llama.context_length=int:4096 --override-kv test.scale=float:0.25 --override-kv test.flag=bool:true --override-kv llama.context_length=int:-77"
  echo "override-kv-gqa|tied|Q2_K|--override-kv llama.attention.head_count_kv=int:1"
  echo "override-kv-imatrix|gqa|Q4_K_M|IM --override-kv quantize.imatrix.entries_count=int:5"
  echo "prune|gqa|Q4_K_M|IM --prune-layers 0,3,5"
  echo "prune-tail|gqa|IQ3_XXS|IM --prune-layers 7,100"
  echo "prune-moe|moe|Q3_K_M|--prune-layers 2"
}

rows=()
captured=()
fail=0
# One letter per tensor type, in output order (the legend is in the .inc file).
letters() {
  ./gguf_compare --list "$1" | awk 'BEGIN {
    split("f32 F f16 H bf16 B q4_0 a q4_1 b q5_0 c q5_1 d q8_0 e q2_K 2 q3_K 3 q4_K 4 q5_K 5 q6_K 6 iq4_nl n iq4_xs x iq2_xxs A iq2_xs C iq2_s D iq3_xxs E iq3_s G iq1_s I iq1_m J tq1_0 T tq2_0 U", a, " ")
    for (i = 1; i < length(a); i += 2) code[a[i]] = a[i + 1]
  } { if (!($2 in code)) { print "unknown type " $2 > "/dev/stderr"; exit 1 } printf "%s", code[$2] } END { print "" }'
}
first_part() { if [ -f "$1" ]; then echo "$1"; else { ls "${1%.gguf}"-00001-of-*.gguf 2>/dev/null || true; } | head -1; fi; }
last_error() { { grep -Eo '(failed to quantize: .*|quantlab: .*|error.*)' "$1" || tail -1 "$1"; } | tail -1 | cut -c1-120; }
plan_types() {  # quantlab dry-run lines -> "name type"
  sed -nE 's/^\[ *[0-9]+\/ *[0-9]+\] ([^ ]+) +- \[.*\], type = +([^,]+), size = .*\(([^)]+)\)$/\1 \3/p;
           s/^\[ *[0-9]+\/ *[0-9]+\] ([^ ]+) +- \[.*\], type = +([^,]+), size = +[0-9.]+ MiB$/\1 \2/p' "$1"
}
while IFS='|' read -r name model type opts; do
  [[ "$name" =~ $filter ]] || continue
  plain_case=; [ "$model" != split ] && { [ -z "$opts" ] || [ "$opts" = IM ]; } && plain_case=1
  in=models/$model.gguf
  [ "$model" = split ] && in=models/split-00001-of-00003.gguf
  opts=${opts//IM/--imatrix models/$model.imatrix.gguf}
  rm -f llama/"$name"*.gguf ql/"$name"*.gguf
  # shellcheck disable=SC2086
  if ./llama_quantize_params $opts "$in" "llama/$name.gguf" "$type" 2 >"llama/$name.log" 2>&1; then lrc=0; else lrc=$?; fi
  # shellcheck disable=SC2086
  if "$q" quantize $opts "$in" "ql/$name.gguf" "$type" 2 >"ql/$name.log" 2>&1; then qrc=0; else qrc=$?; fi
  L=$(first_part "llama/$name.gguf"); Q=$(first_part "ql/$name.gguf")
  if [ -n "$capture" ] && [ -n "$plain_case" ]; then
    im=false; [ -n "$opts" ] && im=true
    if [ $lrc -eq 0 ]; then t=$(letters "$L"); else t=refuses; fi
    captured+=("    {\"$model\", \"$type\", $im, \"$t\"},")
  fi
  if [ $lrc -ne 0 ] && [ $qrc -ne 0 ]; then
    verdict="both refuse"; lres="refuses: $(last_error "llama/$name.log")"; qres="refuses: $(last_error "ql/$name.log")"
    # Which tensor each names as the first that needs an imatrix.
    lt=$(grep -Eio '(offending tensor:|importance matrix for tensor) [^ ]+' "llama/$name.log" | head -1 | awk '{print $NF}' || true)
    qt=$(grep -Eio '(first tensor:|importance matrix for tensor) [^) ]+' "ql/$name.log" | head -1 | awk '{print $NF}' || true)
    if [ -n "$lt" ]; then
      if [ "$lt" = "$qt" ]; then verdict="both refuse, both name $lt"; else verdict="DIFFERENT refusals: $lt vs $qt"; fail=1; fi
    fi
  elif [ $lrc -ne 0 ]; then
    verdict="DIFFERENT"; fail=1; lres="refuses: $(last_error "llama/$name.log")"; qres="writes"
  elif [ $qrc -eq 0 ]; then
    lres=writes; qres=writes
    if r=$(./gguf_compare "$L" "$Q"); then verdict="identical: ${r#IDENTICAL: }"; else verdict="$r"; fail=1; fi
  else
    lres=writes; qres="cannot write: $(last_error "ql/$name.log")"
    # shellcheck disable=SC2086
    "$q" quantize --dry-run $opts "$in" "$type" 2 >"ql/$name.plan.log" 2>&1 || true
    plan_types "ql/$name.plan.log" >"ql/$name.plan"
    if r=$(./gguf_compare --types "$L" "ql/$name.plan"); then verdict="types only: ${r#IDENTICAL TYPES: }"; else verdict="$r"; fail=1; fi
  fi
  verdict=$(tr '\n' ';' <<<"$verdict" | sed 's/;$//; s/;/; /g' | cut -c1-400)
  row="| $name | \`$type ${opts//models\/$model.imatrix.gguf/IM}\` | $lres | $qres | $verdict |"
  echo "$row"
  rows+=("$row")
done < <(cases)

# --split-max-size (gguf-split's rule; llama-quantize has no such option): quantlab
# writes parts, llama.cpp's loader reads them back (COPY keeps the split), and their
# tensors together equal llama-quantize's single file.
if [[ "split-max-size" =~ $filter ]]; then
  name=split-max-size
  rm -f llama/$name*.gguf ql/$name*.gguf
  ./llama_quantize_params --imatrix models/gqa.imatrix.gguf models/gqa.gguf llama/$name.gguf Q4_K_M 2 >llama/$name.log 2>&1
  "$q" quantize --split-max-size 1M --imatrix models/gqa.imatrix.gguf models/gqa.gguf ql/$name.gguf Q4_K_M 2 >ql/$name.log 2>&1
  n=$(ls ql/$name-0*.gguf | wc -l)
  a=$(./gguf_compare --merged llama/$name.gguf ql/$name-00001-of-0000$n.gguf) || fail=1
  ./llama_quantize_params --keep-split ql/$name-00001-of-0000$n.gguf llama/$name-copy.gguf COPY 2 >llama/$name-copy.log 2>&1 || fail=1
  b=$(./gguf_compare --merged ql/$name-00001-of-0000$n.gguf llama/$name-copy-00001-of-0000$n.gguf) || fail=1
  row="| $name | \`Q4_K_M IM --split-max-size 1M\` | writes one file | writes $n parts | vs llama-quantize: ${a}; llama.cpp reads the parts back (COPY --keep-split): ${b} |"
  echo "$row"
  rows+=("$row")
fi

if [ -n "$capture" ]; then
  inc=$root/tests/quantize/llama_quantize_types.inc
  {
    echo "// Generated by scripts/compare-llama-quantize.sh --capture: llama-quantize's tensor types (prebuilt"
    echo "// llama.cpp of node-llama-cpp $version, release v0.5.0) for the synthetic models of tests/bench/llama_cpp_native/synth_models.c."
    echo "// {model, file type, with an imatrix, the tensor types in output order, one letter each, or \"refuses\"}"
    echo "// Letters: f32 F, f16 H, bf16 B, q4_0 a, q4_1 b, q5_0 c, q5_1 d, q8_0 e, q2_K 2, q3_K 3, q4_K 4, q5_K 5,"
    echo "// q6_K 6, iq4_nl n, iq4_xs x, iq2_xxs A, iq2_xs C, iq2_s D, iq3_xxs E, iq3_s G, iq1_s I, iq1_m J, tq1_0 T, tq2_0 U."
    printf '%s\n' "${captured[@]}"
  } >"$inc"
  echo "captured: $inc (${#captured[@]} cases)"
fi

{
  echo "# quantlab quantize beside llama-quantize (node-llama-cpp $version prebuilt, llama.cpp v0.5.0), $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
  echo
  echo "| case | type and options | llama.cpp | quantlab | comparison |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >results.md
# The file-type cases as one matrix: = bytes identical, T types identical (quantlab cannot write the
# format yet), R both refuse naming the same tensor.
node - "$out/results.md" >"$out/summary.md" <<'JS'
const rows = require('fs').readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => /^\| [a-z]/.test(l));
const models = ['gqa', 'tied', 'odd', 'moe'];
const cell = new Map(), types = [];
for (const l of rows) {
  const [name, , , , verdict] = l.split('|').slice(1).map((c) => c.trim());
  const m = /^(gqa|tied|odd|moe)-([A-Z0-9_]+?)(-imatrix|-no-imatrix)?$/.exec(name);
  if (!m) continue;
  if (!types.includes(m[2])) types.push(m[2]);
  const v = verdict.startsWith('identical') ? '=' : verdict.startsWith('types only') ? 'T' : /^both refuse, both name/.test(verdict) ? 'R' : '**DIFF**';
  cell.set(`${m[2]} ${m[1]} ${m[3] === '-imatrix'}`, v);
}
console.log(`| file type | ${models.join(' | ')} | ${models.map((m) => `${m} + imatrix`).join(' | ')} |`);
console.log(`|---|${'---|'.repeat(8)}`);
for (const t of types) {
  const cells = [false, true].flatMap((im) => models.map((m) => cell.get(`${t} ${m} ${im}`) ?? ''));
  console.log(`| ${t} | ${cells.join(' | ')} |`);
}
JS
echo "results: $out/results.md, $out/summary.md"
exit $fail
