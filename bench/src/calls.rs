//! Calls between contracts: what crossing to another contract costs beside
//! a call within one contract, in time and gas, on warm instances (a
//! block's session, after a first transaction has made them). Both run
//! through the execution core over an in-memory world, as `writ test`
//! and (with its store) the node do. Writ only: the other engines have no
//! such boundary in these workloads.

use std::time::Instant;

use writ_abi::{AbiType, Value};
use writ_vm::execute::{Action, BlockInfo, Execution, Transaction, execute};
use writ_vm::{MemoryWorld, Outcome, Session, Vm, World};

use crate::writ::args;
use crate::{Figure, Run, fatal, measure};

const SOURCE: &str = include_str!("../writ/calls.writ");
const SENDER: [u8; 20] = [7; 20];
const BLOCK: BlockInfo = BlockInfo { time: 1_700_000_000, height: 1 };

/// The two figures per call: crossing to the other contract, and the same
/// work within one.
pub struct Crossing {
    pub calls: u64,
    pub across: Figure,
    pub within: Figure,
}

fn send(world: &mut MemoryWorld, session: &mut Session<'_>, action: Action<'_>) -> (Vec<u8>, u64, [u8; 20]) {
    // Cannot fail: an in-memory world never errs; the sender's nonce is read just before.
    let nonce = world.nonce(&SENDER).expect("an in-memory world");
    let tx = Transaction {
        sender: SENDER,
        nonce,
        cosigners: &[],
        gas_limit: writ_vm::limits::CALL_GAS_LIMIT_MAX,
        action,
    };
    match execute(world, session, &tx, BLOCK).expect("an in-memory world") {
        Execution::Executed(executed) => match executed.report.outcome {
            Outcome::Success(success) => (success.result, executed.report.gas_used, executed.contract),
            Outcome::Aborted(abort) => fatal(&format!("the calls benchmark aborted: {abort:?}")),
        },
        Execution::Skipped(skip) => fatal(&format!("the calls benchmark was skipped: {skip:?}")),
    }
}

/// Measures `calls` calls per transaction, median of `runs`.
pub fn crossing(vm: &Vm, calls: u64, runs: usize) -> Crossing {
    let analysis = writ_compiler::Analysis::single("calls.writ", SOURCE);
    let built = writ_compiler::codegen::build_file(&analysis, writ_compiler::FileId(0));
    if !built.diagnostics.is_empty() {
        fatal(&format!("calls.writ does not compile: {:?}", built.diagnostics));
    }
    let module = |name: &str| {
        let artifact = built.artifacts.iter().find(|a| a.contract == name).unwrap_or_else(|| fatal(name));
        vm.prepare(&artifact.wasm).unwrap_or_else(|e| fatal(&e.to_string()))
    };
    let (callee_code, caller_code) = (module("Callee"), module("Caller"));
    let mut world = MemoryWorld::new();
    let mut session = vm.session();
    let (_, _, callee) = send(&mut world, &mut session, Action::Deploy { code: callee_code, args: &[] });
    let init = args(vec![(AbiType::Address, Value::Address(callee))]);
    let (_, _, caller) = send(&mut world, &mut session, Action::Deploy { code: caller_code, args: &init });
    let n = args(vec![(AbiType::U64, Value::U64(calls))]);
    let mut timed = |entry: &'static str| {
        // A first transaction makes both instances; the timed ones reuse them.
        send(&mut world, &mut session, Action::Call { contract: caller, entry, args: &n });
        measure(entry, runs, calls, || {
            let start = Instant::now();
            let (result, gas, _) =
                send(&mut world, &mut session, Action::Call { contract: caller, entry, args: &n });
            Run { elapsed: start.elapsed(), result, gas }
        })
    };
    let (across, across_result) = timed("across");
    let (within, within_result) = timed("within");
    if across_result != within_result {
        fatal("across and within computed different sums");
    }
    Crossing { calls, across, within }
}

/// The section of the report.
pub fn print(crossing: &Crossing) {
    let Crossing { calls, across, within } = crossing;
    println!("## Calls between contracts ({calls} calls per transaction, warm instances)");
    println!();
    println!("| call | time per call | gas per call |");
    println!("|---|---:|---:|");
    println!("| to another contract (`self.callee.step(i)`) | {:.0} ns | {:.0} |", across.ns, across.gas);
    println!("| within the contract (`step(i)`) | {:.0} ns | {:.0} |", within.ns, within.gas);
    println!(
        "| **crossing costs** | **{:.0} ns** ({:.1}×) | **{:.0}** |",
        across.ns - within.ns,
        across.ns / within.ns.max(1.0),
        across.gas - within.gas
    );
    println!();
}
