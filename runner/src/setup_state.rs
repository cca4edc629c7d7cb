//! The state a passing test leaves: where `writ test --fuzz` goes on
//! calling, and where `writ prove --from-test` searches from.
//!
//! Each contract the test deployed is read back from the ledger field by
//! field (docs/host-abi.md, "Storage keys"): a field's value, each entry of
//! a map field, the holders of each role; and the test's body is kept as
//! text, so a sequence found from its state is written as that body
//! followed by the calls.

use std::sync::Arc;

use writ_abi::document::ContractAbi;
use writ_abi::{AbiType, Value, decode_key, decode_value};
use writ_compiler::codegen::{TestCase, build_tests};
use writ_compiler::{Analysis, FileId};
use writ_prover::concrete::Concrete;
use writ_vm::MemoryState;

use crate::{Prepared, RunOptions};

/// A test's final state, for `writ prove --from-test`.
#[derive(Debug, Clone)]
pub struct Setup {
    pub test: String,
    /// The body's lines, indented as written, without the braces.
    pub body: String,
    /// The named accounts the test used (`admin` first), each with its
    /// address: the search's callers and `Address` arguments.
    pub accounts: Vec<(String, [u8; 20])>,
    /// Each contract the test deployed, in order.
    pub instances: Vec<Instance>,
}

/// One deployed contract and what it holds.
#[derive(Debug, Clone)]
pub struct Instance {
    pub contract: String,
    /// The `let` the body binds it to, when it does.
    pub handle: Option<String>,
    pub state: Concrete,
}

impl Setup {
    /// The first instance of `contract` the test bound to a name.
    pub fn instance(&self, contract: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.contract == contract && i.handle.is_some())
    }
}

/// Runs test `name` of `file` and reads back the state it leaves; `None`
/// when the file has no such test, `Err` when it is a property, does not
/// compile, fails, or leaves a value that does not decode.
pub fn setup_state(
    analysis: &Analysis,
    file: FileId,
    vm: &Arc<writ_vm::Vm>,
    name: &str,
) -> Result<Option<Setup>, String> {
    let harness = match build_tests(analysis, file, false) {
        Ok(Some(harness)) => harness,
        Ok(None) => return Ok(None),
        Err(diagnostics) => {
            return Err(format!("the tests do not compile ({} diagnostics)", diagnostics.len()));
        }
    };
    let Some(case) = harness.cases.iter().find(|c| c.name == name) else { return Ok(None) };
    if case.params.is_some() {
        return Err(format!("\"{name}\" is a property: its state depends on generated values; name a test"));
    }
    let prepared = Prepared::new(vm, &harness, &RunOptions::default())
        .map_err(|e| format!("the tests do not run: {e:?}"))?;
    let (run, ledger) = prepared.run_keeping_ledger(&case.entry, &[]);
    if let Some(failure) = run.failure {
        return Err(format!("the test \"{name}\" fails, so it sets up nothing: {}", failure.message));
    }
    let source = analysis.file(file).map_or("", |f| f.text.as_str());
    let mut body = body_lines(case, source);
    let (handles, tail) = test_bindings(analysis, file, name);
    if tail {
        // The body ends in an expression: the calls go after a `;`.
        body.push_str("    ;\n");
    }
    let mut accounts: Vec<(String, [u8; 20])> =
        ledger.names.iter().filter(|(_, n)| !n.contains('#')).map(|(a, n)| (n.clone(), *a)).collect();
    // `admin` deploys in the search's terms: first.
    accounts.sort_by_key(|(n, _)| n != "admin");
    let mut instances = Vec::new();
    for (n, deployed) in ledger.deployed.iter().enumerate() {
        let Some((_, abi)) = prepared.env.contracts.get(deployed.code) else { continue };
        let empty = MemoryState::new();
        let storage = ledger.world.storage_of(&deployed.address).unwrap_or(&empty);
        let mut state = read_state(abi, storage).map_err(|what| format!("{}: {what}", deployed.label))?;
        state.time = ledger.time();
        instances.push(Instance {
            contract: abi.name.clone(),
            handle: handles.get(n).cloned().flatten(),
            state,
        });
    }
    Ok(Some(Setup { test: name.to_string(), body, accounts, instances }))
}

/// A contract's fields and roles, decoded from its storage by its ABI.
fn read_state(abi: &ContractAbi, storage: &MemoryState) -> Result<Concrete, String> {
    let mut state = Concrete::default();
    for (index, field) in abi.storage.iter().enumerate() {
        let mut prefix = vec![0x01];
        prefix.extend_from_slice(&(index as u32).to_be_bytes());
        let bad =
            |e: writ_abi::CodecError| format!("the storage field `{}` does not decode: {e}", field.name);
        let value = match &field.ty {
            AbiType::Map(key, value) => {
                let mut entries = Vec::new();
                for (k, v) in
                    storage.entries.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix))
                {
                    let Some(key_form) = k.get(prefix.len()..).filter(|rest| !rest.is_empty()) else {
                        continue;
                    };
                    entries.push((
                        decode_key(key, key_form, &abi.types).map_err(bad)?,
                        decode_value(value, v, &abi.types).map_err(bad)?,
                    ));
                }
                Value::Map(entries)
            }
            ty => match storage.entries.get(&prefix) {
                Some(bytes) => decode_value(ty, bytes, &abi.types).map_err(bad)?,
                None => continue,
            },
        };
        state.fields.push((index as u32, value));
    }
    for index in 0..abi.roles.len() {
        let mut prefix = vec![0x02];
        prefix.extend_from_slice(&(index as u32).to_be_bytes());
        let holders = storage
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| k.get(prefix.len()..).and_then(|a| <[u8; 20]>::try_from(a).ok()))
            .collect();
        state.roles.push((index as u32, holders));
    }
    Ok(state)
}

/// The name each contract the test deploys is bound to at the end of its
/// body, in the order they are deployed (`None` where it is not: a name
/// bound again later, or every deploy when one is not a top-level `let x =
/// deploy …`, whose order the text does not tell); and whether the body
/// ends in an expression without `;`.
fn test_bindings(analysis: &Analysis, file: FileId, name: &str) -> (Vec<Option<String>>, bool) {
    use writ_compiler::ast::{ExprKind, ItemKind, StmtKind};
    use writ_compiler::walk::{Node, walk_block};
    let Some(data) = analysis.file(file) else { return (Vec::new(), false) };
    let Some(test) = data.parsed.tree.items.iter().find_map(|item| match &item.kind {
        ItemKind::Test(test) if test.name.value == name => Some(test),
        _ => None,
    }) else {
        return (Vec::new(), false);
    };
    let mut deploys = 0;
    walk_block(&test.body, &mut |node| {
        if let Node::Expr(e) = node
            && matches!(e.kind, ExprKind::Deploy { .. })
        {
            deploys += 1;
        }
    });
    let bound: Vec<String> = test
        .body
        .stmts
        .iter()
        .filter_map(|stmt| match &stmt.kind {
            StmtKind::Let { name, value, .. } if matches!(value.kind, ExprKind::Deploy { .. }) => {
                Some(name.name.clone())
            }
            _ => None,
        })
        .collect();
    let tail = test.body.tail.is_some();
    if bound.len() != deploys {
        return (vec![None; deploys], tail);
    }
    let handles = bound
        .iter()
        .enumerate()
        .map(|(i, name)| (!bound.iter().skip(i + 1).any(|later| later == name)).then(|| name.clone()))
        .collect();
    (handles, tail)
}

/// The body of test `case` in `source`, without its braces and the blank
/// lines around it.
pub(crate) fn body_lines(case: &TestCase, source: &str) -> String {
    let body = source.get(case.body.lo as usize + 1..(case.body.hi as usize).saturating_sub(1)).unwrap_or("");
    let lines: Vec<&str> = body.lines().collect();
    let start = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(start, |i| i + 1);
    lines.get(start..end).unwrap_or(&[]).iter().map(|l| format!("{}\n", l.trim_end())).collect()
}

/// The `let NAME = deploy …` bindings of a test body, in order: the n-th
/// names the n-th contract the test deploys.
pub(crate) fn deploy_bindings(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("let ")?;
            let (name, init) = rest.split_once('=')?;
            init.trim().starts_with("deploy ").then(|| name.trim().trim_start_matches("mut ").to_string())
        })
        .collect()
}
