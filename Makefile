# Jarvis: `make run` starts the offline demo, `make test` runs every test.

GO       ?= go
PG_URL   ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/jarvis-hq/jarvis.Version=$(VERSION)

.PHONY: run test test-go test-web lint build web screenshots bench benchmarks docker clean

## run: Jarvis with the built-in sandbox Google and model, on SQLite (http://127.0.0.1:8080)
run:
	$(GO) run ./cmd/jarvis serve --sandbox --migrate

## test: every test — Go (race detector, SQLite and PostgreSQL) and the dashboard (unit and browser)
test: lint test-go test-web

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd infra && $(GO) vet ./...

test-go:
	./scripts/services.sh
	JARVIS_TEST_POSTGRES_URL="$${JARVIS_TEST_POSTGRES_URL:-$(PG_URL)}" $(GO) test -race -count=1 -timeout 20m ./...
	cd infra && $(GO) test -vet=off -count=1 ./...   # vetted by lint

test-web:
	./scripts/web-test.sh

## build: a static binary with the dashboard inside
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/jarvis ./cmd/jarvis

## web: rebuild the dashboard export that the binary embeds (commit the result)
web:
	cd web && npm ci --no-audit --no-fund && npm run export

## screenshots: run the browser suite and refresh the README's screenshots in web/e2e/screenshots (commit them)
screenshots:
	./scripts/screenshots.sh

## bench: the benchmarks quoted in the README
bench:
	./scripts/services.sh
	$(GO) test -run '^$$' -bench . -benchmem ./internal/jwtauth ./internal/vault ./internal/audit ./cmd/jarvis

## benchmarks: regenerate BENCHMARKS.md: three replicas behind HAProxy under a swept load, then each fault scenario (about 15 minutes)
benchmarks:
	./scripts/services.sh
	$(GO) build -o bin/jarvis-load ./cmd/jarvis-load
	./bin/jarvis-load bench
	status=0; for s in rolling-restart kill9 postgres-restart redis-stop; do ./bin/jarvis-load fault $$s || status=1; done; exit $$status

docker:
	docker build -t jarvis:$(VERSION) .

clean:
	rm -rf bin
