//! The node's side of the execution core (`writ_vm::execute`): the world a
//! block's transactions run against. Reads see the block's changes so far
//! over the last committed snapshot (`state::Layer`); every change goes
//! into the block's pending map of state keys (`writ_proof::keys`), which
//! the chain commits in the block's one write.
//!
//! Invariant: the state keys written here are exactly those the receipts
//! and roots were pinned with: a nonce as 8 bytes big-endian, storage
//! under the contract's address, a contract as its `ContractRecord`.

use std::collections::BTreeMap;
use std::sync::Arc;

use redb::ReadTransaction;
use writ_proof::keys::{self, ContractRecord};
use writ_vm::{Contract, Directory, State, StateError, VmError, World, Write};

use crate::chain::{CodeTable, LedgerError, Modules};
use crate::crypto::{Address, Hash32};
use crate::state::{ContractView, Layer};
use crate::store::{CODE, store_error};

/// A block's world while it executes.
pub(crate) struct BlockWorld<'a> {
    pub layer: Arc<Layer>,
    read: &'a ReadTransaction,
    modules: &'a Arc<Modules>,
    /// Contracts this block deployed: their code is not in the store yet.
    new_modules: BTreeMap<Hash32, Arc<Contract>>,
}

impl<'a> BlockWorld<'a> {
    pub fn new(read: &'a ReadTransaction, modules: &'a Arc<Modules>) -> Result<BlockWorld<'a>, LedgerError> {
        Ok(BlockWorld { layer: Arc::new(Layer::new(read)?), read, modules, new_modules: BTreeMap::new() })
    }
}

/// The contracts a running call may call, as of a block's changes so far
/// (or a committed snapshot, for a view): it owns handles on the snapshot,
/// so the VM can hold it while the call runs.
pub(crate) struct LedgerDirectory {
    layer: Arc<Layer>,
    code: Arc<CodeTable>,
    modules: Arc<Modules>,
    /// Contracts the block deployed before this transaction.
    new_modules: BTreeMap<Hash32, Arc<Contract>>,
}

impl LedgerDirectory {
    pub fn new(
        read: &ReadTransaction,
        layer: &Arc<Layer>,
        modules: &Arc<Modules>,
        new_modules: BTreeMap<Hash32, Arc<Contract>>,
    ) -> Result<LedgerDirectory, LedgerError> {
        Ok(LedgerDirectory {
            layer: Arc::clone(layer),
            code: Arc::new(read.open_table(CODE).map_err(store_error)?),
            modules: Arc::clone(modules),
            new_modules,
        })
    }
}

impl Directory for LedgerDirectory {
    fn contract(&self, address: &Address) -> Result<Option<Arc<Contract>>, StateError> {
        let failed = |error: LedgerError| StateError { message: error.to_string() };
        let Some(record) = self.layer.contract(address).map_err(failed)? else { return Ok(None) };
        match self.new_modules.get(&record.code_hash) {
            Some(module) => Ok(Some(Arc::clone(module))),
            None => Ok(Some(self.modules.load_from(&self.code, &record.code_hash).map_err(failed)?.module)),
        }
    }

    fn storage(&self, address: &Address) -> Arc<dyn State> {
        Arc::new(ContractView { contract: *address, layer: Arc::clone(&self.layer) })
    }
}

impl From<VmError> for LedgerError {
    fn from(error: VmError) -> LedgerError {
        LedgerError::Vm(error.to_string())
    }
}

impl World for BlockWorld<'_> {
    type Error = LedgerError;

    fn nonce(&self, account: &Address) -> Result<u64, LedgerError> {
        self.layer.nonce(account)
    }

    fn contract(&self, address: &Address) -> Result<Option<Arc<Contract>>, LedgerError> {
        let Some(record) = self.layer.contract(address)? else { return Ok(None) };
        match self.new_modules.get(&record.code_hash) {
            Some(module) => Ok(Some(Arc::clone(module))),
            None => Ok(Some(self.modules.load(self.read, &record.code_hash)?.module)),
        }
    }

    fn storage(&self, address: &Address) -> Arc<dyn State> {
        Arc::new(ContractView { contract: *address, layer: Arc::clone(&self.layer) })
    }

    fn directory(&self) -> Arc<dyn Directory> {
        match LedgerDirectory::new(self.read, &self.layer, self.modules, self.new_modules.clone()) {
            Ok(directory) => Arc::new(directory),
            // The snapshot could not open its code table: callees are
            // found by nothing, and every call to one fails as a read of
            // the store would.
            Err(error) => Arc::new(Unreadable(error.to_string())),
        }
    }

    fn set_nonce(&mut self, account: &Address, nonce: u64) {
        self.layer.set(keys::nonce(account), Some(nonce.to_be_bytes().to_vec()));
    }

    fn apply_writes(&mut self, contract: &Address, writes: &[Write]) {
        for write in writes {
            self.layer.set(keys::storage(contract, &write.key), write.value.clone());
        }
    }

    fn record_contract(
        &mut self,
        address: &Address,
        contract: &Arc<Contract>,
        deployer: &Address,
        height: u64,
    ) {
        let record = ContractRecord { code_hash: contract.code_hash.0, deployer: *deployer, height };
        self.layer.set(keys::contract(address), Some(record.encode()));
        self.new_modules.insert(contract.code_hash.0, Arc::clone(contract));
    }
}

/// A directory over a snapshot that could not be read: every lookup is the
/// store's failure, which abandons the block (never a receipt).
struct Unreadable(String);

impl Directory for Unreadable {
    fn contract(&self, _: &Address) -> Result<Option<Arc<Contract>>, StateError> {
        Err(StateError { message: self.0.clone() })
    }

    fn storage(&self, _: &Address) -> Arc<dyn State> {
        Arc::new(writ_vm::MemoryState::new())
    }
}
