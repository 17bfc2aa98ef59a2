# qms: see README.md. 'make test' is what CI runs.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/qms-tool/qms/internal/cli.Version=$(VERSION)
GO      ?= go
BIN     := bin/qms
FUZZTIME ?= 10s

# The S3-compatible server the archive tests run against, pinned.
VERSITYGW := github.com/versity/versitygw/cmd/versitygw@v1.8.0

.PHONY: build test unit fuzz lint demo bench deps tools clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/qms

# Everything CI runs: lint, every unit and scenario test, the project's own
# records validated by the tool, and a short run of every fuzz target. It
# installs the pinned Go tools it needs, and ends by naming every suite
# that skipped for want of a system program (and what installs it).
test: lint build tools
	@rm -f .skipped
	QMS_SKIPPED=$(CURDIR)/.skipped $(GO) test -count=1 ./...
	./$(BIN) validate
	$(MAKE) fuzz FUZZTIME=5s
	@sh .ci/skipped .skipped

# The pinned Go tools the tests run (versitygw, about 2.5 min cold), into
# GOPATH/bin, where the tests look for them.
tools:
	@command -v versitygw >/dev/null || [ -x "$$($(GO) env GOPATH)/bin/versitygw" ] || { \
	  echo "installing $(VERSITYGW)"; $(GO) install $(VERSITYGW); }

unit:
	$(GO) test ./...

# Each fuzz target for FUZZTIME (go test runs one -fuzz target at a time).
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when -fuzztime ends while a worker is mid-call (go.dev/issue/75804,
# fixed in Go 1.27): such a run wrote no failing input, so it is retried once
# and then only reported. Any run that writes a failing input fails.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    for try in 1 2; do \
	      if out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg 2>&1); then break; fi; \
	      if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
	        echo "fuzz $$t: Go's fuzz deadline race (go.dev/issue/75804), no failing input (try $$try)"; continue; \
	      fi; \
	      echo "$$out"; exit 1; \
	    done; \
	  done; \
	done

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The main job on the embedded example: make a QMS, add an incident,
# validate, break a record and see it caught, fix it.
demo: build
	@sh .ci/demo ./$(BIN)

bench: build
	bash .ci/bench

clean:
	rm -rf bin .bench .skipped
