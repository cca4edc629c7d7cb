#!/usr/bin/env bash
# Crash safety of the ledger node, end to end.
#
#   scripts/crash-test.sh [ROUNDS]        (default 5; also ROUNDS=… in the env)
#
# Starts a release `writ node` on a scratch store, puts it under load from
# the load client (ledger/examples/load.rs: six workers submitting signed
# token transactions with ?wait=true and recording the id of every one
# whose receipt came back), and kills the node with SIGKILL at a random
# moment (0.5–3 s in). It restarts the node on the same store and does it
# again, ROUNDS times. Then it checks:
#   1. the node starts on the store after every crash (opening the store
#      checks that the state tree's root at the head is the head's state
#      root and refuses to start otherwise, so nothing is half-written);
#   2. every acknowledged transaction has a receipt
#      (GET /v1/transactions/{id} answers 200): an acknowledgement is a
#      promise that the transaction is durable;
#   3. re-executing every block from genesis (Chain::replay_into, on a copy
#      of the store) reaches the same head: same height, state root, hash.
# It prints a summary and exits 0 only if all three hold.
#
# Binaries: $CARGO_TARGET_DIR/release/writ and …/release/examples/load are
# used if present (CARGO_TARGET_DIR defaults to `target`); otherwise they
# are built (`cargo build --release`). REBUILD=1 rebuilds them anyway.
# Needs: bash, cargo, coreutils. Leaves nothing behind unless KEEP=1.

set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-5}}
WORKERS=${WORKERS:-6}
CHAIN_ID=crash-test
source scripts/release-binaries.sh crash-test

WORK=$(mktemp -d "${TMPDIR:-/tmp}/writ-crash.XXXXXX")
DATA=$WORK/data
ACKED=$WORK/acked.txt
: >"$ACKED"
NODE_PID=""
LOAD_PID=""

cleanup() {
    [[ -n $LOAD_PID ]] && kill "$LOAD_PID" 2>/dev/null || true
    [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null || true
    if [[ ${KEEP:-0} == 1 ]]; then echo "crash-test: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Starts the node on a free port (it binds port 0 and prints the address);
# sets NODE_PID and URL. Fails if the node does not come up.
start_node() {
    local log=$WORK/node-$1.log
    "$WRIT" node --data "$DATA" --listen 127.0.0.1:0 --chain-id "$CHAIN_ID" --block-ms 10 >"$log" 2>&1 &
    NODE_PID=$!
    URL=""
    for _ in $(seq 1 300); do
        # The log may not exist yet: the shell opens it as the node starts.
        URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" 2>/dev/null || true)
        [[ -n $URL ]] && return 0
        if ! kill -0 "$NODE_PID" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "crash-test: FAILED: the node did not start (round $1):" >&2
    cat "$log" >&2
    exit 1
}

height() {
    # The height from GET /v1/status, without needing curl: bash's /dev/tcp.
    local hostport=${URL#http://}
    exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
    printf 'GET /v1/status HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hostport" >&3
    sed -n 's/.*"height":\([0-9]*\).*/\1/p' <&3
    exec 3<&-
}

"$WRIT" build runner/tests/exec/pass/token.writ -o "$WORK/build" >/dev/null 2>&1
CODE=$WORK/build/Token.wasm

echo "crash-test: $ROUNDS rounds, $WORKERS workers, store $DATA"
for round in $(seq 1 "$ROUNDS"); do
    start_node "$round"
    start_height=$(height)
    "$LOAD" run --node "$URL" --code "$CODE" --acked "$ACKED" --workers "$WORKERS" \
        >"$WORK/load-$round.log" 2>&1 &
    LOAD_PID=$!
    # A random moment between 0.5 and 3 s into the load.
    delay_ms=$((500 + RANDOM % 2500))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    end_height=$(height || echo "?")
    kill -9 "$NODE_PID"
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
    # The load client notices the node is gone and stops by itself.
    if ! wait "$LOAD_PID"; then
        echo "crash-test: FAILED: the load client failed in round $round:" >&2
        cat "$WORK/load-$round.log" >&2
        exit 1
    fi
    LOAD_PID=""
    echo "  round $round: killed after ${delay_ms} ms at height ~$end_height (started at $start_height); $(tail -n 1 "$WORK/load-$round.log")"
done

# After the last crash: the node must start, and every acknowledged
# transaction must have its receipt.
start_node final
final_height=$(height)
verified=0
if "$LOAD" verify --node "$URL" --acked "$ACKED" >"$WORK/verify.log" 2>&1; then verified=1; fi
cat "$WORK/verify.log"
kill -9 "$NODE_PID"
wait "$NODE_PID" 2>/dev/null || true
NODE_PID=""

# Re-execute from genesis on a copy of the store.
cp -r "$DATA" "$WORK/data-copy"
replayed=0
if "$LOAD" replay --data "$WORK/data-copy" --chain-id "$CHAIN_ID" >"$WORK/replay.log" 2>&1; then replayed=1; fi
cat "$WORK/replay.log"

acked=$(wc -l <"$ACKED" | tr -d ' ')
echo
echo "crash-test summary"
echo "  rounds (SIGKILL under load):  $ROUNDS, node restarted cleanly after each"
echo "  blocks at the end:            $final_height"
echo "  acknowledged transactions:    $acked"
echo "  all have receipts:            $([[ $verified == 1 ]] && echo yes || echo NO)"
echo "  replay from genesis:          $([[ $replayed == 1 ]] && echo "same head (height, state root, hash)" || echo DIFFERENT)"
if [[ $verified == 1 && $replayed == 1 && $acked -gt 0 ]]; then
    echo "crash-test: PASSED"
else
    echo "crash-test: FAILED"
    exit 1
fi
