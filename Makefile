# dtsreset — every target is a command you could type yourself.
GO       ?= go
BIN      := bin/main
FUZZTIME ?= 20000x
LONGFUZZ ?= 30s

.PHONY: help build package test test-unit lint fuzz-short fuzz run bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## bin/main for SCF (linux/amd64, static, stripped)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN) .

package: build ## dist/main.zip with main at its root, ready to upload
	mkdir -p dist
	rm -f dist/main.zip
	cd bin && python3 -m zipfile -c ../dist/main.zip main
	@ls -l dist/main.zip

lint: ## gofmt, go vet, and no function outside tests above cyclomatic complexity 20 (gocyclo, pinned in go.mod)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool gocyclo -over 20 -ignore '_test\.go$$|(^|/)bench/|(^|/)testdata/' .

test-unit: ## go test -race ./...
	$(GO) test -race -count=1 -timeout 20m ./...

fuzz-short: ## every fuzz target for FUZZTIME executions (default 20000x; a count, see bench/fuzz.sh)
	bash bench/fuzz.sh $(FUZZTIME)

test: lint build test-unit fuzz-short ## what CI runs: lint, build, race tests, brief fuzzing

fuzz: ## every fuzz target for LONGFUZZ (default 30s; LONGFUZZ=5m for a soak)
	bash bench/fuzz.sh $(LONGFUZZ)

run: ## the demo: emulator + function (built for this machine): dry run, reset, refused reset, a consumer resuming; as tables
	$(GO) build -o bin/main-local .
	$(GO) run ./cmd/scflocal demo -bin bin/main-local

bench: build ## benchmarks; writes docs/PERFORMANCE.md
	bash bench/run.sh

clean: ## remove build output
	rm -rf bin dist
