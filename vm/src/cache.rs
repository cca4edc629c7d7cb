//! The on-disk cache of compiled native code, one file per code hash.
//!
//! A file is `tag ++ serialized module`, where `tag` is the SHA-256 of
//! `code hash ++ serialized module`. A file whose tag does not match (torn
//! write, corruption, another code hash) is ignored and the module
//! recompiled; wasmtime itself refuses code from another engine version or
//! configuration, which also leads to a recompile.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use crate::vm::CodeHash;

pub(crate) struct DiskCache {
    pub dir: PathBuf,
}

fn tag(code_hash: &CodeHash, serialized: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(code_hash.0);
    hasher.update(serialized);
    hasher.finalize().into()
}

impl DiskCache {
    fn path(&self, code_hash: &CodeHash) -> PathBuf {
        self.dir.join(format!("{}.cwasm", code_hash.to_hex()))
    }

    /// The cached module for `code_hash`, if a valid file is there.
    pub fn load(&self, engine: &Engine, code_hash: &CodeHash) -> Option<Module> {
        let file = std::fs::read(self.path(code_hash)).ok()?;
        let (stored_tag, serialized) = file.split_at_checked(32)?;
        if stored_tag != tag(code_hash, serialized) {
            return None;
        }
        deserialize(engine, serialized)
    }

    /// Writes the module's native code; failures only cost a recompile later.
    pub fn store(&self, code_hash: &CodeHash, module: &Module) {
        let Ok(serialized) = module.serialize() else { return };
        let mut file = tag(code_hash, &serialized).to_vec();
        file.extend(serialized);
        let path = self.path(code_hash);
        let temporary = path.with_extension("tmp");
        // Write then rename, so a reader never sees half a file.
        if std::fs::create_dir_all(&self.dir).is_ok() && std::fs::write(&temporary, &file).is_ok() {
            let _ = std::fs::rename(&temporary, &path);
        }
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, serialized: &[u8]) -> Option<Module> {
    // SAFETY: `Module::deserialize` trusts its input to be native code that
    // wasmtime produced; arbitrary bytes could run as machine code. These
    // bytes come only from `DiskCache::store`, which writes the output of
    // `Module::serialize` of this VM's own engine into the node's private
    // cache folder, and `load` accepted them only because their SHA-256 tag
    // over the code hash and the bytes matched, so they are exactly what
    // this engine wrote for this code hash (wasmtime further checks the
    // engine version and configuration recorded in them). Anyone able to
    // forge this file can already replace the node's binary.
    unsafe { Module::deserialize(engine, serialized) }.ok()
}
