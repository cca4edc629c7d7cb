// SPDX-License-Identifier: Apache-2.0
// Workload 1 of `writ-bench`: the checked 64-bit loop of bench/writ/spin.writ.
pragma solidity ^0.8.24;

contract Spin {
    /// A linear congruential walk: n multiplications, additions and
    /// remainders, every one checked for overflow (Solidity 0.8 default).
    function spin(uint64 n) external pure returns (uint64) {
        uint64 x = 7;
        for (uint64 i = 0; i < n; i++) {
            x = (x * 31 + i) % 1000003;
        }
        return x;
    }
}
