//! `writ-bench`: Writ beside native Rust and the EVM, in one run.
//!
//! Five workloads, each written three times — in native Rust
//! (`native.rs`), in Writ (`bench/writ/`, compiled by the project's
//! compiler and run on the VM with gas metering) and in Solidity
//! (`bench/solidity/`, compiled by solc and run on revm) — run on the same
//! inputs. Every run's result is checked: the same on every run, and the
//! same across the engines (the program stops with an error when they
//! differ). Prints Markdown tables: time per operation (the median of
//! several runs) with the ratios, gas, compile times and artifact sizes.
//!
//! Run: `scripts/bench.sh` (compiles the Solidity, then runs this in
//! release). By hand: `cargo run --release -p writ-bench -- [--quick]
//! [--runs N] [--only WORKLOAD] [SOLC_OUTPUT_DIR]`; without the folder
//! (allowed with `--quick` or `--only`) the revm column is skipped.
// A benchmark harness over fixed, generated inputs: a failed setup step or
// a malformed result is a bug in the harness, best stopped at once with
// the reason (`expect`); it never handles user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod calls;
mod evm;
mod inputs;
mod native;
mod writ;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use revm::primitives::Bytes;
use writ_abi::{AbiType, Value};
use writ_vm::{Contract, State, Vm, VmOptions};

use crate::evm::{Calldata, Evm, word};
use crate::inputs::{Sizes, Transfer, account, opening_balance, viewed};
use crate::writ::{Storage, args, decode};

const USAGE: &str = "usage: writ-bench [--quick] [--runs N] [--only WORKLOAD] [SOLC_OUTPUT_DIR]

Runs the workloads in native Rust, in Writ on the VM and in Solidity on
revm, checks the results equal and prints the figures. SOLC_OUTPUT_DIR is
what scripts/bench.sh compiles bench/solidity/*.sol into; it may be left
out only with --quick or --only (the revm column is then skipped).

  --quick          small inputs, one run: a smoke test of every check
  --runs N         timed runs per figure (the median is reported)
  --only WORKLOAD  one of loop, transfer, tax, view, sha256, calls (for profiling)";

/// Workload names accepted by `--only`.
const WORKLOADS: [&str; 6] = ["loop", "transfer", "tax", "view", "sha256", "calls"];

struct Options {
    quick: bool,
    runs: Option<usize>,
    only: Option<String>,
    solc_output: Option<PathBuf>,
}

impl Options {
    fn runs(&self, workload: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == workload)
    }
}

fn options() -> Options {
    let mut options = Options { quick: false, runs: None, only: None, solc_output: None };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        match word.as_str() {
            "--quick" => options.quick = true,
            "--runs" => {
                let runs = words.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0);
                options.runs = Some(runs.unwrap_or_else(|| usage_error("--runs takes a positive number")));
            }
            "--only" => {
                let only = words.next().filter(|w| WORKLOADS.contains(&w.as_str()));
                options.only = Some(only.unwrap_or_else(|| {
                    usage_error(&format!("--only takes one of {}", WORKLOADS.join(", ")))
                }));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with('-') => usage_error(&format!("unknown option {flag}")),
            dir if options.solc_output.is_none() => options.solc_output = Some(PathBuf::from(dir)),
            extra => usage_error(&format!("unexpected argument {extra}")),
        }
    }
    options
}

fn usage_error(message: &str) -> ! {
    eprintln!("writ-bench: {message}\n\n{USAGE}");
    std::process::exit(2);
}

/// Gives each account its opening balance on the Writ token, committing
/// the writes to `storage` as the ledger would.
fn fund_writ_accounts(
    session: &mut writ_vm::Session<'_>,
    contract: &Contract,
    accounts: &[[u8; 20]],
    storage: &Arc<Storage>,
) {
    let state: Arc<dyn State> = Arc::clone(storage) as Arc<dyn State>;
    for (k, who) in accounts.iter().enumerate() {
        let fund = args(vec![
            (AbiType::Address, Value::Address(*who)),
            (AbiType::U64, Value::U64(opening_balance(k))),
        ]);
        storage.apply(&writ::call(session, contract, "fund", &fund, *who, &state).success.writes);
    }
}

/// Stops the program: the inputs cannot be prepared.
pub(crate) fn fatal(message: &str) -> ! {
    eprintln!("writ-bench: {message}");
    std::process::exit(1);
}

/// Stops the program: two engines computed different results.
fn differ(workload: &str, what: &str, detail: String) -> ! {
    eprintln!("\nwrit-bench: RESULTS DIFFER in {workload}: {what}\n{detail}");
    std::process::exit(1);
}

/// `got` must equal `want`; for lists, the first difference is shown.
fn check_equal<T: PartialEq + Debug>(workload: &str, who: &str, got: &T, want: &T) {
    if got != want {
        differ(workload, &format!("{who} vs native Rust"), format!("  {who}: {got:?}\n  native: {want:?}"));
    }
}

fn check_list<T: PartialEq + Debug>(workload: &str, who: &str, got: &[T], want: &[T]) {
    if got.len() != want.len() {
        differ(
            workload,
            &format!("{who} vs native Rust"),
            format!("{} results vs {}", got.len(), want.len()),
        );
    }
    if let Some(i) = (0..got.len()).find(|i| got[*i] != want[*i]) {
        differ(
            workload,
            &format!("{who} vs native Rust"),
            format!("  at index {i}: {who} {:?}, native {:?}", got[i], want[i]),
        );
    }
}

/// One timed run: the time of the measured part only (setup excluded),
/// its result, and the gas it used (0 for native code).
struct Run<R> {
    elapsed: Duration,
    result: R,
    gas: u64,
}

/// A measured figure: median time per operation, gas per operation.
#[derive(Debug, Clone, Copy)]
struct Figure {
    ns: f64,
    gas: f64,
}

/// Runs `run` `runs` times; every run must give the same result. The
/// median time, divided by `ops`, and the result.
fn measure<R: PartialEq + Debug>(
    workload: &str,
    runs: usize,
    ops: u64,
    mut run: impl FnMut() -> Run<R>,
) -> (Figure, R) {
    let first = run();
    let mut times = vec![first.elapsed];
    for _ in 1..runs {
        let next = run();
        if next.result != first.result {
            differ(workload, "two runs of the same engine", format!("{:?}\n{:?}", first.result, next.result));
        }
        times.push(next.elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    let ops = ops as f64;
    (Figure { ns: median.as_nanos() as f64 / ops, gas: first.gas as f64 / ops }, first.result)
}

/// One row of the results table.
struct Row {
    workload: String,
    per: &'static str,
    native: Figure,
    writ: Figure,
    evm: Option<Figure>,
    /// Printed under the table.
    note: Option<String>,
}

/// Measures one Writ call of contract `name` that does all `ops`
/// operations (empty storage, a block session) and decodes its result as
/// `returns`.
#[allow(clippy::too_many_arguments)]
fn measure_one_call(
    workload: &str,
    runs: usize,
    ops: u64,
    side: &WritSide,
    name: &str,
    entry: &str,
    call_args: &[u8],
    returns: AbiType,
) -> (Figure, Value) {
    let (contract, state): (_, Arc<dyn State>) = (side.contract(name), Arc::new(Storage::default()));
    let mut session = side.vm.session();
    measure(workload, runs, ops, || {
        let start = Instant::now();
        let done = writ::call(&mut session, contract, entry, call_args, [1; 20], &state);
        let elapsed = start.elapsed();
        Run { elapsed, result: decode(returns.clone(), &done.success.result), gas: done.gas }
    })
}

struct WritSide {
    vm: Vm,
    contracts: BTreeMap<&'static str, Arc<Contract>>,
}

impl WritSide {
    fn contract(&self, name: &str) -> &Contract {
        &self.contracts[name]
    }
}

fn main() {
    let options = options();
    let mut sizes = if options.quick { Sizes::QUICK } else { Sizes::FULL };
    if let Some(runs) = options.runs {
        sizes.runs = runs;
    }
    let solc = match &options.solc_output {
        Some(dir) => Some(evm::load(dir).unwrap_or_else(|e| fatal(&e))),
        None if options.quick || options.only.is_some() => {
            println!(
                "note: no solc output folder given: the revm column is skipped (scripts/bench.sh makes one)"
            );
            None
        }
        None => usage_error("the solc output folder is required (scripts/bench.sh makes it)"),
    };

    println!(
        "# writ-bench{}",
        if options.quick { " --quick (smoke run: figures not meaningful)" } else { "" }
    );
    println!();
    println!(
        "Median of {} run(s) each; Writ on the VM with gas metering (wasmtime, Cranelift); revm with the Osaka rules{}.",
        sizes.runs,
        solc.as_ref().map_or(String::new(), |s| format!(", bytecode from solc {}", s.version))
    );
    println!();

    // Compile the Writ contracts (timed below).
    // Cannot fail: the in-memory VM's fixed configuration is valid (tested by vm/tests); no input reaches it.
    let vm = Vm::new(VmOptions::in_memory()).expect("a VM");
    let mut wasm = BTreeMap::new();
    let mut contracts = BTreeMap::new();
    for (name, source) in writ::SOURCES {
        let module = writ::compile(name, source).unwrap_or_else(|e| fatal(&e));
        // Cannot fail: the module is this binary's own Writ source compiled just above.
        contracts.insert(name, vm.prepare(&module).expect("the VM accepts the compiled module"));
        wasm.insert(name, module);
    }
    let writ_side = WritSide { vm, contracts };
    let evm_code = |name: &str| solc.as_ref().map(|s| s.code[name].clone());

    let mut rows = Vec::new();
    if options.runs("loop") {
        rows.push(spin(&sizes, &writ_side, evm_code("Spin")));
    }
    if options.runs("transfer") {
        rows.push(transfers(&sizes, &writ_side, evm_code("Token")));
    }
    if options.runs("tax") {
        rows.push(tax(&sizes, &writ_side, evm_code("Tax")));
    }
    if options.runs("view") {
        rows.extend(views(&sizes, &writ_side, evm_code("Token")));
    }
    if options.runs("sha256") {
        rows.push(hashes(&sizes, &writ_side, evm_code("Evidence")));
    }
    println!("All results equal across the engines.\n");

    if !rows.is_empty() {
        print_times(&rows);
        print_gas(&rows);
    }
    if options.runs("calls") {
        calls::print(&calls::crossing(&writ_side.vm, sizes.calls, sizes.runs));
    }
    if options.only.is_none() {
        print_compilation(&sizes, &wasm, solc.as_ref());
    }
}

/// Workload 1: the checked loop, `sizes.spin` iterations in one call.
fn spin(sizes: &Sizes, writ_side: &WritSide, evm_code: Option<Vec<u8>>) -> Row {
    let name = "loop";
    let n = sizes.spin;
    let (native, want) = measure(name, sizes.runs, n, || {
        let start = Instant::now();
        // Cannot fail: the inputs are generated in range (inputs.rs) for the sizes the harness sets.
        let result = native::spin(black_box(n)).expect("no overflow");
        Run { elapsed: start.elapsed(), result, gas: 0 }
    });

    let spin_args = args(vec![(AbiType::U64, Value::U64(n))]);
    let (writ, got) =
        measure_one_call(name, sizes.runs, n, writ_side, "Spin", "spin", &spin_args, AbiType::U64);
    check_equal(name, "Writ", &got, &Value::U64(want));

    let evm = evm_code.map(|code| {
        let mut evm = Evm::new(&code);
        let data = Calldata::new("spin(uint64)").uint(n.into()).bytes();
        let (figure, got) = measure(name, sizes.runs, n, || {
            let start = Instant::now();
            let done = evm.call([1; 20], data.clone());
            let elapsed = start.elapsed();
            Run { elapsed, result: evm::small(word(&done.output, 0)), gas: done.gas }
        });
        check_equal(name, "revm", &got, &u128::from(want));
        figure
    });
    Row {
        workload: format!("checked 64-bit loop, {} iterations in one call", thousands(n)),
        per: "iteration",
        native,
        writ,
        evm,
        note: None,
    }
}

/// What a transfer workload ends with: every balance, the number of
/// events and the last event.
type TransferResult = (Vec<u64>, usize, native::Transferred);

/// Workload 2: `sizes.transfers` transfers among `sizes.accounts`
/// accounts, one transaction each, state carried from one to the next.
fn transfers(sizes: &Sizes, writ_side: &WritSide, evm_code: Option<Vec<u8>>) -> Row {
    let name = "token transfers";
    let list = inputs::transfers(sizes.transfers, sizes.accounts);
    let ops = list.len() as u64;
    let accounts: Vec<[u8; 20]> = (0..sizes.accounts).map(account).collect();

    let (native, want) = measure(name, sizes.runs, ops, || {
        let mut token = native::Token::default();
        for (k, who) in accounts.iter().enumerate() {
            token.fund(*who, opening_balance(k));
        }
        let start = Instant::now();
        for Transfer { from, to, amount } in &list {
            // Cannot fail: the transfer list is generated from funded balances (inputs.rs).
            token.transfer(accounts[*from], accounts[*to], black_box(*amount)).expect("a valid transfer");
        }
        let elapsed = start.elapsed();
        let balances = accounts.iter().map(|who| token.balance_of(who)).collect();
        // Cannot fail: each run makes at least one transfer, which emits an event.
        Run { elapsed, result: (balances, token.events.len(), *token.events.last().expect("events")), gas: 0 }
    });

    let contract = writ_side.contract("Token");
    let transfer_args: Vec<Vec<u8>> = list
        .iter()
        .map(|t| {
            args(vec![
                (AbiType::Address, Value::Address(accounts[t.to])),
                (AbiType::U64, Value::U64(t.amount)),
            ])
        })
        .collect();
    let event_type = AbiType::Tuple(vec![AbiType::Address, AbiType::Address, AbiType::U64]);
    let (writ, got) = measure(name, sizes.runs, ops, || {
        let storage = Arc::new(Storage::default());
        let state: Arc<dyn State> = Arc::clone(&storage) as Arc<dyn State>;
        let mut session = writ_side.vm.session();
        fund_writ_accounts(&mut session, contract, &accounts, &storage);
        let (mut events, mut last, mut gas) = (0, None, 0);
        let start = Instant::now();
        for (t, transfer_args) in list.iter().zip(&transfer_args) {
            let mut done =
                writ::call(&mut session, contract, "transfer", transfer_args, accounts[t.from], &state);
            storage.apply(&done.success.writes);
            events += done.success.events.len();
            last = done.success.events.pop();
            gas += done.gas;
        }
        let elapsed = start.elapsed();
        let balances = accounts
            .iter()
            .map(|who| {
                let a = args(vec![(AbiType::Address, Value::Address(*who))]);
                let done = writ::call(&mut session, contract, "balance_of", &a, *who, &state);
                match decode(AbiType::U64, &done.success.result) {
                    Value::U64(balance) => balance,
                    other => panic!("balance_of returned {other:?}"),
                }
            })
            .collect();
        // Cannot fail: each run makes at least one transfer, which emits an event.
        let last = match decode(event_type.clone(), &last.expect("events").data) {
            Value::Tuple(fields) => match fields.as_slice() {
                [Value::Address(from), Value::Address(to), Value::U64(amount)] => (*from, *to, *amount),
                other => panic!("event fields {other:?}"),
            },
            other => panic!("event {other:?}"),
        };
        Run { elapsed, result: (balances, events, last), gas }
    });
    check_transfers(name, "Writ", &got, &want);

    let evm = evm_code.map(|code| {
        let calldata: Vec<Bytes> = list
            .iter()
            .map(|t| {
                Calldata::new("transfer(address,uint64)")
                    .address(accounts[t.to])
                    .uint(t.amount.into())
                    .bytes()
            })
            .collect();
        let (figure, got) = measure(name, sizes.runs, ops, || {
            let mut evm = Evm::new(&code);
            for (k, who) in accounts.iter().enumerate() {
                let fund =
                    Calldata::new("fund(address,uint64)").address(*who).uint(opening_balance(k).into());
                evm.transact_commit(*who, fund.bytes());
            }
            let (mut events, mut last, mut gas) = (0, None, 0);
            let start = Instant::now();
            for (t, data) in list.iter().zip(&calldata) {
                let mut done = evm.transact_commit(accounts[t.from], data.clone());
                events += done.logs.len();
                last = done.logs.pop();
                gas += done.gas;
            }
            let elapsed = start.elapsed();
            let balances = accounts
                .iter()
                .map(|who| {
                    let done = evm.call(*who, Calldata::new("balanceOf(address)").address(*who).bytes());
                    // Cannot fail: the bytecode is checked at load to be the compile step's own (evm::load), whose balances are uint64.
                    u64::try_from(word(&done.output, 0)).expect("a u64 balance")
                })
                .collect();
            // Cannot fail: each run makes at least one transfer, which emits an event.
            let log = last.expect("events");
            let address = |i: usize| -> [u8; 20] {
                // Cannot fail: a 32-byte word always has 20 bytes after its first 12.
                word(&log.data.data, i).to_be_bytes::<32>()[12..].try_into().expect("20 bytes")
            };
            // Cannot fail: the bytecode is checked at load to be the compile step's own (evm::load), whose amounts are uint64.
            let amount = u64::try_from(word(&log.data.data, 2)).expect("a u64 amount");
            Run { elapsed, result: (balances, events, (address(0), address(1), amount)), gas }
        });
        check_transfers(name, "revm", &got, &want);
        figure
    });
    Row {
        workload: format!(
            "token transfer ({} among {} accounts: 2 reads, 2 writes, 1 event), one transaction each",
            thousands(ops),
            thousands(sizes.accounts as u64)
        ),
        per: "transfer",
        native,
        writ,
        evm,
        note: None,
    }
}

fn check_transfers(name: &str, who: &str, got: &TransferResult, want: &TransferResult) {
    check_list(name, &format!("{who} (balances)"), &got.0, &want.0);
    check_equal(name, &format!("{who} (event count)"), &got.1, &want.1);
    check_equal(name, &format!("{who} (last event)"), &got.2, &want.2);
}

/// Workload 3: the income tax of `sizes.incomes` incomes, in calls of
/// `sizes.incomes_per_call`.
fn tax(sizes: &Sizes, writ_side: &WritSide, evm_code: Option<Vec<u8>>) -> Row {
    let name = "income tax";
    let incomes = inputs::incomes(sizes.incomes);
    let ops = incomes.len() as u64;
    let (native, want) = measure(name, sizes.runs, ops, || {
        let start = Instant::now();
        let due: Vec<i128> = incomes
            .iter()
            // Cannot fail: the inputs are generated in range (inputs.rs) for the sizes the harness sets.
            .map(|income| native::income_tax(black_box(*income)).expect("no overflow"))
            .collect();
        Run { elapsed: start.elapsed(), result: due, gas: 0 }
    });
    if let Some(i) = want.iter().position(|due| due % inputs::CENT != 0) {
        differ(name, "native Rust", format!("tax {} of income {} is not whole cents", want[i], incomes[i]));
    }

    let contract = writ_side.contract("Tax");
    let state: Arc<dyn State> = Arc::new(Storage::default());
    let chunk_args: Vec<Vec<u8>> = incomes
        .chunks(sizes.incomes_per_call)
        .map(|chunk| args(vec![(AbiType::List(Box::new(AbiType::Decimal)), writ::decimals(chunk))]))
        .collect();
    let mut session = writ_side.vm.session();
    let (writ, got) = measure(name, sizes.runs, ops, || {
        let mut outputs = Vec::with_capacity(chunk_args.len());
        let mut gas = 0;
        let start = Instant::now();
        for a in &chunk_args {
            let done = writ::call(&mut session, contract, "tax_all", a, [1; 20], &state);
            outputs.push(done.success.result);
            gas += done.gas;
        }
        let elapsed = start.elapsed();
        let due: Vec<i128> = outputs
            .iter()
            .flat_map(|output| match decode(AbiType::List(Box::new(AbiType::Decimal)), output) {
                Value::List(values) => values,
                other => panic!("tax_all returned {other:?}"),
            })
            .map(|value| match value {
                Value::Decimal(d) => d.raw(),
                other => panic!("tax_all returned {other:?}"),
            })
            .collect();
        Run { elapsed, result: due, gas }
    });
    check_list(name, "Writ", &got, &want);

    let evm = evm_code.map(|code| {
        let mut evm = Evm::new(&code);
        let calldata: Vec<Bytes> = incomes
            .chunks(sizes.incomes_per_call)
            .map(|chunk| {
                let head = Calldata::new("taxAll(uint256[])").uint(32).uint(chunk.len() as u128);
                chunk
                    .iter()
                    // Cannot fail: generated incomes are non-negative (inputs.rs).
                    .fold(head, |data, income| data.uint(u128::try_from(*income).expect("income >= 0")))
                    .bytes()
            })
            .collect();
        let (figure, got) = measure(name, sizes.runs, ops, || {
            let mut outputs = Vec::with_capacity(calldata.len());
            let mut gas = 0;
            let start = Instant::now();
            for data in &calldata {
                let done = evm.call([1; 20], data.clone());
                outputs.push(done.output);
                gas += done.gas;
            }
            let elapsed = start.elapsed();
            let due: Vec<i128> = outputs
                .iter()
                .flat_map(|output| {
                    let count = evm::small(word(output, 1)) as usize;
                    (0..count)
                        // Cannot fail: a tax is below its income, which fits i128.
                        .map(|i| i128::try_from(evm::small(word(output, 2 + i))).expect("tax fits i128"))
                })
                .collect();
            Run { elapsed, result: due, gas }
        });
        check_list(name, "revm", &got, &want);
        figure
    });

    let (reference, got) = measure(name, sizes.runs, ops, || {
        let start = Instant::now();
        let due: Vec<i128> = incomes
            .iter()
            .map(|income| {
                native::income_tax_reference(black_box(writ_abi::Decimal::from_raw(*income)))
                    // Cannot fail: the inputs are generated in range (inputs.rs) for the sizes the harness sets.
                    .expect("no overflow")
                    .raw()
            })
            .collect();
        Run { elapsed: start.elapsed(), result: due, gas: 0 }
    });
    check_list(name, "native Rust on writ_abi::Decimal", &got, &want);
    let note = format!(
        "Income tax in native Rust on the reference Decimal (`writ_abi::Decimal`, the arithmetic behind the VM's \
         Decimal host functions) instead of i128 with a 64-bit divisor: {} per income; Writ ÷ that: {}.",
        time(reference.ns),
        ratio(writ.ns, reference.ns)
    );
    Row {
        workload: format!(
            "income tax, 7 brackets, fixed point, rounded to the cent ({} incomes, {} per call)",
            thousands(ops),
            thousands(sizes.incomes_per_call as u64)
        ),
        per: "income",
        native,
        writ,
        evm,
        note: Some(note),
    }
}

/// Workload 4: a view of one balance, on a reused instance and on a fresh
/// instance per call; on revm, one transaction per call (no commit).
fn views(sizes: &Sizes, writ_side: &WritSide, evm_code: Option<Vec<u8>>) -> [Row; 2] {
    let name = "view call";
    let accounts: Vec<[u8; 20]> = (0..sizes.accounts).map(account).collect();
    let mut token = native::Token::default();
    for (k, who) in accounts.iter().enumerate() {
        token.fund(*who, opening_balance(k));
    }
    let native_views = |count: usize| {
        let start = Instant::now();
        let mut sum: u128 = 0;
        for i in 0..count {
            sum += u128::from(token.balance_of(black_box(&accounts[viewed(i, accounts.len())])));
        }
        Run { elapsed: start.elapsed(), result: sum, gas: 0 }
    };
    let (native, want) = measure(name, sizes.runs, sizes.views as u64, || native_views(sizes.views));
    let (native_fresh, want_fresh) =
        measure(name, sizes.runs, sizes.fresh_views as u64, || native_views(sizes.fresh_views));

    let contract = writ_side.contract("Token");
    let storage = Arc::new(Storage::default());
    let state: Arc<dyn State> = Arc::clone(&storage) as Arc<dyn State>;
    let mut session = writ_side.vm.session();
    fund_writ_accounts(&mut session, contract, &accounts, &storage);
    let view_args: Vec<Vec<u8>> =
        accounts.iter().map(|who| args(vec![(AbiType::Address, Value::Address(*who))])).collect();
    // Cannot fail: the Writ view returns a u64, whose encoding is 8 bytes.
    let balance = |result: &[u8]| u128::from(u64::from_be_bytes(result.try_into().expect("a u64 result")));
    let (writ, got) = measure(name, sizes.runs, sizes.views as u64, || {
        let (mut sum, mut gas) = (0u128, 0);
        let start = Instant::now();
        for i in 0..sizes.views {
            let a = &view_args[viewed(i, accounts.len())];
            let done = writ::call(&mut session, contract, "balance_of", a, [1; 20], &state);
            sum += balance(&done.success.result);
            gas += done.gas;
        }
        Run { elapsed: start.elapsed(), result: sum, gas }
    });
    check_equal(name, "Writ (reused instance)", &got, &want);
    let (writ_fresh, got) = measure(name, sizes.runs, sizes.fresh_views as u64, || {
        let (mut sum, mut gas) = (0u128, 0);
        let start = Instant::now();
        for i in 0..sizes.fresh_views {
            let a = &view_args[viewed(i, accounts.len())];
            let done = writ::call_fresh(&writ_side.vm, contract, "balance_of", a, &state);
            sum += balance(&done.success.result);
            gas += done.gas;
        }
        Run { elapsed: start.elapsed(), result: sum, gas }
    });
    check_equal(name, "Writ (fresh instance)", &got, &want_fresh);

    let evm = evm_code.map(|code| {
        let mut evm = Evm::new(&code);
        for (k, who) in accounts.iter().enumerate() {
            let fund = Calldata::new("fund(address,uint64)").address(*who).uint(opening_balance(k).into());
            evm.transact_commit(*who, fund.bytes());
        }
        let calldata: Vec<Bytes> =
            accounts.iter().map(|who| Calldata::new("balanceOf(address)").address(*who).bytes()).collect();
        let (figure, got) = measure(name, sizes.runs, sizes.views as u64, || {
            let (mut sum, mut gas) = (0u128, 0);
            let start = Instant::now();
            for i in 0..sizes.views {
                let done = evm.call([1; 20], calldata[viewed(i, accounts.len())].clone());
                sum += evm::small(word(&done.output, 0));
                gas += done.gas;
            }
            Run { elapsed: start.elapsed(), result: sum, gas }
        });
        check_equal(name, "revm", &got, &want);
        figure
    });
    [
        Row {
            workload: format!(
                "view call, one storage read, instance reused ({} calls)",
                thousands(sizes.views as u64)
            ),
            per: "call",
            native,
            writ,
            evm,
            note: None,
        },
        Row {
            workload: format!(
                "view call, one storage read, fresh instance per call ({} calls; revm: as above)",
                thousands(sizes.fresh_views as u64)
            ),
            per: "call",
            native: native_fresh,
            writ: writ_fresh,
            evm,
            note: None,
        },
    ]
}

/// Workload 5: SHA-256 of the evidence record, `sizes.hashes` times in one
/// call.
fn hashes(sizes: &Sizes, writ_side: &WritSide, evm_code: Option<Vec<u8>>) -> Row {
    let name = "SHA-256";
    let record = inputs::record(sizes.record_bytes);
    let n = sizes.hashes;
    let (native, want) = measure(name, sizes.runs, n, || {
        let start = Instant::now();
        let digest = native::hash_many(&record, black_box(n));
        Run { elapsed: start.elapsed(), result: digest, gas: 0 }
    });

    let hash_args = args(vec![(AbiType::Bytes, Value::Bytes(record.clone())), (AbiType::U64, Value::U64(n))]);
    let (writ, got) =
        measure_one_call(name, sizes.runs, n, writ_side, "Evidence", "hash_many", &hash_args, AbiType::Hash);
    check_equal(name, "Writ", &got, &Value::Hash(want));

    let evm = evm_code.map(|code| {
        let mut evm = Evm::new(&code);
        let data = Calldata::new("hashMany(bytes,uint64)")
            .uint(64)
            .uint(n.into())
            .uint(record.len() as u128)
            .padded(&record)
            .bytes();
        let (figure, got) = measure(name, sizes.runs, n, || {
            let start = Instant::now();
            let done = evm.call([1; 20], data.clone());
            let elapsed = start.elapsed();
            Run { elapsed, result: word(&done.output, 0).to_be_bytes::<32>(), gas: done.gas }
        });
        check_equal(name, "revm", &got, &want);
        figure
    });
    Row {
        workload: format!(
            "SHA-256 of a {} B evidence record, {} times in one call",
            thousands(sizes.record_bytes as u64),
            thousands(n)
        ),
        per: "hash",
        native,
        writ,
        evm,
        note: None,
    }
}

/// `1234567` as `1 234 567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A duration in nanoseconds, with a unit that keeps 3 significant digits.
fn time(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 10_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn ratio(a: f64, b: f64) -> String {
    let r = a / b;
    if r < 10.0 { format!("{r:.2}x") } else { format!("{r:.0}x") }
}

fn print_times(rows: &[Row]) {
    println!("## Time per operation (median)\n");
    println!(
        "| workload | per | native Rust | Writ (VM, gas metered) | revm (Solidity) | Writ ÷ native | Writ ÷ revm |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        let (evm, versus) = match row.evm {
            Some(evm) => (time(evm.ns), ratio(row.writ.ns, evm.ns)),
            None => ("—".to_string(), "—".to_string()),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.workload,
            row.per,
            time(row.native.ns),
            time(row.writ.ns),
            evm,
            ratio(row.writ.ns, row.native.ns),
            versus
        );
    }
    println!("\nWrit ÷ revm below 1 means Writ is faster than revm.\n");
    for note in rows.iter().filter_map(|row| row.note.as_ref()) {
        println!("{note}\n");
    }
}

fn print_gas(rows: &[Row]) {
    println!(
        "## Gas per operation (different units: Writ's schedule v1 and Ethereum's Osaka; revm's includes the 21 000 of each transaction)\n"
    );
    println!("| workload | per | Writ gas | EVM gas |");
    println!("|---|---|---|---|");
    for row in rows {
        let evm = row.evm.map_or("—".to_string(), |evm| format!("{:.0}", evm.gas));
        println!("| {} | {} | {:.0} | {} |", row.workload, row.per, row.writ.gas, evm);
    }
    println!();
}

/// Compile times (median) and artifact sizes per contract.
fn print_compilation(sizes: &Sizes, wasm: &BTreeMap<&str, Vec<u8>>, solc: Option<&evm::Compiled>) {
    let runs = sizes.runs.max(3);
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    println!("## Compilation and artifacts (median of {runs})\n");
    println!(
        "| contract | Writ source → Wasm | Wasm → native (`Vm::prepare`) | solc-js, source → EVM | Writ .wasm | solc runtime bytecode |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, source) in writ::SOURCES {
        let to_wasm = median(
            (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    // Cannot fail: this binary's own Writ sources, compiled once already above.
                    black_box(writ::compile(name, source).expect("compiles"));
                    start.elapsed()
                })
                .collect(),
        );
        let to_native = median(
            (0..runs)
                .map(|_| {
                    // A new VM each time: `prepare` caches by code hash.
                    // Cannot fail: the in-memory VM's fixed configuration is valid (tested by vm/tests); no input reaches it.
                    let vm = Vm::new(VmOptions::in_memory()).expect("a VM");
                    let start = Instant::now();
                    // Cannot fail: the same module the VM accepted above.
                    black_box(vm.prepare(&wasm[name]).expect("prepares"));
                    start.elapsed()
                })
                .collect(),
        );
        let (solc_time, solc_bytes) = match solc {
            Some(s) => (
                s.compile_ms.get(name).map_or("—".to_string(), |ms| format!("{ms:.0} ms")),
                format!("{} B", thousands(s.code[name].len() as u64)),
            ),
            None => ("—".to_string(), "—".to_string()),
        };
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {solc_time} | {} B | {solc_bytes} |",
            to_wasm.as_secs_f64() * 1e3,
            to_native.as_secs_f64() * 1e3,
            thousands(wasm[name].len() as u64),
        );
    }
    println!(
        "\nsolc-js is solc compiled to WebAssembly, run by Node (one compilation each, after a warm-up): a native solc is faster."
    );
}
