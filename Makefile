# The project's habits in one place. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

# The test database of CI; override on the command line.
LEADS_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: help test test-postgres test-race lint fuzz bench load demo generate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: ## every test; PostgreSQL and browser cases skip (and say why) when their service is missing
	-@scripts/fetch-axe.sh 2>/dev/null || echo "axe-core not fetched (no npm registry?): accessibility checks will skip"
	go test -json ./... | go run ./tools/testreport

test-postgres: ## every test, PostgreSQL cases required (LEADS_TEST_DATABASE_URL)
	LEADS_TEST_DATABASE_URL='$(LEADS_TEST_DATABASE_URL)' LEADS_REQUIRE=postgres$${LEADS_REQUIRE:+,$$LEADS_REQUIRE} \
		go test -json ./... | go run ./tools/testreport

test-race: ## every test under the race detector
	go test -race ./...

lint: ## gofmt, go vet, staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...

# The fuzz targets, by package; `make fuzz FUZZTIME=10m` for a long run.
# The default is a count of inputs, not a time: with a time, Go 1.26's
# fuzzing can fail a target with "context deadline exceeded" at the end of
# it, on a busy machine (go.dev/issue/75804, fixed in Go 1.27). 50,000
# inputs take 2 to 60 s a target here (90 s for the six).
FUZZTIME ?= 50000x
FUZZ_TARGETS := internal/leads:FuzzParseOnboarding internal/leads:FuzzParseListQuery \
	internal/leads:FuzzCSVRecord internal/leads:FuzzLeadJSON internal/leads:FuzzObjectMembers internal/auth:FuzzVerify

fuzz: ## each fuzz target for FUZZTIME (default 50000x inputs); failures land in testdata/fuzz
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} for $(FUZZTIME)"; \
		go test -run XXX -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) ./$${t%%:*} | grep -v "^fuzz: elapsed"; \
	done

generate: ## regenerate internal/web/openapi.json from openapi.yaml
	go generate ./internal/web

bench: ## the store benchmarks on both engines (docs/benchmarks.md)
	LEADS_TEST_DATABASE_URL='$(LEADS_TEST_DATABASE_URL)' \
		go test -run XXX -bench . -benchtime 2000x ./internal/sqlite/ ./internal/postgres/

load: ## the HTTP load runs of docs/benchmarks.md (minutes; loopback only)
	scripts/load.sh

demo: ## the zero-setup demo on a fresh database
	go run ./cmd/leads serve --demo --reset
