#!/usr/bin/env bash
# quantlab bench on the reference model: a llama-bench-shaped table with a
# positive tokens/s for each test asked for; bad options fail with a message.
set -u
q=$1 model=$2/reference/stories260K-q8_0.gguf
fail=0 pass=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAILED: $*"; fail=$((fail + 1)); fi; }

out=$("$q" bench -m "$model" -p 32 -n 8 -r 2 -t 2); rc=$?
check test "$rc" -eq 0
check grep -q '^| model | kernels | threads | test | t/s |$' <<<"$out"
# "| stories260K-q8_0.gguf | simd128 | 2 | pp32 | 1234.56 ± 7.89 |" (simd128+avx512vnni or
# simd128+avx2 when native kernels stand in): a positive rate per test.
for t in pp32 tg8; do
  check grep -Eq "^\| stories260K-q8_0\.gguf \| (simd128|simd128\+avx512vnni|simd128\+avx2|ref) \| 2 \| $t \| [0-9]*[1-9][0-9]*\.[0-9]{2} ± [0-9]+\.[0-9]{2} \|$" <<<"$out"
done
out=$("$q" bench -m "$model" -p 16 -n 0 -r 1 --scalar -t 1); rc=$?
check test "$rc" -eq 0
check grep -q '| ref | 1 | pp16 |' <<<"$out"
check test "$(grep -c '| tg' <<<"$out")" -eq 0

msg=$("$q" bench -m "$model" -r 0 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q 'InvalidArgument: -p, -n must be >= 0 and -r >= 1' <<<"$msg"
msg=$("$q" bench -m "$model" -p many 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "option -p expects an integer, got 'many'" <<<"$msg"
msg=$("$q" bench -m "$model" -t -2 2>&1); rc=$?
check test "$rc" -ne 0
check grep -q "option -t expects a thread count, got -2" <<<"$msg"
msg=$("$q" bench -m /nonexistent.gguf 2>&1); rc=$?
check test "$rc" -ne 0

echo "bench CLI: $pass passed, $fail failed"
test "$fail" -eq 0
