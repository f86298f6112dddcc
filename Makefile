# SPN: every tool comes from the project's own npm install (node_modules) or cargo; nothing on PATH is assumed
# beyond node, npm and cargo.
NODE_BIN := $(CURDIR)/node_modules/@foundry-rs
FORGE    := $(NODE_BIN)/forge-linux-amd64/bin/forge
ANVIL    := $(NODE_BIN)/anvil-linux-amd64/bin/anvil
CAST     := $(NODE_BIN)/cast-linux-amd64/bin/cast
export SPN_FORGE := $(FORGE)
export SPN_ANVIL := $(ANVIL)
export SPN_SOLC  := $(CURDIR)/tools/solc

.PHONY: install build test test-forge test-rust snapshot gas fmt clean

## install: pinned toolchain and Solidity libraries from package-lock.json
install: node_modules/.spn-installed

node_modules/.spn-installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## build: compile contracts (forge artifacts feed the Rust bindings) and the Rust workspace
build: install
	$(FORGE) build
	cargo build --workspace --all-targets

## test: install everything, then run every forge and cargo test
test: install
	$(FORGE) build
	$(FORGE) test
	cargo test --workspace

test-forge: install
	$(FORGE) test

test-rust: install
	$(FORGE) build
	cargo test --workspace

## snapshot: refresh the committed gas snapshots (snapshots/*.json)
snapshot: install
	FORGE_SNAPSHOT_CHECK=false $(FORGE) test --match-path 'test/gas/*' --isolate

## gas: forge gas report for the SPN contracts
gas: install
	$(FORGE) test --gas-report

forge anvil cast:
	@echo $(NODE_BIN)/$@-linux-amd64/bin/$@

clean:
	rm -rf out cache target
