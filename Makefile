# Mercato. `make run` brings the platform up locally; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := api render files relay fulfillment dispatcher usage billing
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags='-s -w -buildid='
LAMBDA_ENV := CGO_ENABLED=0 GOOS=linux GOARCH=arm64

.PHONY: run test test-unit test-faults test-e2e portal bench bench-raw scale fuzz lint invoke admin build clean demo sdk \
	$(addprefix build-,ApiFunction RenderFunction FilesFunction RelayFunction FulfillmentFunction DispatcherFunction UsageFunction BillingFunction)

## run: start the emulator (unless AWS_ENDPOINT_URL is set), deploy template.yaml to it, seed demo accounts, serve the API on 127.0.0.1:8080 and drive every event source
run: bin/mercato-local
	exec bin/mercato-local $(RUNFLAGS)

bin/mercato-local: FORCE portal
	$(GO) build -o $@ ./infra/cmd/local

## portal: build the web portal (web/, TypeScript + Preact by Vite) into internal/portal/dist/site, which the API binary embeds; run, build and sam build do it first
PORTAL_SRC := $(shell find web/src -type f) web/index.html web/vite.config.ts web/tsconfig.json
portal: internal/portal/dist/site/index.html
internal/portal/dist/site/index.html: web/node_modules/.package-lock.json $(PORTAL_SRC)
	cd web && npm run build
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

## test-e2e: the portal's browser tests (Playwright on Debian's /usr/bin/chromium) against bin/mercato-local on a free port; screenshots in web/e2e-output/screens
test-e2e: bin/mercato-local
	cd web && npx playwright test

## test: unit and integration tests (integration tests start moto_server, or use AWS_ENDPOINT_URL)
test:
	$(GO) test -count=1 -timeout 12m ./...

## test-faults: the fault suite (infra/chaos): real faults injected into a running platform, every invariant checked after each scenario, then the bounded load test
test-faults:
	$(GO) test -count=1 -tags faults -timeout 14m -v ./infra/chaos/

## test-unit: only the tests that need no emulator (-short: integration tests skip before starting moto, unless CI=true)
test-unit:
	$(GO) test -count=1 -short ./...

## bench: run the benchmarks and print one table of Mercato against each same-run baseline (raw output on stderr and in bin/bench.txt; BENCHFLAGS='-from bin/bench.txt -markdown' re-prints it for the README)
bench:
	$(GO) run ./infra/cmd/bench -go '$(GO)' $(BENCHFLAGS)

## scale: the scale model: one vendor's orders and approvals through the real handlers on the emulator, every DynamoDB call charged per table and index partition, then every list page and job with the tenant at H and 10·H and at the stated limits; prints the one-vendor ceiling and the ratios and fails when a target is missed (SCALEFLAGS=-report-only prints only)
scale:
	$(GO) run ./infra/cmd/scale $(SCALEFLAGS)

## bench-raw: every benchmark of the module (no tests), with allocations, as go test prints them
bench-raw:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: run every fuzz target for FUZZTIME executions each (default 50000x; FuzzSheetReader a tenth); CI runs it with the default.
# A count, not a duration: a duration budget trips a Go 1.26 coordinator race that
# fails a clean run with "context deadline exceeded" (go.dev/issue/75804, fixed in 1.27).
FUZZTIME ?= 50000x
# FuzzSheetReader builds a workbook per input and reads it twice (with excelize
# too), about 400 executions a second, so it runs a tenth of the count.
FUZZ_TARGETS := internal/rql:FuzzParse internal/catalog:FuzzRender internal/httpapi:FuzzDecodeJSON \
	internal/webhook:FuzzSignature internal/webhook:FuzzVerify internal/usage:FuzzParseQuantity internal/usage:FuzzFastTime \
	internal/sheet:FuzzSheetReader:10
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		IFS=: read -r pkg fn div <<< "$$t"; n=$(FUZZTIME); \
		if [ -n "$$div" ] && [[ $$n == *x ]]; then n=$$(( $${n%x} / div ))x; fi; echo "fuzz $$fn ($$pkg, $$n)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $$n ./$$pkg || exit 1; \
	done

## lint: gofmt, go vet, staticcheck (when installed) and cfn-lint
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed; skipped (CI installs it)"; fi
	cfn-lint template.yaml

## demo: play the seed documents' story through the public API, on the running `make run` stack or on one it starts
demo: bin/mercato-local
	$(GO) run ./infra/cmd/demo -start bin/mercato-local

## sdk: start a stack of its own and drive its vendor queue with CloudBlue Connect's JavaScript SDK, verifying webhook deliveries with the standardwebhooks npm library (infra/conformance/js, pinned by its package-lock.json)
sdk: bin/mercato-local
	$(GO) run ./infra/cmd/sdkrun -start bin/mercato-local

## invoke: run one function's handler on a sample event against the local stack: make invoke FN=relay EVENT=events/relay.json
invoke:
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<$(subst $() ,|,$(FUNCTIONS))> EVENT=events/<file>.json"; exit 2; }
	$(GO) run ./infra/cmd/invoke -fn $(FN) -event $(EVENT)

## admin: a runbook step of more than one call (README, "Runbook"): make admin STACK=mercato ARGS='disable-account -account VA-…'; ENV_FILE=.mercato/local.env runs it on the make run stack
admin:
	$(GO) run ./infra/cmd/admin $(if $(ENV_FILE),-env-file $(ENV_FILE)) $(if $(STACK),-stack $(STACK)) $(ARGS)

## build: every function as a Lambda bootstrap under bin/<name>/ (linux/arm64, as deployed)
build: portal
	@for fn in $(FUNCTIONS); do \
		echo "build $$fn"; \
		$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o bin/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

# sam build runs these (BuildMethod: makefile), one per function of template.yaml.
build-ApiFunction: portal
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/api
build-RenderFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/render
build-FilesFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/files
build-RelayFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/relay
build-FulfillmentFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/fulfillment
build-DispatcherFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/dispatcher
build-UsageFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/usage
build-BillingFunction:
	$(LAMBDA_ENV) $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/billing

clean:
	rm -rf bin .aws-sam internal/portal/dist/site web/node_modules

FORCE:
