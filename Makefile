# pocket-relay-miner — build, test and run the local stack.
# Everything here works from a clean clone with only Go and the machine's package manager.

SHELL         := /bin/bash
.DEFAULT_GOAL := build

GO            ?= go
BIN           := bin
BINARY        := $(BIN)/pocket-relay-miner
MODULE        := $(shell $(GO) list -m)
POKTROLL_VER  := $(shell $(GO) list -m -f '{{.Version}}' github.com/pokt-network/poktroll)

VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT        ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILD_DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION_PKG   := $(MODULE)/cmd
LDFLAGS       := -s -w \
  -X $(VERSION_PKG).version=$(VERSION) \
  -X $(VERSION_PKG).commit=$(COMMIT) \
  -X $(VERSION_PKG).buildDate=$(BUILD_DATE)

POCKETD_LDFLAGS := -X github.com/cosmos/cosmos-sdk/version.Name=pocket \
  -X github.com/cosmos/cosmos-sdk/version.AppName=pocketd \
  -X github.com/cosmos/cosmos-sdk/version.Version=$(POKTROLL_VER)

STATICCHECK_VER := v0.8.2

.PHONY: build
build: ## Build bin/pocket-relay-miner with version, commit and build date.
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BINARY) ./cmd/pocket-relay-miner

.PHONY: pocketd
pocketd: $(BIN)/pocketd ## Build the chain node from the poktroll module pinned in go.mod.

$(BIN)/pocketd: go.mod go.sum
	@mkdir -p $(BIN)
	@echo ">> building pocketd $(POKTROLL_VER) from the module cache (about 3 minutes the first time)"
	$(GO) build -ldflags "$(POCKETD_LDFLAGS)" -o $@ github.com/pokt-network/poktroll/cmd/pocketd

.PHONY: deps
deps: ## Install what the tests need that Go cannot fetch (redis-server).
	@if command -v redis-server >/dev/null 2>&1; then \
	  echo ">> redis-server: $$(redis-server --version | awk '{print $$3}')"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo ">> installing redis-server with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
	  echo ">> installing redis-server with sudo apt-get"; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
	  echo "redis-server is missing: install it with your package manager (Debian/Ubuntu: apt-get install redis-server)" >&2; \
	  exit 1; \
	fi

.PHONY: test
test: deps ## go vet, then every unit and integration test under the race detector.
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

.PHONY: lint
lint: ## gofmt check, go vet and staticcheck (built from the module proxy).
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VER) ./...

# ---- Local stack and end-to-end tests (tilt/) ------------------------------------------------
# `make localnet` runs everything in the background under $(LOCALNET_DIR); `make localnet-down`
# stops exactly what it started. Our relayer and miner join the stack in tilt/localnet (Options).

LOCALNET_DIR  ?= .localnet
LOCALNET_ARGS ?=
E2E_TIMEOUT   ?= 25m

.PHONY: backend-server
backend-server: ## Build bin/backend-server, the multi-transport test backend (tilt/backend).
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/backend-server ./tilt/backend-server

.PHONY: localnet-cli
localnet-cli:
	@mkdir -p $(BIN)
	@$(GO) build -o $(BIN)/localnet ./tilt/localnet/cmd/localnet

.PHONY: localnet
localnet: deps build backend-server localnet-cli ## Start chain + staked actors, redis, backend, reference relay miner, our relayer and miner in the background (.localnet/).
	$(BIN)/localnet up -dir $(LOCALNET_DIR) $(LOCALNET_ARGS)

.PHONY: localnet-status
localnet-status: localnet-cli ## Show what make localnet started and the chain height (exit 3 if something stopped).
	@$(BIN)/localnet status -dir $(LOCALNET_DIR)

.PHONY: localnet-down
localnet-down: localnet-cli ## Stop only the processes make localnet started and wait for their ports to close.
	$(BIN)/localnet down -dir $(LOCALNET_DIR)

.PHONY: e2e
e2e: deps pocketd ## End-to-end tests (build tag e2e) against a fresh local chain per package.
	$(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) -v ./tilt/e2e/...

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf $(BIN)

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'
