# The human entry points. `make test` and `make run` are the whole set-up on a
# fresh machine: they install what is missing and build what is not cached.
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
SANITIZE ?=
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps binaries configure build image plugin test test-unit test-integration test-e2e test-chaos test-asan test-tsan fuzz bench run down lint format clean

all: build

deps:
	@hack/install-deps.sh

# Kubernetes, etcd and helm binaries for the tests: built once, cached by version.
binaries: deps
	@hack/build-binaries.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSANITIZE=$(SANITIZE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The container image, built without a container engine (hack/image.py): an
# OCI layout and an oci-archive under $(BUILD_DIR)/image/, with an SPDX SBOM,
# tagged as the chart's default image. Push it with any OCI tool, e.g.
# skopeo copy oci-archive:build/image/servicetoken-operator-<tag>.oci.tar docker://...
image: configure
	@hack/install-deps.sh runtime
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target servicetoken-operator
	@python3 hack/image.py --binary $(BUILD_DIR)/bin/servicetoken-operator --out $(BUILD_DIR)/image

# The kubectl plugin as a krew archive, with the krew manifest
# (plugins/servicetoken.yaml) carrying its sha256, under $(BUILD_DIR)/plugin/.
plugin: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target kubectl-servicetoken
	@hack/plugin-archive.sh $(BUILD_DIR)/bin/kubectl-servicetoken $(BUILD_DIR)/plugin

# Every tier: unit, then integration and e2e against a real control plane.
test: build binaries
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900 $(CTEST_ARGS)

test-unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit $(CTEST_ARGS)

test-integration: build binaries
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L integration $(CTEST_ARGS)

test-e2e: build binaries
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L e2e $(CTEST_ARGS)

# Faults (SIGKILL, restarts, compaction, a status fight) judged from the audit log.
test-chaos: build binaries
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L chaos $(CTEST_ARGS)

# Sanitizer tiers, each in its own build directory: unit and integration tests
# under AddressSanitizer + UBSan, and the runtime's (controller/) unit tests
# under ThreadSanitizer.
ASAN_BUILD_DIR ?= build-asan
# The ctest labels test-asan runs (a regex); make test-asan ASAN_LABELS='^unit$' is a quick pass.
ASAN_LABELS ?= ^(unit|integration)$$
# Left out under ASan: the toolchain tests build helm with Go and run no code of ours.
ASAN_EXCLUDE := ^integration\.toolchain\.
TSAN_BUILD_DIR ?= build-tsan
RUNTIME_UNIT_TESTS := $(sort $(foreach c,$(notdir $(wildcard controller/src/*)),$(if $(wildcard tests/unit/$(c)/*_test.cc),$(c))))
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(abspath tests/sanitizers/lsan.supp) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

test-asan: deps binaries
	@cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSANITIZE=address >/dev/null
	@cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	@cd $(ASAN_BUILD_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) --timeout 900 -L '$(ASAN_LABELS)' -E '$(ASAN_EXCLUDE)' $(CTEST_ARGS)

# Only the runtime's unit test binaries are built in $(TSAN_BUILD_DIR), so the
# unit label selects exactly their tests (the others are *_NOT_BUILT). Left
# out: the tests that drive cpprestsdk's own threads (HttpServer*, HttpsServer*,
# TransportConnection*, the CppRest half of TransportStreamTest). Debian builds
# libcpprest without TSan, so the task hand-offs and reference counts it shares
# with our code are invisible to TSan and those tests report races that are
# not there.
TSAN_EXCLUDE := ^unit\.(HttpServer|HttpsServer|TransportConnection|TransportStreamTest\..*/CppRest)
test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSANITIZE=thread >/dev/null
	@cmake --build $(TSAN_BUILD_DIR) -j $(JOBS) --target $(addprefix unit_,$(RUNTIME_UNIT_TESTS))
	@cd $(TSAN_BUILD_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) --timeout 900 -L '^unit$$' -E '_NOT_BUILT$$|^unit\.(fuzz|packaging)\.|$(TSAN_EXCLUDE)' $(CTEST_ARGS)

# Every fuzz target (tests/fuzz) for FUZZ_SECONDS each, built with clang-14 in
# build-fuzz; FUZZ_TARGETS picks some (e.g. FUZZ_TARGETS="json jwt").
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps
	@hack/install-deps.sh fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) hack/fuzz.sh $(FUZZ_TARGETS)

# Benchmarks print figures (never pass/fail): transport, convergence, verifier.
# The convergence benchmark: the floor, then the operator, BENCH_TOKENS each.
BENCH_TOKENS ?= 10000
BENCH_VERIFIER_TOKENS ?= 10000
bench: build binaries
	@hack/install-deps.sh bench
	@if [ -x $(BUILD_DIR)/bin/bench_transport ]; then $(BUILD_DIR)/bin/bench_transport; fi
	@OPERATOR=$(abspath $(BUILD_DIR))/bin/servicetoken-operator hack/bench-convergence.sh $(BENCH_TOKENS)
	@BIN_DIR=$(abspath $(BUILD_DIR))/bin hack/bench-verifier.sh $(BENCH_VERIFIER_TOKENS)

# Brings up a local control plane when no KUBECONFIG is set, installs the
# CRDs, starts the operator, applies examples/ and shows the minted token.
run: build binaries
	@BUILD_DIR=$(abspath $(BUILD_DIR)) hack/run.sh

# Stops the operator and the local control plane `make run` started.
down:
	@hack/run.sh down

lint:
	@hack/lint.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
