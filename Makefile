# SPN: every tool comes from the project's own npm install (node_modules) or cargo; nothing on PATH is assumed
# beyond node, npm and cargo.
NODE_BIN := $(CURDIR)/node_modules/@foundry-rs
FORGE    := $(NODE_BIN)/forge-linux-amd64/bin/forge
ANVIL    := $(NODE_BIN)/anvil-linux-amd64/bin/anvil
CAST     := $(NODE_BIN)/cast-linux-amd64/bin/cast
export SPN_FORGE := $(FORGE)
export SPN_ANVIL := $(ANVIL)
export SPN_SOLC  := $(CURDIR)/tools/solc

.PHONY: install build test walkthrough test-forge test-gas test-rust snapshot gas-report deploy-local devnet bench lint slither plots clean

## install: pinned toolchain and Solidity libraries from package-lock.json
install: node_modules/.spn-installed

node_modules/.spn-installed: package.json package-lock.json
	@npm ci --no-audit --no-fund >&2
	@touch $@

## build: compile contracts (forge artifacts feed the Rust bindings) and the Rust workspace
build: install
	$(FORGE) build
	cargo build --workspace --all-targets

## test: install everything, then run every forge and cargo test and the operator walkthrough (the README's test command; CI runs it)
test: install
	$(FORGE) build
	$(MAKE) --no-print-directory test-forge test-gas
	cargo test --workspace
	bash scripts/walkthrough.sh

## walkthrough: the README's operator walkthrough as a script: anvil, deploy, three keystores registered with
##              spn stake, three spn node processes through a bootnode, blocks proven, spn claim (about 3 min)
walkthrough: install
	$(FORGE) build
	bash scripts/walkthrough.sh

## test-forge: unit, fuzz, invariant, adversarial, integration and script tests: plain `forge test` (the default
##             profile leaves out test/gas)
test-forge: install
	$(FORGE) test

## test-gas: gas benchmarks (foundry profile `gas`: test/gas only, each call its own transaction); fails if
##           snapshots/*.json differ or a target is missed, and leaves snapshots/ as committed
test-gas: install
	FOUNDRY_PROFILE=gas FORGE_SNAPSHOT_CHECK=true $(FORGE) test -vv

test-rust: install
	$(FORGE) build
	cargo test --workspace

## snapshot: rewrite the committed gas snapshots (snapshots/*.json) after an intended gas change
snapshot: install
	rm -f snapshots/*.json
	FOUNDRY_PROFILE=gas $(FORGE) test -vv

## gas-report: forge's per-function gas report over the default profile's tests (everything but test/gas)
gas-report: install
	$(FORGE) test --gas-report

## bench: whole-slot schedule of spn-protocol at N = 500,000 and 1,000,000 stakers, next to a raw sha256 loop over
##        the same inputs in the same run, with peak memory (pass other N with ARGS="250000 2000000")
bench:
	cargo run --release -p spn-protocol --example slot_schedule_bench -- $(ARGS)

## plots: redraw the SVG figures of docs/ECONOMICS.md into docs/plots from spn-protocol's model and statistical mode, and from spn sim (15 simulator runs, a few minutes; plotters, SVG only)
plots: install
	cargo run -p spn-protocol --example model_plots -- docs/plots
	cargo run --release -p spn-sim --example sim_plots -- docs/plots

## deploy-local: deploy SPN to a running local anvil (RPC_URL, default http://127.0.0.1:8545), write deployments/31337.json
deploy-local: install
	$(FORGE) script script/Deploy.s.sol --rpc-url $(or $(RPC_URL),http://127.0.0.1:8545) --broadcast

## devnet: one-command local devnet (anvil, contracts, 32 stakers, every agent over libp2p) ending with a report;
##         pass flags with ARGS, e.g. make devnet ARGS="--json --blocks 5 --offline-provers 25%"
devnet: install
	@# Only the report goes to stdout (ARGS=--json must print valid JSON): the build's output goes to stderr.
	@$(FORGE) build >&2
	@cargo run -p spn-cli --bin spn -- devnet $(ARGS)

## lint: formatting (forge fmt, rustfmt), forge's Solidity lints and clippy, all as checks that change nothing
lint: install
	$(FORGE) fmt --check
	cargo fmt --all -- --check
	$(FORGE) lint contracts
	$(FORGE) build
	cargo clippy --workspace --all-targets -- -D warnings

## slither: static analysis as in docs/SECURITY.md (pinned slither in a venv under .slither/, the project's forge
##          and solc wrapper); pass slither flags with ARGS, e.g. make slither ARGS="--exclude-informational"
slither: install
	tools/slither.sh $(ARGS)

forge anvil cast:
	@echo $(NODE_BIN)/$@-linux-amd64/bin/$@

clean:
	rm -rf out cache target
