#!/usr/bin/env bash
# Runs fuzz targets for a set time each (make fuzz, make fuzz-soak):
#   fuzz/run_targets.sh BUILD SECONDS [--merge] TARGET...
# Each target fuzz_TARGET of BUILD/bin runs alone (one process, -jobs off) on a
# working corpus in BUILD/fuzz-work/TARGET/, seeded read-only from the committed
# fuzz/corpus/TARGET/, so that nothing is written into the repository. With
# --merge the inputs it found that reach new code are merged (-merge=1, which
# keeps only those) into fuzz/corpus/TARGET/. Prints each target's figures;
# exits 1 when any target found a crash, a hang, a leak or a sanitizer report
# (its reproducer is in BUILD/fuzz-work/TARGET/artifacts/).
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1 seconds=$2
shift 2
merge=0
if [ "${1:-}" = --merge ]; then merge=1; shift; fi

failed=()
for target in "$@"; do
  bin=$build/bin/fuzz_$target
  work=$build/fuzz-work/$target
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  dict=()
  case $target in
    filters) dict=(-dict=fuzz/dict/filters.dict) ;;
    *) dict=(-dict=fuzz/dict/events.dict) ;;
  esac
  # FUZZ_SEED fixes libFuzzer's seed (CI: the same inputs every run, a crash found
  # is a regression, not the luck of the day); unset, each run explores anew.
  seed=()
  if [ -n "${FUZZ_SEED:-}" ]; then seed=(-seed="$FUZZ_SEED"); fi
  echo "fuzz $target: ${seconds} s${FUZZ_SEED:+, seed $FUZZ_SEED}"
  "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    "${seed[@]}" "${dict[@]}" -artifact_prefix="$work/artifacts/" "$work/corpus" "fuzz/corpus/$target" \
    >"$work/log" 2>&1
  rc=$?
  grep -a -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -1 | sed "s/^/  /"
  grep -a -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/log" |
    sed "s/^/  /"
  if [ $rc -ne 0 ]; then
    echo "fuzz $target: FAILED (exit $rc), reproducer in $work/artifacts/, log $work/log:" >&2
    grep -a -E 'ERROR|runtime error|broken promise|SUMMARY|Test unit written' "$work/log" | head -20 >&2
    failed+=("$target")
    continue
  fi
  if [ $merge -eq 1 ]; then
    before=$(ls "fuzz/corpus/$target" | wc -l)
    # Edges only (-use_counters=0): the corpus grows by the inputs that reach new
    # code, not by every new hit count, so that it stays small in the repository.
    "$bin" -merge=1 -use_counters=0 "${dict[@]}" "fuzz/corpus/$target" "$work/corpus" \
      >"$work/merge.log" 2>&1 ||
      { echo "fuzz $target: merge failed (see $work/merge.log)" >&2; failed+=("$target"); continue; }
    echo "  corpus fuzz/corpus/$target: $before -> $(ls "fuzz/corpus/$target" | wc -l) files," \
      "$(du -sk "fuzz/corpus/$target" | cut -f1) KiB"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes found by: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no crash in $* (${seconds} s each)"
