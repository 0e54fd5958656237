#!/usr/bin/env bash
# quantlab quantize's llama-quantize options from the command line, on
# stories260K: split output and input (llama-quantize's names), --keep-split,
# --override-kv, --prune-layers, the new file types in a dry run, and errors
# that exit non-zero with a message and leave no file behind.
set -u
q=$1 ref=$2/reference
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0 pass=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAILED: $*"; fail=$((fail + 1)); fi; }

# F32 cut into parts of at most 300 kB (gguf-split's rule), then read back by
# the first part's path: the parts quantize to llama-quantize's Q4_K_M file.
"$q" quantize --split-max-size 300000 "$ref/stories260K-f32.gguf" "$work/parts.gguf" F32 1 >"$work/log" 2>&1
check grep -q "wrote $work/parts-00001-of-00005.gguf" "$work/log"
check test -e "$work/parts-00005-of-00005.gguf"
check test ! -e "$work/parts.gguf"
"$q" quantize "$work/parts-00001-of-00005.gguf" "$work/q4km.gguf" Q4_K_M 2 >/dev/null 2>&1
check cmp -s "$work/q4km.gguf" "$ref/stories260K-q4_k_m.gguf"
# --keep-split: one output per part, named like llama-quantize's.
"$q" quantize --keep-split "$work/parts-00001-of-00005.gguf" "$work/kept.gguf" Q4_K_M >/dev/null 2>&1
for k in 1 2 3 4 5; do check test -e "$work/kept-0000$k-of-00005.gguf"; done
check test ! -e "$work/kept-00001-of-00005.gguf.partial"
"$q" gguf-info "$work/kept-00002-of-00005.gguf" >"$work/info" 2>&1
check grep -q "split.no.*= 1" "$work/info"

# --override-kv and --prune-layers in the written metadata.
"$q" quantize --override-kv general.name=str:renamed --override-kv llama.context_length=int:-77 --prune-layers 1,3 \
  "$ref/stories260K-f32.gguf" "$work/kv.gguf" Q4_K_M >"$work/log" 2>&1
check grep -q "pruned 18 tensor(s); block_count = 3" "$work/log"
"$q" gguf-info "$work/kv.gguf" >"$work/info" 2>&1
check grep -q 'general.name *= "renamed"' "$work/info"
check grep -q 'llama.context_length *= 77' "$work/info"
check grep -q 'llama.block_count *= 3' "$work/info"

# The lattice file types plan in a dry run (rows of 64 fall back to iq4_nl / q8_0 / f16 here).
"$q" quantize --dry-run "$ref/stories260K-f32.gguf" IQ2_XXS >"$work/log" 2>&1
check grep -q "as IQ2_XXS" "$work/log"
check grep -q "(iq4_nl)" "$work/log"
"$q" quantize --help >"$work/log" 2>&1
check grep -q "TQ2_0" "$work/log"

# Errors: non-zero exit, a message, nothing written.
msg=$("$q" quantize --imatrix x --include-weights a --exclude-weights b "$ref/stories260K-f32.gguf" "$work/never.gguf" Q4_K_M 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "cannot be used together" <<<"$msg"
msg=$("$q" quantize --override-kv general.name=long:1 "$ref/stories260K-f32.gguf" "$work/never.gguf" Q4_K_M 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "InvalidArgument: invalid type for --override-kv" <<<"$msg"
msg=$("$q" quantize "$work/parts-00002-of-00005.gguf" "$work/never.gguf" Q4_K_M 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "part 2 of 5 of a split model" <<<"$msg"
msg=$("$q" quantize --split-max-size 1000 "$ref/stories260K-f32.gguf" "$work/never.gguf" Q4_K_M 2>&1); rc=$?
check test "$rc" -ne 0
check test -z "$(ls "$work" | grep never)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
