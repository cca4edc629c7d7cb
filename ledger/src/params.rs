//! The chain's parameters: the gas bounds every node of a chain must share
//! to agree on which transactions are valid and what a block may hold.
//!
//! Invariant: the per-transaction ceiling is at most the block limit, so a
//! transaction that passes admission always fits in an empty block, and
//! packing by declared gas limits never strands one.

use crate::limits::{BLOCK_GAS_LIMIT_DEFAULT, TX_GAS_LIMIT_MAX_DEFAULT};

/// The gas bounds of a chain. Like the chain id, every node of a chain is
/// started with the same values (`writ node --tx-gas --block-gas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainParams {
    tx_gas_limit_max: u64,
    block_gas_limit: u64,
}

/// Parameters that cannot hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("the per-transaction gas ceiling must be at least 1")]
    ZeroCeiling,
    #[error(
        "the per-transaction gas ceiling ({tx}) is above the block gas limit ({block}): such a transaction could never fit in a block"
    )]
    CeilingAboveBlock { tx: u64, block: u64 },
    #[error("the per-transaction gas ceiling ({tx}) is above the VM's largest call gas limit ({vm})")]
    CeilingAboveVm { tx: u64, vm: u64 },
}

impl ChainParams {
    /// The default bounds (`limits.rs`).
    pub const DEFAULT: ChainParams =
        ChainParams { tx_gas_limit_max: TX_GAS_LIMIT_MAX_DEFAULT, block_gas_limit: BLOCK_GAS_LIMIT_DEFAULT };

    /// Bounds that hold together: a ceiling of at least 1, no higher than
    /// the block limit or the VM's own largest call gas limit.
    pub fn new(tx_gas_limit_max: u64, block_gas_limit: u64) -> Result<ChainParams, ParamsError> {
        let vm = writ_vm::limits::CALL_GAS_LIMIT_MAX;
        if tx_gas_limit_max == 0 {
            return Err(ParamsError::ZeroCeiling);
        }
        if tx_gas_limit_max > block_gas_limit {
            return Err(ParamsError::CeilingAboveBlock { tx: tx_gas_limit_max, block: block_gas_limit });
        }
        if tx_gas_limit_max > vm {
            return Err(ParamsError::CeilingAboveVm { tx: tx_gas_limit_max, vm });
        }
        Ok(ChainParams { tx_gas_limit_max, block_gas_limit })
    }

    /// The largest gas limit one transaction may declare.
    pub fn tx_gas_limit_max(&self) -> u64 {
        self.tx_gas_limit_max
    }

    /// The most gas the transactions of one block may declare together.
    pub fn block_gas_limit(&self) -> u64 {
        self.block_gas_limit
    }
}

impl Default for ChainParams {
    fn default() -> ChainParams {
        ChainParams::DEFAULT
    }
}

/// Which transactions, taken in order, fit in one block: the longest
/// prefix whose declared gas limits sum to at most the block limit (and at
/// most `count_max` of them). Producer and validator use this one rule, so
/// a block one node packs, every node accepts.
pub fn block_prefix(
    gas_limits: impl IntoIterator<Item = u64>,
    block_gas_limit: u64,
    count_max: usize,
) -> usize {
    let mut used: u64 = 0;
    let mut taken = 0;
    for gas in gas_limits.into_iter().take(count_max) {
        match used.checked_add(gas) {
            Some(total) if total <= block_gas_limit => {
                used = total;
                taken += 1;
            }
            _ => break,
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // Parameters that cannot hold together are refused, and the defaults hold.
    #[test]
    fn parameters_hold_together() {
        assert_eq!(
            ChainParams::new(TX_GAS_LIMIT_MAX_DEFAULT, BLOCK_GAS_LIMIT_DEFAULT),
            Ok(ChainParams::DEFAULT)
        );
        assert_eq!(ChainParams::new(0, 10), Err(ParamsError::ZeroCeiling));
        assert_eq!(ChainParams::new(11, 10), Err(ParamsError::CeilingAboveBlock { tx: 11, block: 10 }));
        let vm = writ_vm::limits::CALL_GAS_LIMIT_MAX;
        assert!(matches!(ChainParams::new(vm + 1, u64::MAX), Err(ParamsError::CeilingAboveVm { .. })));
        assert!(ChainParams::new(10, 10).is_ok());
    }

    // Packing stops at the first transaction that would exceed the limit,
    // keeps arrival order, and never overflows.
    #[test]
    fn packing_takes_the_prefix_within_the_limit() {
        assert_eq!(block_prefix([4, 3, 3, 1], 10, 100), 3);
        assert_eq!(block_prefix([4, 7, 1], 10, 100), 1);
        assert_eq!(block_prefix([10], 10, 100), 1);
        assert_eq!(block_prefix([11], 10, 100), 0);
        assert_eq!(block_prefix([], 10, 100), 0);
        assert_eq!(block_prefix([1, 1, 1], 10, 2), 2);
        assert_eq!(block_prefix([u64::MAX, u64::MAX], u64::MAX, 100), 1);
    }
}
