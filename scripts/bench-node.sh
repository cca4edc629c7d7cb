#!/usr/bin/env bash
# The node's figures (docs/performance.md, "Ledger node"): a node on a
# fresh store in a temporary folder, loaded over loopback with pre-signed
# token transfers in batches; prints committed transfers per second,
# submit-to-commit latency percentiles, the node's memory over time, and
# the ratio to a bare batch verification of the same signatures.
#
#   scripts/bench-node.sh [TRANSFERS] [ACCOUNTS]     (defaults 100000, 1000)
#
# NODE_ARGS adds flags to `writ node` (for example NODE_ARGS="--cache-mib 256").
#
# Builds the release binaries (shared target folder: CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
TRANSFERS=${1:-100000}
ACCOUNTS=${2:-1000}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release -p writ-cli
cargo build --release -p writ-ledger --example load
WRIT=$TARGET/release/writ
LOAD=$TARGET/release/examples/load
WORK=$(mktemp -d)
trap 'kill "$NODE" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$WRIT" build runner/tests/exec/pass/token.writ -o "$WORK/build" >/dev/null 2>&1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WRIT" node --data "$WORK/data" --listen "127.0.0.1:$PORT" --block-ms 100 --block-txs 20000 ${NODE_ARGS:-} >"$WORK/node.log" 2>&1 &
NODE=$!
"$LOAD" bench --node "http://127.0.0.1:$PORT" --code "$WORK/build/Token.wasm" --pid "$NODE" \
    --accounts "$ACCOUNTS" --transfers "$TRANSFERS" --batch 500 --workers 4
