# The two commands of README.md. Both install what is missing (Debian packages, pinned npm
# packages), configure and build first.
BUILD ?= build
JOBS ?= $(shell nproc)

# ccache keys compilations by paths relative to the checkout, so that a fresh clone elsewhere (CI)
# reuses what an earlier build of the same sources compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: all deps configure build python run test bench sanitize fuzz tsan clean

all: build

deps:
	scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The Python package (python/), installed where /usr/bin/python3 finds it: `import descent`.
python: build
	scripts/install-python.sh $(BUILD)

run: python
	$(BUILD)/descent study examples/quickstart.toml

test: python
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
# detect_leaks=0: LibTorch's and OpenMP's process-lifetime allocations are reported as leaks at exit.
# OutsideProjectLinksOnlyDescentOptim is left out: it links an uninstrumented outside program
# against the instrumented library, which needs the sanitizer runtime it does not load.
SANITIZE_BUILD ?= build-sanitize
sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCENT_SANITIZE=ON -DDESCENT_BUILD_BENCH=OFF \
	  -DDESCENT_BUILD_PYTHON=OFF
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -E OutsideProjectLinksOnlyDescentOptim

# libFuzzer on the readers of user input (fuzz/): clang, descent's code instrumented with ASan and
# UBSan, each target FUZZ_SECONDS (600) from the seeds in fuzz/corpus. FUZZ_JOBS=2 runs two at once.
# The clang builds: descent's LibTorch-free code only, no suite, no benchmarks (cmake/TorchFreeLibrary.cmake).
CLANG_CONFIGURE = scripts/install-deps.sh clang libclang-rt-14-dev libomp-dev && \
  CXX=clang++ cmake -S . -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCENT_BUILD_TESTS=OFF -DDESCENT_BUILD_BENCH=OFF

FUZZ_BUILD ?= build-fuzz
fuzz:
	$(CLANG_CONFIGURE) -B $(FUZZ_BUILD) -DDESCENT_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	fuzz/run.sh $(FUZZ_BUILD)

# ThreadSanitizer on the threaded tests (tests/tsan): the fused optimizers at 2 OpenMP threads
# under LLVM's libomp with its Archer tool, and the store's lease-keeper thread. Archer supplies
# OpenMP's synchronization to TSan; ignore_noninstrumented_modules keeps the uninstrumented libomp's
# own internals out of the reports (LLVM's Archer documentation asks for both).
TSAN_BUILD ?= build-tsan
tsan:
	$(CLANG_CONFIGURE) -B $(TSAN_BUILD) -DDESCENT_TSAN=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target descent_tsan_tests
	archer=$$(realpath $$(clang++ -print-resource-dir)/../../libarcher.so) && \
	  OMP_TOOL_LIBRARIES=$$archer ARCHER_OPTIONS=verbose=1 TSAN_OPTIONS=halt_on_error=1:ignore_noninstrumented_modules=1 \
	  $(TSAN_BUILD)/tests/tsan/descent_tsan_tests

bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
