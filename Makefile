# dtsreset — every target is a command you could type yourself.
GO       ?= go
BIN      := bin/main
FUZZTIME ?= 20000x
LONGFUZZ ?= 30s
# serverless.yml's src: make package writes main here (deploy/check_test.go holds the two to each other).
PKG_DIR  := dist/pkg
# What serverless.yml reads with ${env:X}: make deploy refuses to run while one is unset or empty.
DEPLOY_VARS := STAGE REGION RESET_API_TOKEN RESET_ALLOWED_SUBSCRIBE_IDS

.PHONY: help build package deploy-check deploy test test-unit lint fuzz-short fuzz run bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## bin/main for SCF (linux/amd64, static, stripped)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN) .

package: build ## dist/pkg/main (serverless.yml's src) and dist/main.zip with main at its root (console upload)
	rm -rf $(PKG_DIR) dist/main.zip
	mkdir -p $(PKG_DIR)
	cp $(BIN) $(PKG_DIR)/main
	cd $(PKG_DIR) && python3 -m zipfile -c ../main.zip main
	@ls -l $(PKG_DIR)/main dist/main.zip

deploy-check: ## check serverless.yml and deploy/*.json offline (fields, src, description, variables, events, policies)
	$(GO) test -count=1 ./deploy

deploy: ## refuse while a DEPLOY_VARS variable is unset or one the function would refuse (deploy/cmd/envcheck), deploy-check, package, scf deploy
	@for v in $(DEPLOY_VARS); do \
	  if [ -z "$$(printenv $$v)" ]; then echo "make deploy: $$v is not set; export it first (README \"Deploy\"): $(DEPLOY_VARS)" >&2; exit 1; fi; \
	done
	@$(GO) run ./deploy/cmd/envcheck serverless.yml
	@command -v scf >/dev/null || { echo "make deploy: no scf command: npm install -g serverless-cloud-framework, then scf login (README \"Deploy\")" >&2; exit 1; }
	$(MAKE) deploy-check package
	scf deploy

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
