#!/usr/bin/env bash
# Runs one libFuzzer target the way ctest and scripts/fuzz.sh both do.
#   run_fuzz.sh replay BINARY NAME                  each file in regressions/NAME once
#   run_fuzz.sh run    BINARY NAME SECONDS WORKDIR  fuzz from corpus/NAME (+ regressions);
#                                                   FUZZ_RUNS=N stops after N executions too
# WORKDIR keeps the growing corpus (a fresh copy of the seeds when it does
# not exist yet), crash artifacts and the log. The last line printed is a
# summary: target, seconds, executions, exec/s, coverage (cov, ft), corpus size.
set -euo pipefail
mode=$1 bin=$2 name=$3
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus/$name
regressions=$here/regressions/$name

# Per-target limits: inputs larger than a real case only slow the search.
case "$name" in
  model_loader) max_len=16384 ;;
  tokenizer) max_len=4096 ;;
  *) max_len=8192 ;;
esac
# A unit slower than this is a hang; more memory than this is an unbounded allocation.
common=(-timeout=10 -rss_limit_mb=2560 -max_len="$max_len")

case "$mode" in
  replay)
    shopt -s nullglob
    files=("$regressions"/*)
    if [ ${#files[@]} -eq 0 ]; then
      echo "fuzz_$name: no regression inputs"
      exit 0
    fi
    "$bin" "${common[@]}" "${files[@]}" 2>&1 | tail -n 3
    echo "fuzz_$name: ${#files[@]} regression inputs replayed"
    ;;
  run)
    seconds=$4 work=$5
    mkdir -p "$work/corpus" "$work/artifacts"
    cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
    [ -d "$regressions" ] && cp -n "$regressions"/* "$work/corpus/" 2>/dev/null || true
    log=$work/fuzz-$(date +%Y%m%d-%H%M%S).log
    status=0
    limits=(-max_total_time="$seconds")
    [ -n "${FUZZ_RUNS:-}" ] && limits+=(-runs="$FUZZ_RUNS")
    "$bin" "${common[@]}" "${limits[@]}" -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1 || status=$?
    if [ $status -ne 0 ]; then
      tail -n 60 "$log"
      echo "fuzz_$name: FAILED (exit $status); log $log, artifacts in $work/artifacts"
      exit $status
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1 ft \2 corpus \3/p')
    echo "fuzz_$name: ${seconds}s, $execs executions, $rate exec/s, $cov (log $log)"
    ;;
  *)
    echo "usage: run_fuzz.sh replay|run BINARY NAME [SECONDS WORKDIR]" >&2
    exit 2
    ;;
esac
