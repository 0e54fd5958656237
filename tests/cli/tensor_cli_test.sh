#!/usr/bin/env bash
# The quantlab CLI on ggml's golden vectors: tensor-quantize must write the
# golden bytes, tensor-dequantize the golden floats, for every golden format
# (../shared/golden, and tests/formats/golden for the formats the CLI knows:
# several rows, an importance matrix); bad input must fail with a message and
# leave no output file.
set -u
q=$1 golden=$2/golden libggml_golden=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0 pass=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAILED: $*"; fail=$((fail + 1)); fi; }

for dir in "$golden"/*/; do
  t=$(basename "$dir")
  for c in prng large; do
    n=$(( $(stat -c %s "$dir/$c.in.f32") / 4 ))
    "$q" tensor-quantize --type "$t" --in "$dir/$c.in.f32" --out "$work/q.bin" >/dev/null
    check cmp -s "$work/q.bin" "$dir/$c.q.bin"
    "$q" tensor-dequantize --type "$t" --in "$dir/$c.q.bin" --out "$work/y.f32" --n "$n" >/dev/null
    check cmp -s "$work/y.f32" "$dir/$c.deq.f32"
  done
  # Several rows at once give the same bytes (blocks never straddle rows here).
  "$q" tensor-quantize --type "$t" --in "$dir/prng.in.f32" --out "$work/q4.bin" --rows 4 >/dev/null
  check cmp -s "$work/q4.bin" "$dir/prng.q.bin"
done

# tests/formats/golden: the multirow case (4 rows of 512) with and without
# its importance matrix, for every type the CLI implements.
covered=""
for dir in "$libggml_golden"/*/; do
  t=$(basename "$dir")
  [ -f "$dir/multirow_imatrix.in.f32" ] || continue
  "$q" formats | awk '{print tolower($1)}' | grep -qx "$(tr 'A-Z' 'a-z' <<<"$t")" || continue
  covered="$covered $t"
  for c in multirow multirow_imatrix; do
    [ -f "$dir/$c.q.bin" ] || continue
    im=(); [ -f "$dir/$c.imatrix.f32" ] && im=(--imatrix "$dir/$c.imatrix.f32")
    "$q" tensor-quantize --type "$t" --in "$dir/$c.in.f32" --out "$work/q.bin" --rows 4 "${im[@]}" >/dev/null
    check cmp -s "$work/q.bin" "$dir/$c.q.bin"
    "$q" tensor-dequantize --type "$t" --in "$dir/$c.q.bin" --out "$work/y.f32" --n 2048 --rows 4 >/dev/null
    check cmp -s "$work/y.f32" "$dir/$c.deq.f32"
  done
done
check grep -q "TQ1_0 TQ2_0" <<<"$covered"

# Errors: non-zero exit, a message naming the problem, no output left behind.
head -c 132 "$golden/Q8_0/prng.in.f32" > "$work/bad.f32"   # 33 floats
msg=$("$q" tensor-quantize --type q8_0 --in "$work/bad.f32" --out "$work/never.bin" 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "BadLength: length 33 is not a multiple of q8_0's block size 32" <<<"$msg"
check test ! -e "$work/never.bin"
msg=$("$q" tensor-quantize --type q9_9 --in "$golden/Q8_0/prng.in.f32" --out "$work/never.bin" 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "UnknownType: unknown tensor type 'q9_9'" <<<"$msg"
msg=$("$q" tensor-dequantize --type q8_0 --in "$golden/Q8_0/prng.q.bin" --out "$work/never.f32" --n 64 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "BufferSize" <<<"$msg"
# IQ2_XXS without an importance matrix: refused, and the message says how to get one.
msg=$("$q" tensor-quantize --type iq2_xxs --in "$golden/Q8_0/prng.in.f32" --out "$work/never.bin" 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "InvalidArgument: iq2_xxs needs an importance matrix.*quantlab imatrix" <<<"$msg"
check test ! -e "$work/never.bin"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
