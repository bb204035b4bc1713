# extrace: the two commands (and a few more). Each installs the Debian packages
# it needs when they are missing (run as root on Debian 12).
#   make demo   build, then record a real run into ./extrace.db and show it
#   make test   build, then run the test suite (ctest): SQLite, then the store, golden,
#               query, CLI and serve tests again on a throwaway PostgreSQL 15 (pg_virtualenv);
#               then the TypeScript client's tests (make test-ts: installs nodejs and
#               npm when node is missing)
#   make install PREFIX=/opt/extrace   the CLI, headers, libraries, find_package(extrace)
#   make tsan   the recorder, serve and ingest tests under TSan (build-tsan/)
#   make tidy / make format-check   clang-tidy and clang-format over the sources
#   make asan   the test suite under ASan+UBSan (build-asan/)
#   make test-browser  the HTML report and serve's pages in headless Chromium (installs
#                      chromium, node and npm; npm ci's puppeteer-core into the build)
#   make bench  Release build (build-bench/), the benchmark suite, docs/benchmarks.md
#   make bench-quick  the same at 1/20 of the sizes (CI), report in build-bench/
#   make soak   the long runs outside the default suite: soak-kills (2,000 recorder and
#               ingest processes SIGKILLed), soak-powercut (1,000 power cuts of ingest and
#               the recorder, full and normal), soak-io-errors (an I/O error at every call
#               of an ingest); each prints its figures

#   make fuzz   the libFuzzer targets (build-fuzz/, clang 14), FUZZ_SECONDS (60) each;
#               make fuzz-soak: 30 min each, growing fuzz/corpus/; make fuzz-canary:
#               the fuzzer finds a planted bug (docs/fuzzing.md)
#   make test-ts / bench-ts  clients/typescript (npm package extrace-client): its tests
#               against build/bin/extrace, its benchmark against build-bench/bin/extrace
BUILD      ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-bench
JOBS       ?= $(shell nproc)
# The PostgreSQL the tests run against: its server package below, pg_virtualenv
# (postgresql-common) makes a throwaway cluster of it.
PG_VERSION := 15
DEB_PACKAGES := cmake make g++ sqlite3 libsqlite3-dev libsqlitecpp-dev libboost-json1.81-dev libboost1.81-dev \
                catch2 libcli11-dev libfmt-dev libexpected-dev \
                libpq-dev postgresql-$(PG_VERSION) postgresql-common
# The pg/ half of ctest (label postgres) under pg_virtualenv; fails when it ran none.
RUN_PG_TESTS = tests/run_postgres_tests.sh
# Only the benchmarks need these (make bench-deps).
BENCH_PACKAGES := libbenchmark-dev postgresql-$(PG_VERSION) postgresql-common

# Installs those of the Debian packages $(1) that are missing (needs root).
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: all deps build test asan demo clean format

all: build

deps:
	$(call install_missing,$(DEB_PACKAGES))

# Developers and CI build with warnings as errors (EXTRACE_WERROR); a plain
# `cmake -S . -B build` (users, packagers) does not.
CONFIGURE = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXTRACE_WERROR=ON

build: deps
	$(CONFIGURE)
	cmake --build $(BUILD) -j$(JOBS)

test: build node-deps
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300 -LE 'browser|postgres'
	$(RUN_PG_TESTS) $(BUILD) $(PG_VERSION) --output-on-failure -j$(JOBS) --timeout 300
	$(RUN_TS_TESTS)

# The TypeScript client (clients/typescript, the npm package extrace-client): node and
# npm from Debian's nodejs and npm (Node 18 on Debian 12) unless a node with its npm is
# there already; `npm ci` (the pinned tsc), then `npm test` (tsc, node --test), whose
# tests start their own `extrace serve` from the CLI built here.
TS_DIR := clients/typescript
RUN_TS_TESTS = cd $(TS_DIR) && npm ci --no-audit --no-fund && EXTRACE_BIN=$(abspath $(BUILD))/bin/extrace npm test

.PHONY: node-deps test-ts bench-ts
node-deps:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  $(MAKE) --no-print-directory node-debian-packages; \
	fi

.PHONY: node-debian-packages
node-debian-packages:
	$(call install_missing,nodejs npm)

# The client's tests alone: builds only the CLI.
test-ts: deps node-deps
	$(CONFIGURE)
	cmake --build $(BUILD) -j$(JOBS) --target extrace_cli
	$(RUN_TS_TESTS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEXTRACE_SANITIZE=ON -DEXTRACE_WERROR=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600 -LE 'browser|postgres'
	$(RUN_PG_TESTS) $(ASAN_BUILD) $(PG_VERSION) --output-on-failure -j$(JOBS) --timeout 600

# The HTML report and serve's pages in a real browser (ctest label `browser`, left out
# of `make test`): headless Chromium loads them, screenshots them and checks the DOM.
BROWSER_PACKAGES := chromium fonts-liberation

.PHONY: browser-deps test-browser

# extrace serve's pages are driven from Node (tests/serve_browser_test.mjs):
# Debian's nodejs and npm, unless a node with its npm is there already.
browser-deps: deps node-deps
	$(call install_missing,$(BROWSER_PACKAGES))

test-browser: browser-deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600 -L browser

# Only what the demo runs: the CLI and the demo engine, no test binaries.
demo: deps
	$(CONFIGURE)
	cmake --build $(BUILD) -j$(JOBS) --target extrace_cli extrace_demo
	$(BUILD)/bin/extrace-demo --db ./extrace.db --workdir ./demo-out

# Installs the CLI, the public headers, the libraries and the CMake package
# (find_package(extrace)) under PREFIX.
PREFIX ?= /usr/local
.PHONY: install
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The threads under TSan: the recorder's tests (recorder_tests: recorder, crash
# recovery, concurrent writers, the README example), the server's (serve_tests:
# io threads, the writer, event streams, drain) and the CLI's ingest cases
# (cli_tests -R ingest: a TSan-built extrace ingest), built and run with
# -fsanitize=thread; TSAN_OPTIONS=halt_on_error=1 makes any report a failure.
TSAN_BUILD ?= build-tsan
# Left out under TSan: the two tests that are all CLI processes (thousands of
# TSan-instrumented process starts, past their deadlines); they run in
# `make test` and `make asan`. Every test of the recorder's own threads runs.
TSAN_SKIP := ^(two extrace ingest processes|readers never fail)
.PHONY: tsan
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEXTRACE_TSAN=ON -DEXTRACE_WERROR=ON
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target recorder_tests serve_tests cli_tests extrace_cli crash_writer
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) \
	  --timeout 900 -L "recorder_tests|serve_tests" -E "$(TSAN_SKIP)"
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) \
	  --timeout 900 -L cli_tests -LE postgres -R "ingest"

# clang-tidy (.clang-tidy) over every source of the layers, on the compile
# commands of a build folder configured without precompiled headers (clang
# cannot read g++'s); configuring writes every generated source it needs, so
# nothing is compiled there. Any finding fails. format-check: clang-format, no change.
TIDY_PACKAGES := clang-tidy clang-format
TIDY_BUILD ?= build-tidy
.PHONY: tidy format-check
tidy: build
	$(call install_missing,$(TIDY_PACKAGES))
	cmake -S . -B $(TIDY_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXTRACE_WERROR=ON \
	  -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON
	run-clang-tidy -p $(TIDY_BUILD) -j $(JOBS) -quiet '$(CURDIR)/(format|storage|recorder|query|render|server|tools|examples)/'

format-check:
	$(call install_missing,clang-format)
	clang-format --dry-run -Werror $$(git ls-files '*.cc' '*.h')

# The build exactly as a user or packager runs it: Release, their flags, no
# -Werror (CI runs it once so a compiler's false warning cannot break it again).
RELEASE_BUILD ?= build-release
.PHONY: release-check
release-check: deps
	cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE_BUILD) -j$(JOBS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD) $(RELEASE_BUILD) $(TSAN_BUILD) $(TIDY_BUILD) \
	  $(FUZZ_BUILD) $(FUZZ_CANARY_BUILD)

.PHONY: bench-deps bench-build bench bench-quick

bench-deps: deps
	$(call install_missing,$(BENCH_PACKAGES))

# Release at -O2: g++ 12 at -O3 reports a false -Wrestrict in std::string
# concatenation (GCC bug 105329), which -Werror turns into a failed build.
bench-build: bench-deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  -DEXTRACE_BUILD_TESTS=OFF -DEXTRACE_WERROR=ON
	cmake --build $(BENCH_BUILD) -j$(JOBS) --target extrace_bench

# The suite runs inside pg_virtualenv: a throwaway PostgreSQL 15 for its
# PostgreSQL cases (-t: a cluster folder of its own, so that it never meets
# another pg_virtualenv's), removed when the suite ends.
BENCH_PG = pg_virtualenv -t -o port=$$(shuf -i 20000-29999 -n 1) -v $(PG_VERSION)

bench: bench-build
	$(BENCH_PG) $(BENCH_BUILD)/bin/extrace-bench --out docs/benchmarks.md --command "make bench"
	$(MAKE) --no-print-directory bench-ts

bench-quick: bench-build
	$(BENCH_PG) $(BENCH_BUILD)/bin/extrace-bench --quick --out $(BENCH_BUILD)/benchmarks-quick.md \
	  --command "make bench-quick"
	$(MAKE) --no-print-directory bench-ts BENCH_TS_ARGS=--quick

# The TypeScript client into `extrace serve` vs `extrace ingest` of the same events
# (clients/typescript/bench/record.mjs; BENCH_TS_ARGS=--quick: 1/20 of the size).
BENCH_TS_ARGS ?=
bench-ts: bench-build node-deps
	cd $(TS_DIR) && npm ci --no-audit --no-fund && \
	  EXTRACE_BIN=$(abspath $(BENCH_BUILD))/bin/extrace npm run --silent bench -- $(BENCH_TS_ARGS)

# Soaks: the durability tests' hidden cases at full size (tests/power_cut_test.cc,
# tests/io_error_test.cc), on the faulty VFS shim (tests/faulty_vfs.h), and the
# crash tests' (tests/crash_recovery_test.cc: real SIGKILLs).
.PHONY: soak soak-build soak-kills soak-powercut soak-io-errors
soak: soak-kills soak-powercut soak-io-errors

soak-build: deps
	$(CONFIGURE)
	cmake --build $(BUILD) -j$(JOBS) --target durability_tests recorder_tests crash_writer extrace_cli

soak-kills: soak-build
	$(BUILD)/bin/recorder_tests "[.soak-kills]"

soak-powercut: soak-build
	$(BUILD)/bin/durability_tests "[.soak-powercut]"

soak-io-errors: soak-build
	$(BUILD)/bin/durability_tests "[.soak-io-errors]"

# libFuzzer (docs/fuzzing.md): clang 14 and its fuzzer runtime from Debian; every
# library with -fsanitize=fuzzer-no-link,address,undefined, the targets (fuzz/)
# with -fsanitize=fuzzer. `make fuzz` runs each target FUZZ_SECONDS on a copy of
# its corpus and fails when one finds a crash; `make fuzz-soak` runs each 30
# minutes and merges what they found (minimized) into fuzz/corpus/.
FUZZ_BUILD ?= build-fuzz
FUZZ_CANARY_BUILD ?= build-fuzz-canary
FUZZ_SECONDS ?= 60
FUZZ_SOAK_SECONDS ?= 1800
# The most the canary may take: found in 22-137 s on a loaded 2-core machine
# (docs/fuzzing.md); a fuzzer's time to it varies from run to run.
FUZZ_CANARY_SECONDS ?= 300
FUZZ_TARGETS ?= event_line projector filters store
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_CONFIGURE = cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXTRACE_WERROR=ON \
  -DCMAKE_CXX_COMPILER=clang++-14 -DEXTRACE_BUILD_TESTS=OFF -DEXTRACE_FUZZ=ON $(2)
.PHONY: fuzz-deps fuzz-build fuzz fuzz-soak fuzz-canary
fuzz-deps: deps
	$(call install_missing,$(FUZZ_PACKAGES))

fuzz-build: fuzz-deps
	$(call FUZZ_CONFIGURE,$(FUZZ_BUILD),-DEXTRACE_FUZZ_CANARY=OFF)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	fuzz/run_targets.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-soak: fuzz-build
	fuzz/run_targets.sh $(FUZZ_BUILD) $(FUZZ_SOAK_SECONDS) --merge $(FUZZ_TARGETS)

fuzz-canary: fuzz-deps
	$(call FUZZ_CONFIGURE,$(FUZZ_CANARY_BUILD),-DEXTRACE_FUZZ_CANARY=ON)
	cmake --build $(FUZZ_CANARY_BUILD) -j$(JOBS) --target fuzz_event_line
	fuzz/canary.sh $(FUZZ_CANARY_BUILD) $(FUZZ_CANARY_SECONDS)
