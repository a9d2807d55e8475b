# The two commands of README.md. Both install what is missing (Debian packages, pinned npm
# packages), configure and build first.
BUILD ?= build
JOBS ?= $(shell nproc)

# ccache keys compilations by paths relative to the checkout, so that a fresh clone elsewhere (CI)
# reuses what an earlier build of the same sources compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: all deps configure build run test bench sanitize clean

all: build

deps:
	scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/descent study examples/quickstart.toml

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
# detect_leaks=0: LibTorch's and OpenMP's process-lifetime allocations are reported as leaks at exit.
# OutsideProjectLinksOnlyDescentOptim is left out: it links an uninstrumented outside program
# against the instrumented library, which needs the sanitizer runtime it does not load.
SANITIZE_BUILD ?= build-sanitize
sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCENT_SANITIZE=ON -DDESCENT_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -E OutsideProjectLinksOnlyDescentOptim

bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
