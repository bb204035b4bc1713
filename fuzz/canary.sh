#!/usr/bin/env bash
# Proves the fuzzing harness finds a planted bug (make fuzz-canary):
#   fuzz/canary.sh CANARY_BUILD SECONDS
# CANARY_BUILD was configured with -DEXTRACE_FUZZ_CANARY=ON, which plants a
# crash in the event parser behind one input (format/fuzz_canary.h: an event
# whose nodeId starts with "F!Zz", in no seed). The event line target runs
# from the single-line seeds for at most SECONDS; this passes only when the
# fuzzer stopped on that crash (a non-zero exit, the canary's message, a
# reproducer written) and the reproducer trips it again.
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1 seconds=$2
bin=$build/bin/fuzz_event_line
work=$build/fuzz-work/canary
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
cp fuzz/corpus/event_line/line_* "$work/seeds/"
start=$(date +%s)
"$bin" -max_total_time="$seconds" -timeout=25 -artifact_prefix="$work/artifacts/" \
  "$work/corpus" "$work/seeds" >"$work/log" 2>&1
rc=$?
took=$(($(date +%s) - start))
reproducer=$(ls "$work"/artifacts/crash-* 2>/dev/null | head -1)
if [ $rc -eq 0 ] || ! grep -a -q 'extrace fuzz canary: tripped' "$work/log" || [ -z "$reproducer" ]; then
  echo "fuzz canary: NOT found in ${took} s (exit $rc); log $work/log:" >&2
  grep -a -E 'ERROR|runtime error|broken promise|tripped|SUMMARY|Test unit written' "$work/log" |
    head -20 >&2
  exit 1
fi
if "$bin" "$reproducer" >"$work/replay.log" 2>&1 ||
  ! grep -a -q 'extrace fuzz canary: tripped' "$work/replay.log"; then
  echo "fuzz canary: the reproducer $reproducer does not trip it again" >&2
  exit 1
fi
execs=$(grep -a -o -E '^#[0-9]+' "$work/log" | tail -1)
echo "fuzz canary: found in ${took} s (about ${execs#\#} inputs), reproducer $reproducer:"
grep -a -o -E '"nodeId":"F!Zz[^"]*"' "$reproducer" | head -1 | sed 's/^/  /'
