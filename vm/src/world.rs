//! The world state a transaction executes against, as the execution core
//! (`execute.rs`) sees it: account nonces, deployed contracts and each
//! contract's storage. The node implements it over its store and a
//! block's pending changes; `MemoryWorld`, kept in memory, is `writ test`'s.
//!
//! Invariant: changes are buffered by the world, never half-applied by the
//! core: a world decides when they become durable (the node, once per
//! block), so the setters cannot fail.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::outcome::Write;
use crate::state::{MemoryState, State, StateError};
use crate::vm::{Contract, VmError};

/// An account's or a contract's 20-byte address.
pub type Address = [u8; 20];

/// What the execution core reads and changes.
pub trait World {
    /// Why the world could not answer: its store failed or holds
    /// something it cannot read. Running the call may also fail in the
    /// VM, so a world's error can carry a `VmError`.
    type Error: From<VmError>;

    /// The next nonce `account` must use; 0 for an account never seen.
    fn nonce(&self, account: &Address) -> Result<u64, Self::Error>;

    /// The compiled contract deployed at `address`, if any.
    fn contract(&self, address: &Address) -> Result<Option<Arc<Contract>>, Self::Error>;

    /// The storage of the contract at `address` as a call reads it (empty
    /// for an address nothing has written to, such as a deployment's).
    fn storage(&self, address: &Address) -> Arc<dyn State>;

    /// What a running call reads when it calls another contract: the
    /// world as it is now, before the transaction's own changes (those the
    /// VM keeps itself until the transaction ends).
    fn directory(&self) -> Arc<dyn Directory>;

    fn set_nonce(&mut self, account: &Address, nonce: u64);

    /// Applies a successful call's writes to `contract`'s storage.
    fn apply_writes(&mut self, contract: &Address, writes: &[Write]);

    /// Records that `deployer` deployed `contract` at `address` in block
    /// `height`, so later calls find it.
    fn record_contract(
        &mut self,
        address: &Address,
        contract: &Arc<Contract>,
        deployer: &Address,
        height: u64,
    );
}

/// The contracts a call may reach through calls between contracts: their
/// code and their storage as of the transaction's start. A running call
/// holds it, so it owns what it reads (a snapshot, or handles on one).
pub trait Directory: Send + Sync {
    /// The compiled contract deployed at `address`, if any.
    fn contract(&self, address: &Address) -> Result<Option<Arc<Contract>>, StateError>;

    /// The storage of the contract at `address` (empty if never written).
    fn storage(&self, address: &Address) -> Arc<dyn State>;
}

/// A world kept in memory: the test runner's ledger, tools and tests.
#[derive(Clone, Default)]
pub struct MemoryWorld {
    nonces: BTreeMap<Address, u64>,
    contracts: BTreeMap<Address, Arc<Contract>>,
    storage: BTreeMap<Address, Arc<MemoryState>>,
}

impl MemoryWorld {
    pub fn new() -> MemoryWorld {
        MemoryWorld::default()
    }

    /// The storage of the contract at `address`, if anything was written.
    pub fn storage_of(&self, address: &Address) -> Option<&MemoryState> {
        self.storage.get(address).map(Arc::as_ref)
    }
}

impl World for MemoryWorld {
    type Error = VmError;

    fn nonce(&self, account: &Address) -> Result<u64, VmError> {
        Ok(self.nonces.get(account).copied().unwrap_or(0))
    }

    fn contract(&self, address: &Address) -> Result<Option<Arc<Contract>>, VmError> {
        Ok(self.contracts.get(address).cloned())
    }

    fn storage(&self, address: &Address) -> Arc<dyn State> {
        match self.storage.get(address) {
            Some(state) => Arc::clone(state) as Arc<dyn State>,
            None => Arc::new(MemoryState::new()),
        }
    }

    fn directory(&self) -> Arc<dyn Directory> {
        // The maps hold `Arc`s, so the copy shares every contract and every
        // storage map with the world.
        Arc::new(MemoryDirectory { contracts: self.contracts.clone(), storage: self.storage.clone() })
    }

    fn set_nonce(&mut self, account: &Address, nonce: u64) {
        self.nonces.insert(*account, nonce);
    }

    fn apply_writes(&mut self, contract: &Address, writes: &[Write]) {
        // A call still running holds the old `Arc`; copy-on-write keeps
        // what it reads unchanged.
        Arc::make_mut(self.storage.entry(*contract).or_default()).apply(writes);
    }

    fn record_contract(&mut self, address: &Address, contract: &Arc<Contract>, _: &Address, _: u64) {
        self.contracts.insert(*address, Arc::clone(contract));
    }
}

/// A `MemoryWorld`'s contracts and storage as of one moment.
struct MemoryDirectory {
    contracts: BTreeMap<Address, Arc<Contract>>,
    storage: BTreeMap<Address, Arc<MemoryState>>,
}

impl Directory for MemoryDirectory {
    fn contract(&self, address: &Address) -> Result<Option<Arc<Contract>>, StateError> {
        Ok(self.contracts.get(address).cloned())
    }

    fn storage(&self, address: &Address) -> Arc<dyn State> {
        match self.storage.get(address) {
            Some(state) => Arc::clone(state) as Arc<dyn State>,
            None => Arc::new(MemoryState::new()),
        }
    }
}
