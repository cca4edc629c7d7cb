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
use writ_vm::{Contract, State, VmError, World, Write};

use crate::chain::{LedgerError, Modules};
use crate::crypto::{Address, Hash32};
use crate::state::{ContractView, Layer};

/// A block's world while it executes.
pub(crate) struct BlockWorld<'a> {
    pub layer: Arc<Layer>,
    read: &'a ReadTransaction,
    modules: &'a Modules,
    /// Contracts this block deployed: their code is not in the store yet.
    new_modules: BTreeMap<Hash32, Arc<Contract>>,
}

impl<'a> BlockWorld<'a> {
    pub fn new(read: &'a ReadTransaction, modules: &'a Modules) -> Result<BlockWorld<'a>, LedgerError> {
        Ok(BlockWorld { layer: Arc::new(Layer::new(read)?), read, modules, new_modules: BTreeMap::new() })
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
