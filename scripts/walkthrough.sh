#!/usr/bin/env bash
# An operator's first hour, end to end, as the README walks through it (CI runs this script):
#
#   1. anvil on 127.0.0.1 and the contracts deployed with the project's forge script;
#   2. three keys imported into encrypted keystores (`spn key import`), given stake tokens, and
#      registered (`spn stake register`);
#   3. `spn node` for each key as its own process: the first is the bootnode listed in the
#      deployment file, the others find the network through it;
#   4. blocks proven (`spn status`);
#   5. the nodes stopped and every share claimed (`spn claim`).
#
# Everything runs in a temporary directory that is removed at the end; every process started here
# is stopped on exit, success or not. SPN defaults to target/debug/spn (built first).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/node_modules/@foundry-rs"
ANVIL="${SPN_ANVIL:-$BIN/anvil-linux-amd64/bin/anvil}"
FORGE="${SPN_FORGE:-$BIN/forge-linux-amd64/bin/forge}"
CAST="$BIN/cast-linux-amd64/bin/cast"
BLOCKS="${WALKTHROUGH_BLOCKS:-2}"
TIMEOUT="${WALKTHROUGH_TIMEOUT:-420}"

if [ -z "${SPN:-}" ]; then
  cargo build -q -p spn-cli --bin spn
  SPN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/spn"
fi

WORK="$(mktemp -d -t spn-walkthrough-XXXXXX)"
PIDS=()
cleanup() {
  status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "walkthrough failed (exit $status); logs:" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 40 "$f" >&2; }; done
  fi
  rm -rf "$WORK" "${DEPLOY_DIR:-}"
}
trap cleanup EXIT

say() { printf '\n==> %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- 1. L1 and the contracts
PORT="$(free_port)"
RPC="http://127.0.0.1:$PORT"
say "anvil at $RPC"
"$ANVIL" --host 127.0.0.1 --port "$PORT" --block-time 1 --silent >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "$CAST" chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done

# Three stakers: every one of them is on most committees. One attestation is a quorum and a
# proof needs no minimum coverage, or a slot whose committee drew one offline key would stall.
say "deploying (script/Deploy.s.sol)"
# forge may only write under ./deployments (foundry.toml fs_permissions): the file goes there, and
# is removed with the rest.
DEPLOY_DIR="$ROOT/deployments/.walkthrough-$$"
mkdir -p "$DEPLOY_DIR"
(cd "$ROOT" && DEPLOYMENTS_DIR="$DEPLOY_DIR" ATTESTATION_TARGET=3 ATTESTATION_QUORUM=1 \
  MIN_COVERAGE_BPS=0 "$FORGE" script script/Deploy.s.sol --rpc-url "$RPC" --broadcast \
  >"$WORK/deploy.log" 2>&1)
DEPLOYMENT="$DEPLOY_DIR/31337.json"
export SPN_L1_RPC_URL="$RPC" SPN_DEPLOYMENT="$DEPLOYMENT"
STAKE_TOKEN="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("stakeToken") or d["contracts"]["stakeToken"])' "$DEPLOYMENT")"

# ---- 2. keys and stake
# anvil's accounts 1 to 3 (funded with ether); a real operator runs `spn key new` instead.
RAW_KEYS=(
  0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
  0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
  0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
)
printf 'walkthrough password\n' >"$WORK/password"
chmod 600 "$WORK/password"
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
KEYSTORES=()
for raw in "${RAW_KEYS[@]}"; do
  ks="$(SPN_KEY="$raw" "$SPN" key import --json --dir "$WORK/keys" --password-file "$WORK/password" | field keystore)"
  KEYSTORES+=("$ks")
done
say "keystores: ${KEYSTORES[*]}"
for ks in "${KEYSTORES[@]}"; do
  addr="$("$SPN" key address --json --keystore "$ks" --password-file "$WORK/password" | field address)"
  # The devnet's stake token is a TestToken anyone may mint; on a testnet it comes from a faucet.
  "$CAST" send --rpc-url "$RPC" --private-key "${RAW_KEYS[0]}" "$STAKE_TOKEN" \
    'mint(address,uint256)' "$addr" 100000000000000000000000 >/dev/null
  "$SPN" stake register --keystore "$ks" --password-file "$WORK/password"
done

# ---- 3. three nodes: the first is the bootnode, the others find it in the deployment file
P2P_PORT="$(free_port)"
start_node() { # index, extra args...
  local i="$1"; shift
  "$SPN" node --keystore "${KEYSTORES[$i]}" --password-file "$WORK/password" \
    --data-dir "$WORK/data-$i" --wait-active "$@" >"$WORK/node-$i.log" 2>&1 &
  PIDS+=($!)
}
say "node 0 (bootnode) on 127.0.0.1:$P2P_PORT"
start_node 0 --p2p.listen "/ip4/127.0.0.1/tcp/$P2P_PORT"
BOOTNODE=""
for _ in $(seq 300); do
  BOOTNODE="$(grep -o "/ip4/127.0.0.1/tcp/$P2P_PORT/p2p/[A-Za-z0-9]*" "$WORK/node-0.log" | head -n1 || true)"
  [ -n "$BOOTNODE" ] && break
  sleep 0.2
done
[ -n "$BOOTNODE" ] || { echo "node 0 never listened" >&2; exit 1; }
python3 - "$DEPLOYMENT" "$BOOTNODE" <<'EOF'
import json, sys
path, addr = sys.argv[1], sys.argv[2]
d = json.load(open(path))
d["bootnodes"] = [addr]
json.dump(d, open(path, "w"), indent=2)
EOF
say "bootnode $BOOTNODE listed in $DEPLOYMENT"
start_node 1
start_node 2

# ---- 4. blocks proven (the keys become active two epochs after registering)
say "waiting for $BLOCKS proven blocks (up to ${TIMEOUT}s)"
deadline=$((SECONDS + TIMEOUT))
while :; do
  proven="$("$SPN" status --json | field proven_tip)"
  [ "$proven" -ge "$BLOCKS" ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then echo "only $proven blocks proven" >&2; exit 1; fi
  sleep 3
done
"$SPN" status --keystore "${KEYSTORES[0]}" --password-file "$WORK/password"
# Nodes 1 and 2 were given only the bootnode: discovery connected them to each other as well.
for i in 1 2; do
  for _ in $(seq 40); do grep -q 'peers=2' "$WORK/node-$i.log" && break; sleep 1; done
  grep -q 'peers=2' "$WORK/node-$i.log" || { echo "node $i never had 2 peers" >&2; exit 1; }
done

# ---- 5. stop the nodes and claim what they earned
for pid in "${PIDS[@]:1}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
PIDS=("${PIDS[0]}")
total_blocks=0
for ks in "${KEYSTORES[@]}"; do
  out="$("$SPN" claim --keystore "$ks" --password-file "$WORK/password" --json)"
  echo "$out"
  n="$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["blocks_claimed"]) + d["already_claimed"])' <<<"$out")"
  total_blocks=$((total_blocks + n))
done
[ "$total_blocks" -ge 1 ] || { echo "no key was paid for any block" >&2; exit 1; }
say "walkthrough done: $proven blocks proven, $total_blocks shares paid"
