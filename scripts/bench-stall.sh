#!/usr/bin/env bash
# The stall figure (docs/performance.md, "Reads while blocks execute"): a
# release node on a fresh store, fed calls that each burn the transaction
# gas ceiling reading storage, so its blocks run at the block gas limit;
# while they execute, the API is asked for its status, latest block and
# OpenAPI document every 10 ms. Prints how long the blocks took and the
# answers' p50, p99 and max latency (target: p99 under 50 ms).
#
#   scripts/bench-stall.sh [CALLS]        (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-30}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release -p writ-cli
cargo build --release -p writ-ledger --example load
WRIT=$TARGET/release/writ
LOAD=$TARGET/release/examples/load
WORK=$(mktemp -d)
trap 'kill "$NODE" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$WRIT" build ledger/examples/spin.writ -o "$WORK/build" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WRIT" node --data "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/node.log" 2>&1 &
NODE=$!
"$LOAD" stall --node "http://127.0.0.1:$PORT" --code "$WORK/build/Spin.wasm" --calls "$CALLS"
