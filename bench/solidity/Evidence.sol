// SPDX-License-Identifier: Apache-2.0
// Workload 5 of `writ-bench`: SHA-256 of an evidence record, as
// bench/writ/evidence.writ, through the sha256 precompile.
pragma solidity ^0.8.24;

contract Evidence {
    /// The digest of `record`, computed `n` times; the last one is
    /// returned (zero when `n` is 0).
    function hashMany(bytes calldata record, uint64 n) external pure returns (bytes32 digest) {
        bytes memory data = record;
        for (uint64 i = 0; i < n; i++) {
            digest = sha256(data);
        }
    }
}
