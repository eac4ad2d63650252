# msisync — every command a developer or CI needs. `make help` lists them.
# Tools (buf, protoc plugins, grpcurl) are pinned in tools/go.mod and run with `go tool`.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Every Go module of the workspace except tools/.
MODULES := gen platform services/identity services/account services/person \
	services/opportunity services/scoring services/orchestrator connectors/dynamics suite
PACKAGES := $(addsuffix /...,$(addprefix ./,$(MODULES)))
BIN := bin
# Binaries carry the commit they were built from (`--version`): the toolchain stamps no VCS
# information in workspace mode.
REVISION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
GO_BUILD := go build -ldflags "-X github.com/msisync/msisync/platform/buildinfo.revision=$(REVISION)"

# Where `make run` keeps its SQLite files.
MSISYNC_DATA_DIR ?= ./data
export MSISYNC_DATA_DIR

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Build the pinned tools: buf, the code generators, grpcurl, staticcheck (minutes the first time, then cached).
	@echo "checking the pinned tools (buf, code generators, grpcurl, staticcheck); the first time this builds them, which takes a few minutes"
	@for t in buf protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2 grpcurl staticcheck; do \
		go tool -n $$t >/dev/null || { echo "could not build the pinned tool $$t (tools/go.mod)"; exit 1; }; done

# GENERATED lists what buf writes under gen/; the rest of gen/ (go.mod, go.sum) is ours.
GENERATED := msisync openapiv2

.PHONY: generate
generate: tools ## Regenerate gen/ from proto/: generated into a temporary directory, then swapped in.
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	go tool buf generate -o "$$tmp"; \
	for d in $(GENERATED); do \
		if ! diff -r -q "$$tmp/gen/$$d" "gen/$$d" >/dev/null 2>&1; then \
			rm -rf "gen/.$$d.old"; [ ! -e "gen/$$d" ] || mv "gen/$$d" "gen/.$$d.old"; \
			mv "$$tmp/gen/$$d" "gen/$$d"; rm -rf "gen/.$$d.old"; echo "gen/$$d regenerated"; \
		fi; \
	done

.PHONY: check-generate
check-generate: tools ## Fail when the committed gen/ differs from what proto/ generates (gen/ is never touched).
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	go tool buf generate -o "$$tmp"; \
	for d in $(GENERATED); do \
		if ! diff -r -q "$$tmp/gen/$$d" "gen/$$d"; then \
			echo "gen/ is out of date with proto/: run 'make generate' and commit the result"; exit 1; fi; \
	done

.PHONY: lint
lint: tools ## buf lint and format, gofmt, go vet, staticcheck (pinned in tools/go.mod).
	go tool buf lint
	go tool buf format --diff --exit-code
	@out=$$(gofmt -l $(filter-out gen,$(MODULES))); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet $(PACKAGES)
	go tool staticcheck $(filter-out ./gen/...,$(PACKAGES))

.PHONY: check
check: lint ## The quick loop (about a minute): lint, vet and `go test -short` (end-to-end, crash and Dynamics tests skipped).
	go test -short -count=1 $(PACKAGES)

.PHONY: check-modules
check-modules: ## Each module is tidy and builds on its own (GOWORK=off, through its replace directives).
	@for m in $(MODULES); do \
		(cd $$m && GOWORK=off go mod tidy -diff >/dev/null && GOWORK=off go build ./...) \
		|| { echo "module $$m is not tidy or does not build with GOWORK=off: run 'cd $$m && GOWORK=off go mod tidy'"; exit 1; }; \
	done

.PHONY: test
test: check-generate lint check-modules ## Everything CI checks: generated code, lint, vet, tidy modules, every module's tests.
	go test -count=1 $(PACKAGES)
	$(MAKE) fuzz-ci

# Fuzz targets as package:FuzzName; `go test -fuzz` takes one target per run.
FUZZ_TARGETS := ./platform/extid:FuzzNormalize ./platform/pagetoken:FuzzDecode \
	./services/orchestrator/internal/gateway:FuzzMarketoConventions \
	./services/orchestrator/internal/objects:FuzzDecode \
	./services/orchestrator/internal/marketoapi:FuzzParseQuery \
	./connectors/dynamics/dataverse:FuzzParseBatchResponse
FUZZTIME ?= 10s

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 10s); new failing inputs land in testdata/fuzz/.
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

# fuzz-ci counts executions instead of seconds: a duration-based -fuzztime races Go's fuzzing
# coordinator at its deadline and can fail with a bare "context deadline exceeded" and no
# failing input on a loaded machine (golang/go#75804); a count has no deadline to race.
.PHONY: fuzz-ci
fuzz-ci: ## Run each fuzz target briefly (10,000 executions, a few seconds), as CI does after the tests.
	$(MAKE) fuzz FUZZTIME=10000x

.PHONY: build
build: ## Build every binary into bin/.
	@mkdir -p $(BIN)
	$(GO_BUILD) -o $(BIN)/ ./suite/cmd/msisync ./services/identity/cmd/identity ./services/account/cmd/account \
		./services/person/cmd/person ./services/opportunity/cmd/opportunity ./services/scoring/cmd/scoring \
		./services/orchestrator/cmd/orchestrator ./connectors/dynamics/cmd/dynamics ./connectors/dynamics/cmd/dataverse-sim

.PHONY: run
run: ## Build and run the whole suite in one process (SQLite under ./data, gateway on 127.0.0.1:8080).
	@mkdir -p $(BIN)
	$(GO_BUILD) -o $(BIN)/msisync ./suite/cmd/msisync
	$(BIN)/msisync

.PHONY: demo
demo: ## Sync a simulated Dynamics org into the suite, add activity, write MSI back, keep running (DEMO_FLAGS="-exit").
	@mkdir -p $(BIN)
	$(GO_BUILD) -o $(BIN)/ ./suite/cmd/msisync ./suite/cmd/msisync-demo
	$(BIN)/msisync-demo -suite $(BIN)/msisync $(DEMO_FLAGS)

.PHONY: bench
bench: ## Benchmark leads end to end vs raw SQLite, read-back latency, scoring, the Dynamics connector, and upstream delivery to Marketo (BENCH_FLAGS="-leads 20000").
	@mkdir -p $(BIN)
	$(GO_BUILD) -o $(BIN)/ ./suite/cmd/msisync ./suite/cmd/msisync-bench ./suite/cmd/msisync-bench-dynamics ./suite/cmd/msisync-bench-upstream
	$(BIN)/msisync-bench -suite $(BIN)/msisync $(BENCH_FLAGS)
	$(BIN)/msisync-bench-dynamics -suite $(BIN)/msisync $(BENCH_DYNAMICS_FLAGS)
	$(BIN)/msisync-bench-upstream -suite $(BIN)/msisync $(BENCH_UPSTREAM_FLAGS)
	go test -run '^$$' -bench Scoring -benchtime 1x -timeout 20m ./services/scoring/internal/store/sqlstore/

.PHONY: load
load: ## Load-test the gateway: 10 clients, a realistic mix, Marketo's limits, consistency check (LOAD_FLAGS="-duration 15s").
	@mkdir -p $(BIN)
	$(GO_BUILD) -o $(BIN)/ ./suite/cmd/msisync ./suite/cmd/msisync-load
	$(BIN)/msisync-load -suite $(BIN)/msisync $(LOAD_FLAGS)

.PHONY: clean
clean: ## Remove build output (not ./data).
	rm -rf $(BIN)
