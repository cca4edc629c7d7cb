// SPDX-License-Identifier: Apache-2.0
// Workload 3 of `writ-bench`: the income tax of bench/writ/tax.writ, in
// fixed point: uint256 scaled by 1e18, as Writ's Decimal.
pragma solidity ^0.8.24;

contract Tax {
    uint256 private constant ONE = 1e18;
    uint256 private constant CENT = 1e16;

    /// The tax due on each income, in order.
    function taxAll(uint256[] calldata incomes) external pure returns (uint256[] memory due) {
        due = new uint256[](incomes.length);
        for (uint256 k = 0; k < incomes.length; k++) {
            due[k] = incomeTax(incomes[k]);
        }
    }

    /// 3 % to 36 000, then 10, 20, 25, 30, 35 and 45 % over the next
    /// brackets; each slice taxed at its bracket's rate, the sum rounded
    /// to the cent, ties to even.
    function incomeTax(uint256 income) internal pure returns (uint256) {
        uint256[6] memory uppers = [uint256(36_000e18), 144_000e18, 300_000e18, 420_000e18, 660_000e18, 960_000e18];
        uint256[6] memory rates = [uint256(0.03e18), 0.10e18, 0.20e18, 0.25e18, 0.30e18, 0.35e18];
        uint256 due = 0;
        uint256 lower = 0;
        for (uint256 i = 0; i < 6; i++) {
            uint256 upper = uppers[i];
            if (income > lower) {
                due += (min(income, upper) - lower) * rates[i] / ONE;
            }
            lower = upper;
        }
        if (income > lower) {
            due += (income - lower) * 0.45e18 / ONE;
        }
        return roundCents(due);
    }

    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// `x` rounded to a multiple of one cent, ties to the even cent.
    function roundCents(uint256 x) internal pure returns (uint256) {
        uint256 cents = x / CENT;
        uint256 rest = x % CENT;
        if (rest > CENT / 2 || (rest == CENT / 2 && cents % 2 == 1)) {
            cents += 1;
        }
        return cents * CENT;
    }
}
