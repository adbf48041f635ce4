# The two commands a newcomer needs: `make run` and `make test`. Tools the tests need (buf, a
# Python virtualenv with grpcio-tools and grpcurl) are installed on first use into CACHE_DIR,
# never into the repository.

CACHE_DIR ?= $(HOME)/.cache/agentcore-identity
VENV      := $(CACHE_DIR)/venv
BUF_DIR   := $(CACHE_DIR)/buf-1.75.0
BUF       := $(BUF_DIR)/node_modules/.bin/buf
IDP       := $(CACHE_DIR)/idp/node_modules/oidc-provider/package.json
CARGO     ?= cargo

.PHONY: run build test test-helm lint fmt tools clean-data bench

## run: build, then start both planes on the embedded default (SQLite, in-process cache).
run: build
	deploy/run-local.sh

## build: build the three binaries (identity-control-plane, identity-data-plane, agentcore).
build:
	$(CARGO) build --workspace --bins

## test: formatting, lints, buf lint, then every test (Postgres and Redis on 127.0.0.1).
test: tools lint build test-helm
	AGENTCORE_TEST_VENV=$(VENV) AGENTCORE_TEST_NODE_MODULES=$(CACHE_DIR)/idp $(CARGO) test --workspace --no-fail-fast

## test-helm: lint the Helm chart, validate its renderings against the Kubernetes schemas.
test-helm: ; CACHE_DIR=$(CACHE_DIR) tests/helm/test.sh

## lint: rustfmt, clippy (warnings are errors) and buf lint on proto/.
lint: $(BUF)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd proto && $(BUF) lint && $(BUF) format --diff --exit-code

## bench: the vend-path benchmark against a trivial tonic server (Redis on 127.0.0.1 optional;
## BENCH_SECONDS sets the measured time per scenario, default 10).
bench: ; $(CARGO) bench -p identity-data-plane --bench vend

## fmt: format the Rust code.
fmt:
	$(CARGO) fmt --all

## tools: the test tools, installed once into CACHE_DIR.
tools: $(BUF) $(VENV)/.installed $(IDP)

$(BUF):
	mkdir -p $(BUF_DIR)
	npm install --prefix $(BUF_DIR) --no-save --no-audit --no-fund --loglevel=error @bufbuild/buf@1.75.0

# The test OpenID Provider (tests/idp/server.js) and its pinned oidc-provider.
$(IDP): tests/idp/package.json tests/idp/package-lock.json
	mkdir -p $(CACHE_DIR)/idp && cp tests/idp/package.json tests/idp/package-lock.json $(CACHE_DIR)/idp/
	npm ci --prefix $(CACHE_DIR)/idp --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: tests/python/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

## clean-data: forget the embedded mode's database, keys and admin token (./data).
clean-data:
	rm -rf ./data
