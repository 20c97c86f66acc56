# driftwatch build and test entry points. `make test` is what CI runs.

GO          ?= go
BIN         ?= bin/driftwatch
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS     := -X github.com/driftwatch/driftwatch/internal/version.Version=$(VERSION)
CACHE       ?= $(or $(DRIFTWATCH_CACHE),$(HOME)/.cache/driftwatch)
STATICCHECK_VERSION ?= v0.7.0
STATICCHECK := $(CACHE)/bin/staticcheck-$(STATICCHECK_VERSION)
# Real services the test suite talks to; scripts/services.sh starts them.
# kubernetes builds its control plane once per version into the cache (about
# 8 minutes on 2 cores with an empty Go build cache), then starts in seconds.
SERVICES    ?= kafka prometheus alertmanager kubernetes
# Packages run one at a time: several of them share one Kafka broker, and
# the broker-restart tests would disturb the others.
TEST_FLAGS  ?= -count=1 -p 1 -timeout 30m
BENCH       ?= .

.PHONY: all build test unit lint fmt vet staticcheck shellcheck bench services-up services-down clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/driftwatch

## test: lint, start the real services, run every test against them, stop them.
test: lint
	./scripts/test.sh $(SERVICES) -- $(TEST_FLAGS) ./...

## unit: run the tests without starting services (service-backed tests skip).
unit:
	$(GO) test $(TEST_FLAGS) ./...

lint: fmt vet staticcheck shellcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	@mkdir -p $(CACHE)/bin
	GOBIN=$(CACHE)/bin.tmp $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(CACHE)/bin.tmp/staticcheck $@ && rmdir $(CACHE)/bin.tmp

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

## bench: run the Go benchmarks.
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./...

## bench-kafka: end-to-end throughput through a Kafka broker of its own
## (bench/kafka.sh; docs/benchmarks.md). Takes 3 to 10 minutes.
.PHONY: bench-kafka
bench-kafka:
	./bench/kafka.sh

## kubernetes-selftest: start the harness Kubernetes cluster and check how it
## schedules and ends GPU, CPU and failing Jobs (scripts/README.md).
.PHONY: kubernetes-selftest
kubernetes-selftest:
	./scripts/kubernetes.sh start
	./scripts/kubernetes.sh selftest

## e2e-cluster: the whole loop on the simulated cluster (scripts/e2e-cluster.sh).
.PHONY: e2e-cluster
e2e-cluster:
	./scripts/e2e-cluster.sh

services-up:
	./scripts/services.sh up $(SERVICES)

services-down:
	./scripts/services.sh down

clean:
	rm -rf bin dist

shellcheck:
	./scripts/lint.sh
