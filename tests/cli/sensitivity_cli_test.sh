#!/usr/bin/env bash
# quantlab sensitivity on the reference model: -t sets the scan's threads (the
# header line says how many) and changes no figure; bad options fail with a
# message before any work.
set -u
q=$1 ref=$2/reference
fail=0 pass=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAILED: $*"; fail=$((fail + 1)); fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scan=(sensitivity -m "$ref/stories260K-f32.gguf" -f "$ref/eval.txt" -c 64 --chunks 1 --imatrix-chunks 2 --types q4_0,q8_0)

for t in 1 3; do
  out=$("$q" "${scan[@]}" -t $t -o "$tmp/t$t.json" 2>/dev/null); rc=$?
  check test "$rc" -eq 0
  want="1 thread"
  [ "$t" = 1 ] || want="$t threads"
  check grep -Eq "^exact \(KLD\) sensitivity of .*: 1 chunks of 64 tokens, 63 scored positions, base PPL [0-9.]+, [0-9.]+ s, $want\$" <<<"$out"
  # The JSON without its timing.
  sed -E 's/"seconds":[0-9.e+-]+,//' "$tmp/t$t.json" > "$tmp/t$t.cmp"
done
check grep -q '"kld":' "$tmp/t1.cmp"
check cmp -s "$tmp/t1.cmp" "$tmp/t3.cmp"

msg=$("$q" "${scan[@]}" -t -1 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "option -t expects a thread count, got -1" <<<"$msg"

echo "sensitivity CLI: $pass passed, $fail failed"
test "$fail" -eq 0
