# HyperFleet: the two commands are `make dev` and `make test`.
PRESET ?= release
BUILD_DIR := build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build test dev bench format clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Builds, starts PostgreSQL, the Pub/Sub emulator and RabbitMQ on loopback ports in temporary
# directories, runs every test with ctest, stops the services, and fails if any test failed.
test: build
	@scripts/with-test-services.sh ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

dev: build
	@$(BUILD_DIR)/bin/hyperfleet dev

bench: build
	@echo "make bench: not yet implemented (see the benchmarks issue)"

format:
	@find src tests -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build build-debug build-asan
