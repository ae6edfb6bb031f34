# HyperFleet: the two commands are `make dev` and `make test`.
# PRESET picks the CMakePresets.json preset and with it the build directory: release → build/,
# any other preset P → build-P/ (debug, asan, tsan). test, dev and bench all use it.
PRESET ?= release
BUILD_DIR := $(if $(filter release,$(PRESET)),build,build-$(PRESET))
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps configure build test dev bench format tidy clean fuzz fuzz-build

deps:
	@scripts/install-deps.sh

# One build directory per preset serves every target: the tests stay configured (that costs
# seconds), each target below builds only what it runs.
configure:
	@cmake --preset $(PRESET) >/dev/null

build: deps
	@$(MAKE) --no-print-directory configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Builds, runs each fuzz target for FUZZ_TEST_SECONDS, starts PostgreSQL, the Pub/Sub emulator
# and RabbitMQ on loopback ports in temporary directories, runs every test with ctest, stops the
# services, and fails if any fuzz target crashed or any test failed.
# (PRESET=tsan: tsan.supp holds the toolchain's known false reports.)
FUZZ_TEST_SECONDS ?= 10
test: build fuzz-build
	@scripts/run-fuzzers.sh build-fuzz $(FUZZ_TEST_SECONDS)
	@TSAN_OPTIONS="suppressions=$(CURDIR)/tsan.supp $$TSAN_OPTIONS" scripts/with-test-services.sh ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Builds only the hyperfleet binary (half of the build steps; the other half are tests) and runs
# it: API + outbox + ticker + the example adapters in one process.
# Installs only the build packages (not the test services: PostgreSQL, RabbitMQ, the emulator).
dev:
	@HF_DEPS=build scripts/install-deps.sh
	@$(MAKE) --no-print-directory configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target hyperfleet
	@$(BUILD_DIR)/bin/hyperfleet dev

# Builds only what the benchmarks run (the binary and bench/ tools), starts the test services and
# runs bench/run.py: a table on stdout and bench/results/latest.json. BENCH_ARGS="--only api".
BENCH_ARGS ?=
bench: deps
	@$(MAKE) --no-print-directory configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target hyperfleet hf_bench_outbox
	@HF_BUILD_DIR=$(abspath $(BUILD_DIR)) scripts/with-test-services.sh bench/run.py $(BENCH_ARGS)

# The libFuzzer targets of fuzz/ in build-fuzz/ (clang 19, ASan + UBSan), each run for
# FUZZ_SECONDS from its seed corpus; fails on a crash and keeps the reproducer in
# build-fuzz/crashes/<target>/. FUZZ_TARGETS="search" runs only that one.
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@scripts/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

fuzz-build:
	@HF_DEPS=fuzz scripts/install-deps.sh
	@cmake --preset fuzz >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers

format:
	@find src tests fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

# The .clang-tidy checks over every source of src/ and tests/ (needs only the configure step's
# compile_commands.json); fails on any finding.
tidy:
	@HF_DEPS=tidy scripts/install-deps.sh
	@$(MAKE) --no-print-directory configure
	@run-clang-tidy-19 -p $(BUILD_DIR) -quiet -j $(JOBS) '$(CURDIR)/(src|tests)/'

clean:
	@rm -rf build build-debug build-asan build-tsan build-fuzz
