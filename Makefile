# extrace: the two commands (and a few more). Each installs the Debian packages
# it needs when they are missing (run as root on Debian 12).
#   make demo   build, then record a real run into ./extrace.db and show it
#   make test   build, then run the test suite (ctest)
#   make asan   the test suite under ASan+UBSan (build-asan/)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEB_PACKAGES := cmake make g++ sqlite3 libsqlite3-dev libsqlitecpp-dev libboost-json1.81-dev \
                catch2 libcli11-dev libfmt-dev libexpected-dev

.PHONY: all deps build test asan demo clean format

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEXTRACE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

demo: build
	$(BUILD)/bin/extrace-demo --db ./extrace.db --workdir ./demo-out

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
