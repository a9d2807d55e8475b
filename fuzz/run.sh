#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target for FUZZ_SECONDS (default 600) from its seed corpus in
# fuzz/corpus/NAME, one target after another (JOBS at a time), and prints one line per target:
# executions, corpus size, crashes. Inputs that crash are kept as BUILD/fuzz-artifacts/NAME/crash-*;
# turn each into a regression test before fixing it. Exit 1 when any target found one.
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
source_dir=$(cd "$(dirname "$0")" && pwd)
targets=(config_fuzzer refined_schedule_fuzzer idx_fuzzer loop_state_fuzzer checkpoint_archive_fuzzer npy_fuzzer)
[ -n "${FUZZ_TARGETS:-}" ] && read -r -a targets <<<"$FUZZ_TARGETS"

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {
  local name=$1 seeds=$source_dir/corpus/${1%_fuzzer}
  local work=$build/fuzz-corpus/${1%_fuzzer} artifacts=$build/fuzz-artifacts/$1/
  mkdir -p "$work" "$artifacts"
  # New inputs go to the work corpus in the build folder; the committed seeds are only read.
  local log=$build/fuzz-artifacts/$name.log status=0
  "$build/fuzz/$name" "$work" "$seeds" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=30 \
    -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1 || status=$?
  local runs crashes
  runs=$(grep -oP 'stat::number_of_executed_units:\s*\K\d+' "$log" || echo "?")
  crashes=$(find "$artifacts" -type f | wc -l)
  printf '%-26s %4ss  %12s executions  %6s corpus files  %s findings  (exit %s, log %s)\n' \
    "$name" "$seconds" "$runs" "$(find "$work" -type f | wc -l)" "$crashes" "$status" "$log"
  [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ]
}

failed=0
pids=()
for name in "${targets[@]}"; do
  run_one "$name" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
