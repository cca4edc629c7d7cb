#!/usr/bin/env bash
# The node's HTTP API against its own OpenAPI document, with Schemathesis.
#
#   scripts/schemathesis.sh [extra `schemathesis run` flags]
#
# Installs Schemathesis (4.x) into a virtualenv under
# $CARGO_TARGET_DIR/schemathesis-venv if it is not there (needs python3 with
# venv and access to PyPI once), builds `writ` (debug; or set WRIT=path to
# use another binary), starts a node on a free loopback port with a scratch
# store, seeds it (the token contract deployed, a mint and a transfer, so
# reads find real blocks, receipts, events and storage), then runs
#
#   schemathesis run URL/openapi.json --checks all --exclude-checks positive_data_acceptance
#
# i.e. every response must not be a 5xx (not_a_server_error), must have a
# documented status and content type, and must match its schema; requests
# the schema calls invalid must be refused; undocumented methods get 405.
# `positive_data_acceptance` is left out on purpose: a schema-valid body is
# a hex string, but only a correctly signed transaction is acceptable, and
# that cannot be written as a schema. Path and query parameters are often
# (50-70 %) drawn from the seeded data (the config written below), so the
# operations reach their real logic, not only 404s.
#
# Stops the node and exits with Schemathesis's status. MAX_EXAMPLES (default
# 100) sets the cases per operation; SEED fixes the randomness; KEEP=1 keeps
# the scratch folder (node log, config, reports).

set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
VENV=${SCHEMATHESIS_VENV:-$CARGO_TARGET_DIR/schemathesis-venv}
MAX_EXAMPLES=${MAX_EXAMPLES:-100}

if [[ ! -x $VENV/bin/schemathesis ]]; then
    echo "schemathesis.sh: installing Schemathesis into $VENV…"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis>=4,<5"
fi
VENV=$(cd "$VENV" && pwd)
"$VENV/bin/schemathesis" --version

if [[ -z ${WRIT:-} ]]; then
    cargo build --quiet -p writ-cli --bin writ
    WRIT=$CARGO_TARGET_DIR/debug/writ
fi
WRIT=$(cd "$(dirname "$WRIT")" && pwd)/$(basename "$WRIT")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/writ-schemathesis.XXXXXX")
NODE_PID=""
cleanup() {
    if [[ -n $NODE_PID ]]; then
        kill -INT "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
    fi
    if [[ ${KEEP:-0} == 1 ]]; then echo "schemathesis.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

"$WRIT" node --data "$WORK/data" --listen 127.0.0.1:0 --chain-id schemathesis --block-ms 20 >"$WORK/node.log" 2>&1 &
NODE_PID=$!
URL=""
for _ in $(seq 1 300); do
    URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/node.log")
    [[ -n $URL ]] && break
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.05
done
if [[ -z $URL ]]; then
    echo "schemathesis.sh: the node did not start:" >&2
    cat "$WORK/node.log" >&2
    exit 2
fi
echo "schemathesis.sh: node at $URL"

# Seed the chain.
export WRIT_NODE=$URL
KEYS=$WORK/keys
alice=$("$WRIT" key new alice --keys "$KEYS" | sed -n 's/.*address \(0x[0-9a-f]*\).*/\1/p')
bob=$("$WRIT" key new bob --keys "$KEYS" | sed -n 's/.*address \(0x[0-9a-f]*\).*/\1/p')
token=$("$WRIT" deploy runner/tests/exec/pass/token.writ --key alice --keys "$KEYS" |
    sed -n 's/^deployed Token at \(0x[0-9a-f]*\).*/\1/p')
"$WRIT" call "$token" mint "[\"$alice\", \"1000\"]" --key alice --keys "$KEYS" >/dev/null
tx=$("$WRIT" call "$token" send "[\"$bob\", \"10\"]" --key alice --keys "$KEYS" |
    sed -n 's/^transaction \([0-9a-f]*\) in block.*/\1/p')
if [[ -z $alice || -z $bob || -z $token || -z $tx ]]; then
    echo "schemathesis.sh: seeding the chain failed" >&2
    exit 2
fi

cat >"$WORK/schemathesis.toml" <<EOF
[dictionaries.contracts]
values = ["$token", "${token#0x}"]
[dictionaries.methods]
values = ["balance", "mint", "send", "has_role", "init"]
[dictionaries.ids]
values = ["$tx", "0x$tx"]
[dictionaries.heights]
values = [0, 1, 2, 3, 4]
[dictionaries.keys]
values = ["0100000000${alice#0x}", "0100000000${bob#0x}", "0x0100000001"]
[dictionaries.events]
values = ["Sent"]

[parameters]
"path.address" = { dictionary = "contracts", probability = 0.7 }
"path.method" = { dictionary = "methods", probability = 0.7 }
"path.id" = { dictionary = "ids", probability = 0.5 }
"path.height" = { dictionary = "heights", probability = 0.5 }
"query.key" = { dictionary = "keys", probability = 0.5 }
"query.name" = { dictionary = "events", probability = 0.5 }
EOF

status=0
(
    cd "$WORK"
    seed=()
    [[ -n ${SEED:-} ]] && seed=(--seed "$SEED")
    "$VENV/bin/schemathesis" --config-file schemathesis.toml run "$URL/openapi.json" \
        --checks all --exclude-checks positive_data_acceptance \
        --max-examples "$MAX_EXAMPLES" --generation-database none \
        "${seed[@]}" "$@"
) || status=$?

if grep -qi "panicked\|node_failure" "$WORK/node.log"; then
    echo "schemathesis.sh: the node log shows a failure:" >&2
    cat "$WORK/node.log" >&2
    status=1
fi
echo "schemathesis.sh: schemathesis exited with $status"
exit "$status"
