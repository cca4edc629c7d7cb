# Sourced by the scripts that drive real `writ node` processes
# (crash-test.sh, net-test.sh): sets WRIT and LOAD to the release `writ`
# and the load client (ledger/examples/load.rs) in $CARGO_TARGET_DIR
# (default `target`), building them if either is missing or REBUILD=1.
# $1 names the calling script in the message.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
WRIT=$CARGO_TARGET_DIR/release/writ
LOAD=$CARGO_TARGET_DIR/release/examples/load
if [[ ! -x $WRIT || ! -x $LOAD || ${REBUILD:-0} == 1 ]]; then
    echo "$1: building the release binaries…"
    cargo build --release -p writ-cli -p writ-ledger --bin writ --example load
fi
