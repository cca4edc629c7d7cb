//! The execution core: what executing one transaction means, written once
//! for the node's blocks, replay and `writ test`. It owns the contract
//! address rule, the call context a transaction runs with, and the state
//! transition: the sender's nonce advances whatever the outcome; only a
//! successful call's writes are kept (its own and those of every contract
//! it called), all or none; only a successful deployment leaves a contract
//! behind.
//!
//! Invariant: the outcome is a function of the world, the transaction and
//! the block; nothing here reads a clock or depends on who calls it. What
//! is particular to a caller (the node's chain id and block packing, the
//! test runner's accounts by name and assertions) stays with that caller.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::host::CallContext;
use crate::outcome::{CallReport, Outcome};
use crate::vm::{Call, Contract, Session, Vm, VmError};
use crate::world::{Address, World};

/// The entry point a deployment runs.
pub const INIT: &str = "init";

/// The address of the contract `deployer` creates with its transaction of
/// nonce `nonce`: the first 20 bytes of SHA-256(`writ-contract:` ‖
/// deployer ‖ nonce as 8 bytes big-endian). Nonces never repeat, so
/// neither do addresses.
pub fn contract_address(deployer: &Address, nonce: u64) -> Address {
    let mut hasher = Sha256::new();
    hasher.update(b"writ-contract:");
    hasher.update(deployer);
    hasher.update(nonce.to_be_bytes());
    let digest: [u8; 32] = hasher.finalize().into();
    let mut address = [0u8; 20];
    address.copy_from_slice(digest.get(..20).unwrap_or(&[0u8; 20]));
    address
}

/// The block a transaction runs in, as its call sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Seconds since 1970-01-01 UTC.
    pub time: i64,
    pub height: u64,
}

/// The context of a call `caller` makes to `contract`: the caller first
/// among the signers, then each co-signer, the caller never twice.
pub fn context(
    contract: Address,
    caller: Address,
    cosigners: &[Address],
    block: BlockInfo,
    gas_limit: u64,
) -> CallContext {
    let mut signers = vec![caller];
    signers.extend(cosigners.iter().filter(|signer| **signer != caller));
    CallContext { contract, caller, signers, block_time: block.time, block_height: block.height, gas_limit }
}

/// A transaction whose signatures someone has already checked.
#[derive(Clone)]
pub struct Transaction<'a> {
    pub sender: Address,
    pub nonce: u64,
    /// The co-signers' addresses, in the transaction's order.
    pub cosigners: &'a [Address],
    pub gas_limit: u64,
    pub action: Action<'a>,
}

/// What a transaction asks for.
#[derive(Clone)]
pub enum Action<'a> {
    /// Deploy compiled code (the caller prepared it: a node from the
    /// transaction's bytes, the test runner from the file it compiled),
    /// running `init` with `args`.
    Deploy {
        code: Arc<Contract>,
        args: &'a [u8],
    },
    Call {
        contract: Address,
        entry: &'a str,
        args: &'a [u8],
    },
}

/// Why a transaction was not executed. Nothing changed: not even the
/// nonce, so the same transaction cannot be counted twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The nonce is not the sender's next.
    Nonce { expected: u64 },
    /// The sender has used every nonce there is.
    NoncesExhausted,
    /// A call to an address without a contract.
    UnknownContract,
}

/// A transaction that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The called contract, or the deployed one (also when `init` aborted).
    pub contract: Address,
    /// Whether a contract was deployed at `contract`.
    pub deployed: bool,
    pub report: CallReport,
}

/// What executing a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Execution {
    Executed(Executed),
    Skipped(Skip),
}

/// What runs a call: a block's `Session`, which reuses instances, or the
/// `Vm`, on a fresh instance each time. The test runner adds its own for
/// contracts compiled with coverage probes.
pub trait Executor {
    fn run(&mut self, contract: &Contract, call: Call<'_>) -> Result<CallReport, VmError>;
}

impl Executor for Session<'_> {
    fn run(&mut self, contract: &Contract, call: Call<'_>) -> Result<CallReport, VmError> {
        self.call(contract, call)
    }
}

impl Executor for &Vm {
    fn run(&mut self, contract: &Contract, call: Call<'_>) -> Result<CallReport, VmError> {
        self.call(contract, call)
    }
}

/// Why `sender` may not use `nonce` now, or `None` if it may. `execute`
/// asks this first; a caller may ask too, to spare work on a transaction
/// that will be skipped anyway (the node, before compiling a deployment).
pub fn nonce_check<W: World>(world: &W, sender: &Address, nonce: u64) -> Result<Option<Skip>, W::Error> {
    let expected = world.nonce(sender)?;
    if nonce != expected {
        return Ok(Some(Skip::Nonce { expected }));
    }
    if nonce == u64::MAX {
        return Ok(Some(Skip::NoncesExhausted));
    }
    Ok(None)
}

/// Executes `tx` in `block` against `world`, running its call with
/// `executor`. An error is the world's or the VM's failure, never the
/// transaction's: an aborted call is an `Executed` with its report.
pub fn execute<W: World>(
    world: &mut W,
    executor: &mut impl Executor,
    tx: &Transaction<'_>,
    block: BlockInfo,
) -> Result<Execution, W::Error> {
    if let Some(skip) = nonce_check(world, &tx.sender, tx.nonce)? {
        return Ok(Execution::Skipped(skip));
    }
    // `nonce_check` refused `u64::MAX`, so this never saturates.
    let next_nonce = tx.nonce.saturating_add(1);
    let (address, entry, code, args) = match &tx.action {
        Action::Deploy { code, args } => {
            (contract_address(&tx.sender, tx.nonce), INIT, Arc::clone(code), *args)
        }
        Action::Call { contract, entry, args } => match world.contract(contract)? {
            Some(code) => (*contract, *entry, code, *args),
            None => return Ok(Execution::Skipped(Skip::UnknownContract)),
        },
    };
    let call = Call {
        entry,
        args,
        context: context(address, tx.sender, tx.cosigners, block, tx.gas_limit),
        state: world.storage(&address),
        directory: Some(world.directory()),
    };
    let report = executor.run(&code, call)?;
    world.set_nonce(&tx.sender, next_nonce);
    let deploying = matches!(tx.action, Action::Deploy { .. });
    let mut deployed = false;
    if let Outcome::Success(success) = &report.outcome {
        world.apply_writes(&address, &success.writes);
        for (callee, writes) in &success.called_writes {
            world.apply_writes(callee, writes);
        }
        if deploying {
            world.record_contract(&address, &code, &tx.sender, block.height);
            deployed = true;
        }
    }
    Ok(Execution::Executed(Executed { contract: address, deployed, report }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The address rule is pinned: changing it would move every contract.
    #[test]
    fn contract_addresses_follow_the_documented_rule() {
        let mut bytes = b"writ-contract:".to_vec();
        bytes.extend_from_slice(&[7u8; 20]);
        bytes.extend_from_slice(&3u64.to_be_bytes());
        let digest = Sha256::digest(&bytes);
        assert_eq!(contract_address(&[7u8; 20], 3).as_slice(), digest.get(..20).unwrap_or(&[]));
        assert_ne!(contract_address(&[7u8; 20], 3), contract_address(&[7u8; 20], 4));
    }

    /// The caller signs first and is never listed twice.
    #[test]
    fn signers_start_with_the_caller_once() {
        let block = BlockInfo { time: 5, height: 2 };
        let made = context([1; 20], [2; 20], &[[3; 20], [2; 20], [4; 20]], block, 9);
        assert_eq!(made.signers, vec![[2; 20], [3; 20], [4; 20]]);
        assert_eq!((made.caller, made.block_time, made.block_height, made.gas_limit), ([2; 20], 5, 2, 9));
    }
}
