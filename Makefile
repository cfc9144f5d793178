# Maille — build, run and test. `make help` lists the targets.

SHELL := /bin/bash
# A persistent target directory outside the clone keeps rebuilds incremental across clones.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/maille/target
export TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
MAILLE := $(CARGO_TARGET_DIR)/debug/maille
MAILLE_RELEASE := $(CARGO_TARGET_DIR)/release/maille

.PHONY: help run deps deps-run web build release test test-rust test-rust-sqlite test-rust-postgres \
        test-web test-e2e test-deploy lint-deploy lint fmt bench clean-data

help:
	@echo "make run      build everything and start Maille on SQLite at http://127.0.0.1:8080"
	@echo "make test     every test: format, clippy, Rust on SQLite and PostgreSQL, web unit, browser e2e"
	@echo "make bench    start-up time, idle memory and login time, printed as a table"
	@echo "make release  a self-contained release binary (web assets embedded)"
	@echo "make test-deploy  the Ansible playbook, run twice against a fresh Debian root (root; minutes;"
	@echo "                  DEBIAN_SUITE=trixie for Debian 13, TEST_DEPLOY_SPLIT=1 for split services)"
	@echo "make sizing   the deployed instance under 1 CPU and 1 GB, 50 users: memory, CPU, latencies (root)"

deps-run:
	@scripts/install-deps run

deps:
	@scripts/install-deps test

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web: web/node_modules/.package-lock.json
	cd web && npm run build

build: web
	cargo build -p maille

release: web
	cargo build --release -p maille
	@echo "Release binary: $(MAILLE_RELEASE)"

run: deps-run build
	@echo
	@echo "Maille starts at http://127.0.0.1:8080 (data in ./data, SQLite)."
	@echo "Create the first administrator in another terminal (it prints a one-time password):"
	@echo "    $(MAILLE) admin user create --username admin --email you@example.org --admin"
	@echo "Emails are written to ./data/outbox/ until you configure SMTP (see docs/configuration.md)."
	@echo
	$(MAILLE) serve

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# Rust tests run twice, on a fresh SQLite file and then on a fresh PostgreSQL database per test.
RUST_TEST := $(shell command -v cargo-nextest >/dev/null 2>&1 && echo "cargo nextest run --workspace --no-fail-fast" || echo "cargo test --workspace --no-fail-fast")

# Real Yjs clients (npm yjs + y-websocket) that the pads tests run under Node.
PADS_JS := services/pads/tests/js
$(PADS_JS)/node_modules/.package-lock.json: $(PADS_JS)/package-lock.json
	cd $(PADS_JS) && npm ci --no-audit --no-fund
	@touch $@

test-rust-sqlite: $(PADS_JS)/node_modules/.package-lock.json
	TEST_DATABASE=sqlite $(RUST_TEST)

test-rust-postgres: $(PADS_JS)/node_modules/.package-lock.json
	TEST_DATABASE=postgres $(RUST_TEST)

test-rust: test-rust-sqlite test-rust-postgres

test-web: web/node_modules/.package-lock.json
	cd web && npm test

test-e2e: build
	MAILLE_BIN=$(MAILLE) node --test --test-concurrency=1 web/e2e/

test: deps lint test-rust test-web test-e2e
	@echo "All tests passed."

# The deployment: lint, then the playbook for real against a debootstrapped Debian root, run
# as root (chroot, mount). MAILLE_BINARY=path skips the build of a clean worktree of HEAD.
ANSIBLE_VENV := $(HOME)/.cache/maille/ansible-venv

$(ANSIBLE_VENV)/bin/ansible-lint:
	python3 -m venv $(ANSIBLE_VENV)
	$(ANSIBLE_VENV)/bin/pip install -q ansible ansible-lint

lint-deploy: $(ANSIBLE_VENV)/bin/ansible-lint
	cd ansible && PATH=$(ANSIBLE_VENV)/bin:$$PATH ansible-playbook -i inventory.example deploy.yml --syntax-check
	cd ansible && PATH=$(ANSIBLE_VENV)/bin:$$PATH ansible-lint

test-deploy: lint-deploy
	ansible/tests/test-deploy

# The deployed instance (as test-deploy installs it) under 1 CPU and 1 GB, driven by 50 users:
# memory, CPU and latencies for docs/admin/sizing.md (root; a few minutes).
.PHONY: sizing
sizing:
	scripts/sizing

bench: web
	@scripts/install-deps bench
	cargo build --release -p maille
	MAILLE_BIN=$(MAILLE_RELEASE) scripts/bench

clean-data:
	rm -rf ./data
