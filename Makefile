# Duplex — see README.md.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin
ADDR ?= :8080

.PHONY: all deps build run test test-short vet fmt bench clean vad-eval vad-train fuzz turn-eval fleet-test k8s-check

all: build

deps:
	@bash scripts/deps.sh
	@$(GO) mod download

build: deps
	$(GO) build -o $(BIN)/duplex ./cmd/duplex
	$(GO) build -o $(BIN)/callbot ./cmd/callbot

run: build
	$(BIN)/duplex -addr $(ADDR)

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: deps vet
	$(GO) test -race -count=1 -timeout 12m ./...

# The fast tier (under a minute): unit tests only; whole calls, real
# browsers, network-fault runs and corpus training are skipped (internal/testtier).
test-short:
	$(GO) test -short -count=1 ./...

# Native Go fuzzing: every FuzzXxx target for FUZZTIME each (see scripts/fuzz.sh);
# the seed corpora in testdata/fuzz also run as plain tests under `make test`.
FUZZTIME ?= 30s
fuzz: deps
	@FUZZTIME=$(FUZZTIME) GO=$(GO) bash scripts/fuzz.sh

# The whole suite (about 11 minutes on 2 cores): dialogue latency, barge-in,
# engine overhead, capacity beside the aiortc peer, and the media
# micro-benchmarks, written into BENCHMARKS.md. Every Go benchmark:
# go test -run '^$$' -bench . -benchmem ./...
bench: build fleet-test
	$(GO) run ./cmd/vad-train -check
	$(GO) run ./cmd/bench -server-bin $(BIN)/duplex -out BENCHMARKS.md

clean:
	rm -rf $(BIN)

vad-eval: deps
	$(GO) run ./cmd/vad-eval -out BENCHMARKS.md

# End-of-turn latency vs false cut-offs on real and synthetic pauses
# (FSDD from FSDD=DIR, default ../shared/corpus/fsdd; librivox from
# pocketsphinx-testdata), written into BENCHMARKS.md.
FSDD ?= ../shared/corpus/fsdd
turn-eval: deps
	$(GO) run ./cmd/turn-eval -fsdd $(FSDD) -out BENCHMARKS.md

vad-train: deps
	$(GO) run ./cmd/vad-train -out vad/model_weights.go

# Many nodes behind a real nginx (deploy/nginx.conf) on loopback: 60 callbot
# calls through the proxy, one node stopped with SIGTERM mid-test (about
# 30 s; README "Running many nodes"). Needs Debian's nginx, installed here
# only (not by `make deps`).
fleet-test: build k8s-check
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  echo "fleet-test: installing nginx"; $$SUDO apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx; }
	DUPLEX_FLEET=1 DUPLEX_BIN=$(CURDIR)/$(BIN)/duplex $(GO) test -count=1 -v -timeout 5m -run TestFleet ./e2e/fleet

# deploy/k8s against the Kubernetes schemas bundled in the npm package
# kubernetes-models (offline after npm ci); part of fleet-test.
k8s-check:
	@cd deploy/k8s/check && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && node check.mjs ../*.yaml
