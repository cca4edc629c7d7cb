//! Code generation: a checked contract to a WebAssembly module that follows
//! the host ABI (`writ_abi::host`), with its ABI document embedded.
//!
//! Invariant: the output is a function of the source and the compiler
//! version (same input, same bytes), contains no floating point, and never
//! silently mistranslates: a construct the back end does not support yet
//! is reported (E3001) and no artifact is produced for that contract.

mod abi_doc;
// The codegen core: everything else builds on it (and on its `wasm!`).
#[allow(clippy::result_large_err)]
#[macro_use]
mod core;
// Translation fails rarely (only on constructs not supported yet), and then
// with a full diagnostic; boxing it on every `?` would buy nothing.
#[allow(clippy::result_large_err)]
mod calls;
#[allow(clippy::result_large_err)]
mod contract_calls;
#[allow(clippy::result_large_err)]
mod func;
#[allow(clippy::result_large_err)]
mod lists;
#[allow(clippy::result_large_err)]
mod maps;
#[allow(clippy::result_large_err)]
mod matching;
#[allow(clippy::result_large_err)]
mod module;
#[allow(clippy::result_large_err)]
mod ops;
mod owned;
#[allow(clippy::result_large_err)]
mod place;
#[allow(clippy::result_large_err)]
mod records;
mod repr;
mod runtime;
#[allow(clippy::result_large_err)]
mod specs;
#[allow(clippy::result_large_err)]
mod storage;
#[allow(clippy::result_large_err)]
mod tests;

pub use self::core::{Probe, ProbeKind, Site};
/// The ABI document of a contract (or interface) as the checker typed it.
pub use abi_doc::document as abi_document;
pub use abi_doc::{InitReference, init_references};
pub use specs::{ClauseCheck, ClauseKind, SPEC_POST_PREFIX, SPEC_PRE_PREFIX, SpecCheck};
pub use tests::{Invariant, PropertyParam, TestCase, TestHarness, build_tests};

use writ_abi::document::ContractAbi;

use crate::analysis::Analysis;
use crate::ast::ItemKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::span::{FileId, Span};
use crate::types::{Def, Ty};

/// The version recorded in artifacts: same source and version, same bytes.
pub const COMPILER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One compiled contract.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub contract: String,
    /// The module, with the ABI document in its `writ.abi` custom section.
    pub wasm: Vec<u8>,
    pub abi: ContractAbi,
}

impl Artifact {
    /// SHA-256 of the module bytes, hex: the code hash a node reports.
    pub fn code_hash(&self) -> String {
        sha256_hex(&self.wasm)
    }
}

#[derive(Debug, Default)]
pub struct BuildOutput {
    pub artifacts: Vec<Artifact>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles every contract declared in `file`. The caller has checked the
/// analysis has no errors; contracts using constructs the back end does not
/// support yet get E3001 diagnostics instead of artifacts.
pub fn build_file(analysis: &Analysis, file: FileId) -> BuildOutput {
    let mut output = BuildOutput::default();
    let Some(data) = analysis.file(file) else { return output };
    let source_hash = sha256_hex(data.text.as_bytes());
    let typed = Typed::new(analysis);
    for item in &data.parsed.tree.items {
        // An interface is built where its contract is, not here.
        let ItemKind::Contract(contract) = &item.kind else { continue };
        if contract.interface {
            continue;
        }
        let Some(Def::Contract(cid)) = analysis.def_of(&contract.name) else { continue };
        match module::compile_contract(analysis, &typed, cid, &source_hash, None) {
            Ok((artifact, _)) => output.artifacts.push(artifact),
            Err(mut diagnostics) => output.diagnostics.append(&mut diagnostics),
        }
    }
    output
}

/// What building would refuse in the user's files that checking alone
/// cannot see: a function, test or contract too large for the VM (E3002,
/// E3003). `writ check` reports these, so a file it passes also builds and
/// deploys. Constructs not compiled yet (E3001) are left to `writ build`.
pub fn size_diagnostics(analysis: &Analysis) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for file in analysis.own_files() {
        let built = build_file(analysis, file.id).diagnostics;
        let tested = build_tests(analysis, file.id, false).err().unwrap_or_default();
        found.extend(
            built
                .into_iter()
                .chain(tested)
                .filter(|d| matches!(d.code, Code::FunctionTooLarge | Code::ModuleTooLarge)),
        );
    }
    crate::diagnostic::sort(&mut found);
    found.dedup();
    found
}

/// The typed program the back end reads: each expression's type and each
/// name's definition, by node id (`check::TypedFile`), never by span.
pub(crate) struct Typed<'a> {
    pub analysis: &'a Analysis,
}

impl<'a> Typed<'a> {
    fn new(analysis: &'a Analysis) -> Typed<'a> {
        Typed { analysis }
    }

    pub fn ty(&self, e: &crate::ast::Expr) -> Ty {
        self.analysis.type_of(e).clone()
    }

    pub fn def(&self, name: &crate::ast::Ident) -> Option<Def> {
        self.analysis.def_of(name)
    }
}

/// A construct the back end cannot translate yet.
pub(crate) fn unsupported(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(Code::NotYetCompiled, span, format!("{what} cannot be compiled yet"))
        .with_note("`writ check` accepts it; code generation for it is still being built")
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
