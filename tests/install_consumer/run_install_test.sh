#!/usr/bin/env bash
# Installs extrace into a temporary prefix, then configures, builds and runs a
# consumer project that knows it only through find_package(extrace REQUIRED):
# the README's recorder example as it stands in README.md, and a recorder-only
# program. The installed CLI then reads what they recorded.
# Usage: run_install_test.sh BUILD_DIR SOURCE_DIR CXX_COMPILER
set -euo pipefail
build=$1 source=$2 cxx=$3
work=$(mktemp -d /tmp/extrace-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
for f in bin/extrace include/extrace/extrace.h include/extrace/recorder.h \
         lib/cmake/extrace/extraceConfig.cmake; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
# Nothing private may leak into the installed headers.
if grep -rn '#include "\(storage\|query\|recorder\|render\|tools\)/' "$work/prefix/include"; then
  echo "installed headers include private ones" >&2; exit 1
fi

# The first C++ block under "## The recorder API", without its #include lines.
mkdir -p "$work/example"
awk '/^## The recorder API/ {inside = 1}
     inside && /^```cpp/ {code = 1; next}
     code && /^```/ {exit}
     code && !/^#include/ {print}' "$source/README.md" >"$work/example/readme_example.inc"
grep -q 'OpenRecorder' "$work/example/readme_example.inc" ||
  { echo "README.md: no recorder example found" >&2; exit 1; }

cmake -S "$source/tests/install_consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DEXAMPLE_DIR="$work/example" >"$work/configure.log" ||
  { cat "$work/configure.log" >&2; exit 1; }
cmake --build "$work/consumer" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }

cd "$work"
"$work/consumer/consumer" >"$work/trace.json"
grep -q '"status":"completed"' "$work/trace.json" || { echo "no completed trace" >&2; exit 1; }
"$work/consumer/recorder_only"
"$work/prefix/bin/extrace" --db extrace.db list | grep -q flow ||
  { echo "the installed CLI does not list the README run" >&2; exit 1; }
"$work/prefix/bin/extrace" --db recorder-only.db list | grep -q solo ||
  { echo "the installed CLI does not list the recorder-only run" >&2; exit 1; }
echo "installed, built and ran the consumer against $work/prefix"
