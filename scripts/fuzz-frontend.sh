#!/usr/bin/env bash
# Long no-panic run of the front end (lexer, parser, checker, queries) on
# arbitrary bytes, fragment soup and mutated programs, in release mode.
# Usage: scripts/fuzz-frontend.sh [CASES_PER_PROPERTY]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-100000}"
start=$(date +%s)
WRIT_FUZZ_CASES="$cases" cargo test --release -p writ-compiler --test no_panic -- --nocapture
echo "ran $((cases * 3)) inputs (3 properties x $cases) without a panic in $(( $(date +%s) - start ))s"
