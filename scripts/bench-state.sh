#!/usr/bin/env bash
# The state at scale (docs/performance.md, "Ledger state at scale"): for
# each state size, a chain filled with that many storage entries runs
# token transfers in blocks; prints transfers per second and the ratio to
# the smallest size, block times, memory, the time to open the store
# again, the store's size, and proof sizes and checking time. After one
# warm-up block, TRANSFERS are timed three times and the best round is
# reported (the shared host drifts between runs).
#
#   scripts/bench-state.sh [SIZES] [TRANSFERS]
#       (defaults 1000,100000,1000000 and 50000)
#   scripts/bench-state.sh 10000000 50000     # the 10 million run (long:
#       filling takes several minutes and the store several GiB of disk)
#
# Builds the release example (shared target folder: CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-1000,100000,1000000}
TRANSFERS=${2:-50000}
cargo run --release -p writ-ledger --example state_scale -- \
    --entries "$SIZES" --transfers "$TRANSFERS" --accounts 1000 --block-txs 10000
