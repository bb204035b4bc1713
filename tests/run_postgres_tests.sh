#!/usr/bin/env bash
# The PostgreSQL half of the suite: ctest's pg/ entries (label `postgres`, the
# store, golden, query, CLI and serve tests again with EXTRACE_TEST_BACKEND=postgres)
# against a throwaway PostgreSQL cluster that Debian's pg_virtualenv creates,
# exports PGHOST/PGPORT/PGUSER/PGPASSWORD for, and removes afterwards.
#
#   tests/run_postgres_tests.sh BUILD_DIR PG_VERSION [ctest options...]
#
# Fails, never passes silently, when no pg/ entry is registered, when the
# server does not start, or when ctest ran fewer tests than are registered.
set -euo pipefail
build=$1
version=$2
shift 2
cd "$build"

# The same selection as the run below (the options may narrow it, e.g. -R).
registered=$(ctest -N -L postgres "$@" | sed -n 's/^Total Tests: //p')
if [ -z "$registered" ] || [ "$registered" -eq 0 ]; then
  echo "run_postgres_tests: no PostgreSQL tests registered in $build (ctest -L postgres)" >&2
  exit 1
fi
if ! command -v pg_virtualenv >/dev/null; then
  echo "run_postgres_tests: pg_virtualenv not found (Debian's postgresql-common)" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Several pg_virtualenv at once (parallel builds) may collide on a port while
# one is being torn down: a cluster that did not start is tried again; a run
# whose tests started is never repeated.
for attempt in 1 2 3; do
  set +e
  # -t: a cluster folder of its own (as root, pg_virtualenv otherwise makes the
  # system-wide cluster "regress", which a second run at once finds taken); a
  # port of its own, away from a system cluster on 5432.
  port=$((20000 + RANDOM % 10000))
  pg_virtualenv -t -o "port=$port" -v "$version" sh -c \
    'test -n "${PGHOST:-}" || { echo "pg_virtualenv exported no PGHOST" >&2; exit 1; }
     echo "PostgreSQL $(psql -XAtc "SHOW server_version") at $PGHOST:$PGPORT"
     exec ctest "$@"' ctest -L postgres "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  grep -q '^Test project' "$log" && break
  echo "run_postgres_tests: the PostgreSQL cluster did not start (attempt $attempt)" >&2
  [ "$attempt" -lt 3 ] && sleep 3
done

ran=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
if [ "${ran:-0}" -ne "$registered" ]; then
  echo "run_postgres_tests: ran ${ran:-0} of $registered PostgreSQL tests" >&2
  exit 1
fi
exit "$status"
