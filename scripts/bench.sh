#!/usr/bin/env bash
# Writ beside native Rust and the EVM: compiles bench/solidity/*.sol with
# solc-js (the npm `solc` package, installed into bench/node_modules on the
# first run), then runs `writ-bench` in release on all three engines with
# the results checked equal. Figures are in docs/performance.md.
# Usage: scripts/bench.sh [--quick] [--runs N]
# Needs Node.js and npm (for solc-js) besides the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f bench/node_modules/solc/package.json ]; then
    echo "== installing solc-js into bench/node_modules"
    npm install --prefix bench --no-audit --no-fund --loglevel=error
fi

echo "== compiling bench/solidity/*.sol"
rm -rf bench/build/evm
node bench/compile-solidity.js bench/solidity bench/build/evm

echo "== writ-bench"
cargo run --release -p writ-bench -- "$@" bench/build/evm
