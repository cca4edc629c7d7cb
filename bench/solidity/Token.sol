// SPDX-License-Identifier: Apache-2.0
// Workloads 2 and 4 of `writ-bench`: the token of bench/writ/token.writ.
pragma solidity ^0.8.24;

contract Token {
    mapping(address => uint64) private balances;

    event Transferred(address from, address to, uint64 amount);

    function fund(address to, uint64 amount) external {
        balances[to] = amount;
    }

    function transfer(address to, uint64 amount) external {
        uint64 available = balances[msg.sender];
        require(available >= amount, "insufficient");
        balances[msg.sender] = available - amount;
        balances[to] += amount;
        emit Transferred(msg.sender, to, amount);
    }

    function balanceOf(address who) external view returns (uint64) {
        return balances[who];
    }
}
