#!/usr/bin/env bash
# A network of validators under load (docs/performance.md, "A network of
# four validators"): committed transfers per second and submit-to-final
# latency (p50, p99), beside one validator alone in the same run.
#
#   scripts/bench-net.sh [RATE] [TRANSFERS]    (defaults 8000 and 40000)
#
# RATE is the transfers offered per second. Builds the release example
# (shared target folder: CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-8000}
TRANSFERS=${2:-40000}
cargo run --release -p writ-consensus --example net_bench -- \
    --nodes 4 --transfers "$TRANSFERS" --accounts 1000 --rate "$RATE"
