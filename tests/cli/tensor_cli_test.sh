#!/usr/bin/env bash
# The quantlab CLI on ggml's golden vectors: tensor-quantize must write the
# golden bytes, tensor-dequantize the golden floats, for every golden format;
# bad input must fail with a message and leave no output file.
set -u
q=$1 golden=$2/golden
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
