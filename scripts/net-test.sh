#!/usr/bin/env bash
# A network of four `writ node` processes under load, with random SIGKILLs
# and restarts (docs/consensus.md, "Tests").
#
#   scripts/net-test.sh [ROUNDS]          (default 6; also ROUNDS=… in the env)
#
# Writes a four-validator network with `writ net init` (ports from
# BASE_PORT, default 17600), starts every node, and puts the network under
# load from the load client (ledger/examples/load.rs: WORKERS workers
# spread over all four APIs, each submitting signed token transactions
# with ?wait=true and recording the id of every one whose receipt came
# back). Each round SIGKILLs one random node at a random moment, waits,
# and restarts it on its store. At the end it checks:
#   1. every acknowledged transaction has a receipt on every node;
#   2. every node reaches the same head: the same block hash at the same
#      height;
#   3. every node's store passes its full check (`writ node --verify-state`
#      on a copy of its data).
# Exits 0 only if all three hold. Needs bash, cargo, coreutils, curl.
# Binaries as in scripts/crash-test.sh (REBUILD=1 rebuilds them). Leaves
# nothing behind unless KEEP=1.

set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-6}}
WORKERS=${WORKERS:-8}
BASE_PORT=${BASE_PORT:-17600}
source scripts/release-binaries.sh net-test

WORK=$(mktemp -d "${TMPDIR:-/tmp}/writ-net.XXXXXX")
NET=$WORK/net
ACKED=$WORK/acked.txt
: >"$ACKED"
PIDS=("" "" "" "")
LOAD_PID=""

cleanup() {
    [[ -n $LOAD_PID ]] && kill "$LOAD_PID" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "net-test: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

api() { echo "http://127.0.0.1:$((BASE_PORT + 10 * $1))"; }

start_node() {
    "$WRIT" node --config "$NET/node-$1/config.json" >>"$WORK/node-$1.log" 2>&1 &
    PIDS[$1]=$!
    for _ in $(seq 1 200); do
        curl -sf "$(api "$1")/v1/status" >/dev/null 2>&1 && return 0
        kill -0 "${PIDS[$1]}" 2>/dev/null || break
        sleep 0.05
    done
    echo "net-test: FAILED: node $1 did not start:" >&2
    tail -n 20 "$WORK/node-$1.log" >&2
    exit 1
}

height() { curl -sf "$(api "$1")/v1/status" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
block_hash() { curl -sf "$(api "$1")/v1/blocks/$2" | sed -n 's/.*"hash":"\([0-9a-f]*\)".*/\1/p'; }

"$WRIT" net init "$NET" --nodes 4 --base-port "$BASE_PORT" --chain-id net-test >"$WORK/init.log"
"$WRIT" build runner/tests/exec/pass/token.writ -o "$WORK/build" >/dev/null 2>&1
CODE=$WORK/build/Token.wasm
for k in 0 1 2 3; do start_node "$k"; done

NODES="$(api 0),$(api 1),$(api 2),$(api 3)"
"$LOAD" run --node "$NODES" --code "$CODE" --acked "$ACKED" --workers "$WORKERS" --seconds 3600 \
    >"$WORK/load.log" 2>&1 &
LOAD_PID=$!

echo "net-test: $ROUNDS rounds, $WORKERS workers over four nodes, in $WORK"
for round in $(seq 1 "$ROUNDS"); do
    victim=$((RANDOM % 4))
    delay_ms=$((500 + RANDOM % 2500))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    before=$(height $(((victim + 1) % 4)) || echo "?")
    kill -9 "${PIDS[$victim]}"
    wait "${PIDS[$victim]}" 2>/dev/null || true
    PIDS[$victim]=""
    sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
    start_node "$victim"
    echo "  round $round: node $victim killed at height ~$before after ${delay_ms} ms, restarted; $(wc -l <"$ACKED" | tr -d ' ') acknowledged so far"
done
sleep 2
kill "$LOAD_PID" 2>/dev/null || true
wait "$LOAD_PID" 2>/dev/null || true
LOAD_PID=""

# Every node at one common height with the same block there.
target=0
for k in 0 1 2 3; do h=$(height "$k"); ((h > target)) && target=$h; done
for _ in $(seq 1 600); do
    behind=0
    for k in 0 1 2 3; do (($(height "$k") < target)) && behind=1; done
    ((behind == 0)) && break
    sleep 0.1
done
same=1
reference=$(block_hash 0 "$target")
for k in 1 2 3; do [[ $(block_hash "$k" "$target") == "$reference" && -n $reference ]] || same=0; done

verified=1
for k in 0 1 2 3; do
    "$LOAD" verify --node "$(api "$k")" --acked "$ACKED" >"$WORK/verify-$k.log" 2>&1 || verified=0
done

for k in 0 1 2 3; do kill -9 "${PIDS[$k]}"; wait "${PIDS[$k]}" 2>/dev/null || true; PIDS[$k]=""; done
sound=1
for k in 0 1 2 3; do
    cp -r "$NET/node-$k/data/chain" "$WORK/check-$k"
    "$WRIT" node --data "$WORK/check-$k" --chain-id net-test --verify-state >"$WORK/state-$k.log" 2>&1 || sound=0
done

acked=$(wc -l <"$ACKED" | tr -d ' ')
echo
echo "net-test summary"
echo "  rounds (SIGKILL, restart):      $ROUNDS"
echo "  acknowledged transactions:      $acked"
echo "  all on every node:              $([[ $verified == 1 ]] && echo yes || echo NO)"
echo "  same head (height $target):       $([[ $same == 1 ]] && echo "yes ($reference)" || echo NO)"
echo "  every store passes its check:   $([[ $sound == 1 ]] && echo yes || echo NO)"
if [[ $verified == 1 && $same == 1 && $sound == 1 && $acked -gt 0 ]]; then
    echo "net-test: PASSED"
else
    echo "net-test: FAILED"
    tail -n 5 "$WORK"/verify-*.log "$WORK"/state-*.log >&2 || true
    exit 1
fi
