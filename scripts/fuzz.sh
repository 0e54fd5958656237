#!/usr/bin/env bash
# Long fuzzing runs, one target at a time (the machine's cores are shared):
#   scripts/fuzz.sh TARGET SECONDS [RUNS]   TARGET: gguf_reader model_loader imatrix tokenizer quantize
#   scripts/fuzz.sh list                    (RUNS: stop after that many executions, if sooner)
# Builds build/fuzz (clang, ASan+UBSan, libFuzzer), replays the committed
# regression inputs, then fuzzes at lower priority (nice 10) from a corpus kept in
# build/fuzz/long/TARGET across runs (seeded from tests/fuzz/corpus/TARGET).
# Prints a summary line (executions, exec/s, cov, ft); the full log and any
# crash artifacts are in build/fuzz/long/TARGET. A crash exits non-zero:
# minimize it (BIN -minimize_crash=1 -runs=100000 ARTIFACT), fix the bug and
# commit the input to tests/fuzz/regressions/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="gguf_reader model_loader imatrix tokenizer quantize"
if [ "${1:-}" = list ] || [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: scripts/fuzz.sh TARGET SECONDS [RUNS]   (targets: $targets)"
  [ "${1:-}" = list ] && exit 0 || exit 2
fi
target=$1 seconds=$2
[ $# -eq 3 ] && export FUZZ_RUNS=$3
case " $targets " in *" $target "*) ;; *) echo "unknown fuzz target '$target' (targets: $targets)" >&2; exit 2 ;; esac

bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh fuzz >/dev/null
bin=build/fuzz/tests/fuzz_$target
bash tests/fuzz/run_fuzz.sh replay "$bin" "$target"
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests/fuzz || echo ' + local changes'), $(date -u +%FT%TZ)"
nice -n 10 bash tests/fuzz/run_fuzz.sh run "$bin" "$target" "$seconds" "build/fuzz/long/$target"
