//! Contracts compiled from Writ source by the real compiler run on the
//! real VM and do what the source says: storage, events, roles, errors,
//! arithmetic checks, Decimal money, text, and the same gas every run.

#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use writ_abi::host::AbortCode;
use writ_abi::{AbiType, Decimal, TypeDefs, Value};
use writ_compiler::codegen::build_file;
use writ_compiler::{Analysis, FileId};
use writ_vm::{Abort, Call, CallContext, CallReport, Contract, MemoryState, Outcome, Vm, VmOptions};

const GAS: u64 = 50_000_000;

/// The module of contract `name` in the file (its first without a name).
fn compile_named(path: &str, name: Option<&str>) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    let source = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    let analysis = Analysis::single(path, &source);
    let output = build_file(&analysis, FileId(0));
    assert!(output.diagnostics.is_empty(), "{path}: {:?}", output.diagnostics);
    let mut artifacts = output.artifacts.into_iter();
    let found = match name {
        Some(name) => artifacts.find(|a| a.contract == name),
        None => artifacts.next(),
    };
    found.unwrap_or_else(|| panic!("no artifact")).wasm
}

fn account(n: u8) -> [u8; 20] {
    [n; 20]
}

/// A contract on an in-memory chain: successful calls' writes are kept.
struct Chain {
    vm: Vm,
    contract: Arc<Contract>,
    state: MemoryState,
    time: i64,
    /// Other contracts the calls may reach.
    directory: Option<Arc<dyn writ_vm::Directory>>,
}

impl Chain {
    fn deploy(path: &str) -> Chain {
        Chain::deploy_named(path, None)
    }

    fn deploy_named(path: &str, name: Option<&str>) -> Chain {
        let vm = Vm::new(VmOptions::in_memory()).unwrap_or_else(|e| panic!("{e}"));
        let contract = vm.prepare(&compile_named(path, name)).unwrap_or_else(|e| panic!("{e}"));
        Chain { vm, contract, state: MemoryState::new(), time: 1_700_000_000, directory: None }
    }

    fn call(&mut self, from: u8, entry: &str, args: &[(AbiType, Value)]) -> CallReport {
        self.call_signed(from, &[], entry, args)
    }

    /// A call signed by its caller and by `cosigners`.
    fn call_signed(
        &mut self,
        from: u8,
        cosigners: &[u8],
        entry: &str,
        args: &[(AbiType, Value)],
    ) -> CallReport {
        let (types, values): (Vec<AbiType>, Vec<Value>) = args.iter().cloned().unzip();
        let encoded =
            writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default())
                .unwrap_or_else(|e| panic!("{e}"));
        let context = CallContext {
            contract: account(0xC0),
            caller: account(from),
            signers: std::iter::once(from).chain(cosigners.iter().copied()).map(account).collect(),
            block_time: self.time,
            block_height: 1,
            gas_limit: GAS,
        };
        let call = Call {
            entry,
            args: &encoded,
            context,
            state: Arc::new(self.state.clone()),
            directory: self.directory.clone(),
        };
        let report = self.vm.call(&self.contract, call).unwrap_or_else(|e| panic!("{e}"));
        if let Outcome::Success(success) = &report.outcome {
            self.state.apply(&success.writes);
        }
        report
    }

    /// Calls and decodes the result, failing the test on an abort.
    fn ok(&mut self, from: u8, entry: &str, args: &[(AbiType, Value)], returns: AbiType) -> Value {
        let report = self.call(from, entry, args);
        match report.outcome {
            Outcome::Success(s) => writ_abi::decode_value(&returns, &s.result, &TypeDefs::default())
                .unwrap_or_else(|e| panic!("{entry}: result does not decode: {e}")),
            Outcome::Aborted(a) => panic!("{entry} aborted: {a:?}"),
        }
    }

    fn aborted(&mut self, from: u8, entry: &str, args: &[(AbiType, Value)]) -> Abort {
        match self.call(from, entry, args).outcome {
            Outcome::Aborted(a) => a,
            Outcome::Success(_) => panic!("{entry} should have aborted"),
        }
    }
}

fn addr(n: u8) -> (AbiType, Value) {
    (AbiType::Address, Value::Address(account(n)))
}

fn u64v(n: u64) -> (AbiType, Value) {
    (AbiType::U64, Value::U64(n))
}

fn dec(text: &str) -> (AbiType, Value) {
    (AbiType::Decimal, Value::Decimal(text.parse().unwrap_or_else(|e| panic!("{e}"))))
}

// A token: init mints to the deployer, transfers move balances and emit,
// overdrafts fail with the contract's error, roles guard minting.
#[test]
fn token_end_to_end() {
    let mut chain = Chain::deploy("compiler/tests/data/build/token.writ");
    chain.ok(1, "init", &[u64v(1000)], AbiType::Unit);
    assert_eq!(chain.ok(1, "balance", &[addr(1)], AbiType::U64), Value::U64(1000));

    let report = chain.call(1, "transfer", &[addr(2), u64v(300)]);
    let Outcome::Success(success) = &report.outcome else { panic!("transfer aborted: {report:?}") };
    assert_eq!(success.events.len(), 1);
    let event = writ_abi::decode_value(
        &AbiType::Tuple(vec![AbiType::Address, AbiType::Address, AbiType::U64]),
        &success.events.first().map(|e| e.data.clone()).unwrap_or_default(),
        &TypeDefs::default(),
    );
    assert_eq!(
        event,
        Ok(Value::Tuple(vec![Value::Address(account(1)), Value::Address(account(2)), Value::U64(300)]))
    );
    assert_eq!(chain.ok(1, "balance", &[addr(1)], AbiType::U64), Value::U64(700));
    assert_eq!(chain.ok(1, "balance", &[addr(2)], AbiType::U64), Value::U64(300));

    // Overdraft: the contract's error 0, `Insufficient(needed, available)`.
    let abort = chain.aborted(2, "transfer", &[addr(3), u64v(1000)]);
    let mut expected = 0u32.to_be_bytes().to_vec();
    expected.extend(1000u64.to_be_bytes());
    expected.extend(300u64.to_be_bytes());
    assert_eq!(abort, Abort::ContractAbort { code: AbortCode::ContractError, data: expected });
    assert_eq!(
        chain.ok(1, "balance", &[addr(2)], AbiType::U64),
        Value::U64(300),
        "the failed call kept nothing"
    );

    // Minting needs the Minter role (index 1), which the Admin can grant.
    let abort = chain.aborted(2, "mint", &[addr(2), u64v(5)]);
    assert_eq!(
        abort,
        Abort::ContractAbort { code: AbortCode::MissingRole, data: 1u32.to_be_bytes().to_vec() }
    );
    chain.ok(1, "grant_role", &[(AbiType::U32, Value::U32(1)), addr(2)], AbiType::Unit);
    chain.ok(2, "mint", &[addr(2), u64v(5)], AbiType::Unit);
    assert_eq!(chain.ok(1, "supply", &[], AbiType::U64), Value::U64(1005));
    assert_eq!(
        chain.ok(9, "has_role", &[(AbiType::U32, Value::U32(1)), addr(2)], AbiType::Bool),
        Value::Bool(true)
    );

    // Options, loops, `require`.
    assert_eq!(chain.ok(1, "find", &[addr(9)], AbiType::Option(Box::new(AbiType::U64))), Value::Option(None));
    assert_eq!(
        chain.ok(1, "find", &[addr(2)], AbiType::Option(Box::new(AbiType::U64))),
        Value::Option(Some(Box::new(Value::U64(305))))
    );
    assert_eq!(chain.ok(1, "sum_to", &[u64v(10)], AbiType::U64), Value::U64(1 + 3 + 5 + 7 + 9 + 3));
    chain.ok(1, "pause", &[(AbiType::Bool, Value::Bool(true))], AbiType::Unit);
    let abort = chain.aborted(1, "transfer", &[addr(2), u64v(1)]);
    assert_eq!(
        abort,
        Abort::ContractAbort { code: AbortCode::Require, data: b"transfers are paused".to_vec() }
    );
}

// Decimal money: brackets, rounding modes, division, conversions.
#[test]
fn levy_decimal_end_to_end() {
    let mut chain = Chain::deploy("compiler/tests/data/build/levy.writ");
    chain.ok(1, "init", &[dec("0.45")], AbiType::Unit);
    let quote = |chain: &mut Chain, income: &str| chain.ok(1, "quote", &[dec(income)], AbiType::Decimal);
    // The same figures as the quick-deduction form: 100000 -> 7480.
    assert_eq!(quote(&mut chain, "100000"), Value::Decimal("7480".parse().unwrap_or(Decimal::ZERO)));
    assert_eq!(quote(&mut chain, "30000"), Value::Decimal("900".parse().unwrap_or(Decimal::ZERO)));
    assert_eq!(quote(&mut chain, "200000.50"), Value::Decimal("23080.1".parse().unwrap_or(Decimal::ZERO)));
    assert_eq!(
        chain.ok(1, "per_person", &[dec("100"), u64v(3)], AbiType::Decimal),
        Value::Decimal("33.33".parse().unwrap_or(Decimal::ZERO))
    );
    assert_eq!(chain.ok(1, "whole_units", &[dec("41.99")], AbiType::U64), Value::U64(41));
    assert_eq!(
        chain.ok(1, "magnitude", &[dec("-2.5")], AbiType::Decimal),
        Value::Decimal("-2.5".parse().unwrap_or(Decimal::ZERO))
    );
    let abort = chain.aborted(1, "per_person", &[dec("1"), u64v(0)]);
    assert_eq!(abort, Abort::ContractAbort { code: AbortCode::DivisionByZero, data: vec![] });

    // Assessment needs the Assessor role; payments reduce what is owed.
    chain.ok(1, "grant_role", &[(AbiType::U32, Value::U32(1)), addr(1)], AbiType::Unit);
    chain.ok(1, "assess", &[addr(2), dec("100000")], AbiType::Unit);
    assert_eq!(
        chain.ok(1, "owed", &[addr(2)], AbiType::Decimal),
        Value::Decimal("7480".parse().unwrap_or(Decimal::ZERO))
    );
    chain.ok(2, "pay", &[dec("480.25")], AbiType::Unit);
    assert_eq!(
        chain.ok(1, "owed", &[addr(2)], AbiType::Decimal),
        Value::Decimal("6999.75".parse().unwrap_or(Decimal::ZERO))
    );
    let abort = chain.aborted(2, "pay", &[dec("7000")]);
    assert_eq!(
        abort,
        Abort::ContractAbort { code: AbortCode::Require, data: b"paying more than is owed".to_vec() }
    );
}

// Text keys and values, hashing, concatenation and ordering.
#[test]
fn registry_text_end_to_end() {
    let text = |s: &str| (AbiType::String, Value::String(s.to_string()));
    let bytes = |b: &[u8]| (AbiType::Bytes, Value::Bytes(b.to_vec()));
    let mut chain = Chain::deploy("compiler/tests/data/build/registry.writ");
    chain.ok(1, "init", &[], AbiType::Unit);
    chain.ok(1, "grant_role", &[(AbiType::U32, Value::U32(1)), addr(1)], AbiType::Unit);
    chain.ok(1, "file", &[text("2024-XJ-017"), text("photo"), bytes(b"exhibit bytes")], AbiType::Unit);
    let abort = chain.aborted(1, "file", &[text("2024-XJ-017"), text("again"), bytes(b"x")]);
    let AbortCode::ContractError = (match &abort {
        Abort::ContractAbort { code, .. } => *code,
        other => panic!("{other:?}"),
    }) else {
        panic!("expected the Duplicate error, got {abort:?}");
    };
    let option_string = AbiType::Option(Box::new(AbiType::String));
    assert_eq!(
        chain.ok(1, "title", &[text("2024-XJ-017")], option_string.clone()),
        Value::Option(Some(Box::new(Value::String("photo".into()))))
    );
    assert_eq!(chain.ok(1, "title", &[text("nope")], option_string), Value::Option(None));
    assert_eq!(chain.ok(1, "label", &[text("A")], AbiType::String), Value::String("A: untitled".into()));
    assert_eq!(
        chain.ok(1, "matches", &[text("2024-XJ-017"), bytes(b"exhibit bytes")], AbiType::Bool),
        Value::Bool(true)
    );
    assert_eq!(
        chain.ok(1, "matches", &[text("2024-XJ-017"), bytes(b"other")], AbiType::Bool),
        Value::Bool(false)
    );
    assert_eq!(chain.ok(1, "before", &[text("ab"), text("abc")], AbiType::Bool), Value::Bool(true));
    assert_eq!(chain.ok(1, "before", &[text("b"), text("abc")], AbiType::Bool), Value::Bool(false));
}

// Same calls, same results, events, writes and gas: on a fresh VM too.
#[test]
fn compiled_code_is_deterministic() {
    let run = || {
        let mut chain = Chain::deploy("compiler/tests/data/build/token.writ");
        let mut reports = vec![chain.call(1, "init", &[u64v(1000)])];
        for i in 0..5u8 {
            reports.push(chain.call(1, "transfer", &[addr(10 + i), u64v(u64::from(i) * 7)]));
        }
        reports.push(chain.call(3, "transfer", &[addr(1), u64v(1)]));
        reports
    };
    let first = run();
    assert_eq!(first, run());
    assert!(first.iter().all(|r| r.gas_used > 0));
}

// Gas of a fixed sequence of calls, kept as a snapshot: a change to the
// generated code or the gas schedule shows up in review.
#[test]
fn gas_snapshot() {
    let mut lines = Vec::new();
    let mut record = |chain: &mut Chain, from: u8, entry: &str, args: &[(AbiType, Value)]| {
        let report = chain.call(from, entry, args);
        let status = match &report.outcome {
            Outcome::Success(_) => "ok".to_string(),
            Outcome::Aborted(a) => format!("aborted: {a:?}"),
        };
        lines.push(format!("{entry:<12} {:>8} gas  {status}", report.gas_used));
    };
    let mut token = Chain::deploy("compiler/tests/data/build/token.writ");
    record(&mut token, 1, "init", &[u64v(1000)]);
    record(&mut token, 1, "transfer", &[addr(2), u64v(300)]);
    record(&mut token, 2, "transfer", &[addr(3), u64v(1000)]);
    record(&mut token, 1, "balance", &[addr(1)]);
    record(&mut token, 1, "sum_to", &[u64v(100)]);
    let mut levy = Chain::deploy("compiler/tests/data/build/levy.writ");
    record(&mut levy, 1, "init", &[dec("0.45")]);
    record(&mut levy, 1, "quote", &[dec("200000.50")]);
    record(&mut levy, 1, "per_person", &[dec("100"), u64v(3)]);
    insta::assert_snapshot!(lines.join("\n"));
}

// The shipped tax office example, compiled and run: registration, filing,
// assessment with a late penalty (on the stdlib's progressive schedule),
// payment, refund, and an audit that reassesses.
#[test]
fn tax_example_workflow() {
    let mut chain = Chain::deploy_named("examples/tax/tax.writ", Some("TaxOffice"));
    let registry = citizen_registry(&mut chain, &[(5, "TAX-5")]);
    let decimal = |text: &str| Value::Decimal(text.parse().unwrap_or(Decimal::ZERO));
    let year = (AbiType::U32, Value::U32(2022));
    chain.ok(
        1,
        "init",
        &[dec("60000.00"), dec("0.0005"), (AbiType::Address, Value::Address(registry))],
        AbiType::Unit,
    );
    for role in [1u32, 2] {
        chain.ok(1, "grant_role", &[(AbiType::U32, Value::U32(role)), addr(1)], AbiType::Unit);
    }
    chain.ok(1, "register", &[addr(5), (AbiType::String, Value::String("TAX-5".into()))], AbiType::Unit);
    // Only registered taxpayers may file.
    let abort = chain.aborted(6, "file_return", &[year.clone(), dec("1"), dec("0")]);
    assert!(matches!(abort, Abort::ContractAbort { code: AbortCode::MissingRole, .. }), "{abort:?}");
    chain.ok(5, "file_return", &[year.clone(), dec("100000.00"), dec("5000.00")], AbiType::Unit);
    let abort = chain.aborted(5, "file_return", &[year.clone(), dec("1.00"), dec("0.00")]);
    assert!(matches!(abort, Abort::ContractAbort { code: AbortCode::ContractError, .. }), "{abort:?}");

    chain.ok(1, "assess", &[addr(5), year.clone()], AbiType::Unit);
    // 35 000 taxable at 3 % = 1 050.00; 137 days late at 0.05 % a day = 71.93.
    assert_eq!(chain.ok(1, "balance", &[addr(5), year.clone()], AbiType::Decimal), decimal("1121.93"));

    chain.ok(5, "pay", &[year.clone(), dec("1200.00")], AbiType::Unit);
    assert_eq!(chain.ok(1, "balance", &[addr(5), year.clone()], AbiType::Decimal), decimal("-78.07"));
    assert_eq!(chain.ok(1, "collected", &[], AbiType::Decimal), decimal("1200"));
    chain.ok(1, "refund", &[addr(5), year.clone()], AbiType::Unit);
    // A struct result decodes with the definitions the ABI document carries.
    let analysis = Analysis::single(
        "tax.writ",
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tax/tax.writ"),
        )
        .unwrap_or_default(),
    );
    let abi = build_file(&analysis, FileId(0))
        .artifacts
        .into_iter()
        .find(|a| a.contract == "TaxOffice")
        .map(|a| a.abi)
        .unwrap_or_else(|| panic!("no artifact"));
    let returns = abi.entry("tax_return").map(|e| e.returns.clone()).unwrap_or(AbiType::Unit);
    let report = chain.call(9, "tax_return", &[addr(5), year.clone()]);
    let Outcome::Success(success) = report.outcome else { panic!("tax_return aborted") };
    let Ok(Value::Option(Some(record))) = writ_abi::decode_value(&returns, &success.result, &abi.types)
    else {
        panic!("tax_return does not decode with the ABI's types: {:?}", abi.types)
    };
    let Value::Struct(fields) = *record else { panic!("not a struct") };
    assert_eq!(fields.get(3), Some(&decimal("1050")), "the tax field");
    assert_eq!(chain.ok(1, "collected", &[], AbiType::Decimal), decimal("1121.93"));
    assert_eq!(chain.ok(1, "balance", &[addr(5), year.clone()], AbiType::Decimal), decimal("0"));

    // An audit finds 10 000 more income: 45 000 taxable = 1 080 + 900.
    chain.ok(
        1,
        "open_audit",
        &[addr(5), year.clone(), (AbiType::String, Value::String("bank records".into()))],
        AbiType::Unit,
    );
    chain.ok(
        1,
        "close_audit",
        &[
            addr(5),
            year.clone(),
            dec("10000.00"),
            dec("0.00"),
            (AbiType::String, Value::String("undeclared".into())),
        ],
        AbiType::Unit,
    );
    assert_eq!(chain.ok(1, "balance", &[addr(5), year.clone()], AbiType::Decimal), decimal("930"));
}

/// The tax example's citizen registry, deployed by account 1 into a world
/// `chain`'s calls can reach, with `people` enrolled as persons; its address.
fn citizen_registry(chain: &mut Chain, people: &[(u8, &str)]) -> [u8; 20] {
    use writ_vm::World;
    use writ_vm::execute::{Action, BlockInfo, Execution, Transaction, execute};
    let code = chain.vm.prepare(&compile_named("examples/tax/tax.writ", Some("CitizenRegistry"))).unwrap();
    let mut world = writ_vm::MemoryWorld::new();
    let block = BlockInfo { time: chain.time, height: 1 };
    let send = |world: &mut writ_vm::MemoryWorld, action: Action<'_>| {
        let nonce = world.nonce(&account(1)).unwrap();
        let tx = Transaction { sender: account(1), nonce, cosigners: &[], gas_limit: GAS, action };
        let Ok(Execution::Executed(executed)) = execute(world, &mut &chain.vm, &tx, block) else {
            panic!("skipped")
        };
        assert!(matches!(executed.report.outcome, Outcome::Success(_)), "{:?}", executed.report);
        executed.contract
    };
    let address = send(&mut world, Action::Deploy { code, args: &[] });
    let encode = |args: &[(AbiType, Value)]| {
        let (types, values): (Vec<AbiType>, Vec<Value>) = args.iter().cloned().unzip();
        writ_abi::encode_value(&AbiType::Tuple(types), &Value::Tuple(values), &TypeDefs::default()).unwrap()
    };
    let registrar = encode(&[(AbiType::U32, Value::U32(1)), addr(1)]);
    send(&mut world, Action::Call { contract: address, entry: "grant_role", args: &registrar });
    let mut kinds = TypeDefs::default();
    kinds.enums.insert("Kind".into(), vec![("Person".into(), vec![]), ("Entity".into(), vec![])]);
    for (who, id) in people {
        let person = Value::Enum { variant: 0, fields: vec![] };
        let (types, values) = (
            AbiType::Tuple(vec![AbiType::Address, AbiType::Named("Kind".into()), AbiType::String]),
            Value::Tuple(vec![Value::Address(account(*who)), person, Value::String(id.to_string())]),
        );
        let args = writ_abi::encode_value(&types, &values, &kinds).unwrap();
        send(&mut world, Action::Call { contract: address, entry: "enrol", args: &args });
    }
    chain.directory = Some(world.directory());
    address
}

// The shipped share register, compiled and run: classes, issuing with
// lock-ups, a transfer, and a dividend split in cents that add up exactly
// (the stdlib's `pro_rata`), then claimed.
#[test]
fn equity_example_workflow() {
    let mut chain = Chain::deploy("examples/equity/equity.writ");
    let text = |s: &str| (AbiType::String, Value::String(s.into()));
    let date = |y, m, d| {
        (AbiType::Date, Value::Date(writ_abi::Date::from_ymd(y, m, d).unwrap_or_else(|| panic!("date"))))
    };
    let decimal = |t: &str| Value::Decimal(t.parse().unwrap_or(Decimal::ZERO));
    chain.ok(1, "init", &[text("Acme")], AbiType::Unit);
    chain.ok(1, "grant_role", &[(AbiType::U32, Value::U32(1)), addr(1)], AbiType::Unit);
    chain.ok(1, "create_class", &[text("A"), u64v(1000)], AbiType::Unit);
    chain.ok(1, "issue", &[text("A"), addr(2), u64v(600), date(2023, 1, 1)], AbiType::Unit);
    chain.ok(1, "issue", &[text("A"), addr(3), u64v(300), date(2023, 1, 1)], AbiType::Unit);
    // Issuing past the authorized 1 000 shares is the contract's error.
    let abort = chain.aborted(1, "issue", &[text("A"), addr(4), u64v(101), date(2023, 1, 1)]);
    assert!(matches!(abort, Abort::ContractAbort { code: AbortCode::ContractError, .. }), "{abort:?}");

    chain.ok(2, "transfer", &[text("A"), addr(3), u64v(100)], AbiType::Unit);
    assert_eq!(chain.ok(9, "balance_of", &[text("A"), addr(2)], AbiType::U64), Value::U64(500));
    assert_eq!(chain.ok(9, "balance_of", &[text("A"), addr(3)], AbiType::U64), Value::U64(400));

    // 100.00 over 500 and 400 shares: 55.56 and 44.44, adding up exactly.
    chain.ok(1, "declare_dividend", &[text("A"), dec("100.00")], AbiType::Unit);
    assert_eq!(chain.ok(9, "dividend_owed", &[addr(2)], AbiType::Decimal), decimal("55.56"));
    assert_eq!(chain.ok(9, "dividend_owed", &[addr(3)], AbiType::Decimal), decimal("44.44"));
    assert_eq!(chain.ok(2, "claim_dividend", &[], AbiType::Decimal), decimal("55.56"));
    assert_eq!(chain.ok(9, "dividend_owed", &[addr(2)], AbiType::Decimal), decimal("0"));
    let abort = chain.aborted(2, "claim_dividend", &[]);
    assert!(matches!(abort, Abort::ContractAbort { code: AbortCode::ContractError, .. }), "{abort:?}");
}

// Maps held as values, alone and inside storage map entries.
#[test]
fn nested_maps() {
    let text = |s: &str| (AbiType::String, Value::String(s.into()));
    let mut chain = Chain::deploy("compiler/tests/data/build/nested.writ");
    chain.ok(1, "init", &[], AbiType::Unit);
    assert_eq!(chain.ok(1, "local", &[addr(2), addr(3), u64v(5)], AbiType::U64), Value::U64(15 * 1000 + 2));
    chain.ok(1, "open", &[text("A")], AbiType::Unit);
    assert_eq!(chain.ok(1, "count", &[text("A")], AbiType::U64), Value::U64(0));
    chain.ok(1, "put", &[text("A"), addr(2), u64v(600)], AbiType::Unit);
    assert_eq!(chain.ok(1, "count", &[text("A")], AbiType::U64), Value::U64(1));
    assert_eq!(chain.ok(1, "get", &[text("A"), addr(2)], AbiType::U64), Value::U64(600));
    chain.ok(1, "put", &[text("A"), addr(1), u64v(5)], AbiType::Unit);
    assert_eq!(chain.ok(1, "get", &[text("A"), addr(2)], AbiType::U64), Value::U64(600));
    assert_eq!(chain.ok(1, "get", &[text("A"), addr(1)], AbiType::U64), Value::U64(5));
}

// The shipped evidence register, compiled and run: registration by a
// clerk, a hand-over that needs both custodians' signatures, sealing, and
// the custody history as a list of records.
#[test]
fn evidence_example_workflow() {
    let text = |s: &str| (AbiType::String, Value::String(s.into()));
    let digest = (AbiType::Hash, Value::Hash([0xAB; 32]));
    let mut chain = Chain::deploy("examples/evidence/evidence.writ");
    chain.ok(1, "init", &[], AbiType::Unit);
    // Roles: Clerk 1, Custodian 2, Judge 3.
    for (role, who) in [(1u32, 1u8), (2, 5), (2, 6), (3, 7)] {
        chain.ok(1, "grant_role", &[(AbiType::U32, Value::U32(role)), addr(who)], AbiType::Unit);
    }
    chain.ok(1, "register", &[digest.clone(), text("2024-XJ-017"), text("photo"), addr(5)], AbiType::Unit);
    let custodian = AbiType::Option(Box::new(AbiType::Address));
    assert_eq!(
        chain.ok(9, "custodian", std::slice::from_ref(&digest), custodian.clone()),
        Value::Option(Some(Box::new(Value::Address(account(5)))))
    );

    // Without the receiver's signature the hand-over is refused.
    let abort = chain.aborted(5, "hand_over", &[digest.clone(), addr(6), text("to the lab")]);
    assert!(matches!(abort, Abort::ContractAbort { code: AbortCode::ContractError, .. }), "{abort:?}");
    let report = chain.call_signed(5, &[6], "hand_over", &[digest.clone(), addr(6), text("to the lab")]);
    assert!(matches!(report.outcome, Outcome::Success(_)), "{report:?}");
    assert_eq!(
        chain.ok(9, "custodian", std::slice::from_ref(&digest), custodian),
        Value::Option(Some(Box::new(Value::Address(account(6)))))
    );

    // The history holds both records; it decodes as a list of tuples of
    // the record's fields (from, to, at, reason).
    let history = AbiType::List(Box::new(AbiType::Tuple(vec![
        AbiType::Address,
        AbiType::Address,
        AbiType::Timestamp,
        AbiType::String,
    ])));
    let Value::List(items) = chain.ok(9, "history", std::slice::from_ref(&digest), history) else {
        panic!("not a list")
    };
    assert_eq!(items.len(), 2);
    assert_eq!(
        items.last(),
        Some(&Value::Tuple(vec![
            Value::Address(account(5)),
            Value::Address(account(6)),
            Value::Timestamp(1_700_000_000),
            Value::String("to the lab".into()),
        ]))
    );

    chain.ok(7, "seal", &[digest.clone(), text("order 12")], AbiType::Unit);
    assert_eq!(chain.ok(9, "is_sealed", std::slice::from_ref(&digest), AbiType::Bool), Value::Bool(true));
    let report = chain.call_signed(6, &[5], "hand_over", &[digest.clone(), addr(5), text("back")]);
    assert!(
        matches!(
            report.outcome,
            Outcome::Aborted(Abort::ContractAbort { code: AbortCode::ContractError, .. })
        ),
        "{report:?}"
    );
    assert_eq!(
        chain.ok(9, "case_exhibits", &[text("2024-XJ-017")], AbiType::List(Box::new(AbiType::Hash))),
        Value::List(vec![Value::Hash([0xAB; 32])])
    );
}

// Control flow: nested loops with break and continue, early returns from
// loops and matches, if/match values, enum payloads, text built in loops,
// map iteration (in memory and in storage) with break.
#[test]
fn control_flow() {
    let text = |s: &str| Value::String(s.into());
    let list_u64 = |xs: &[u64]| {
        (AbiType::List(Box::new(AbiType::U64)), Value::List(xs.iter().map(|x| Value::U64(*x)).collect()))
    };
    let mut chain = Chain::deploy("compiler/tests/data/build/flow.writ");
    chain.ok(1, "init", &[], AbiType::Unit);
    // Even i in 0..7 are 0, 2, 4, 6: 0 + 2 + 4 + 6 inner steps.
    assert_eq!(chain.ok(1, "pairs", &[u64v(7)], AbiType::U64), Value::U64(12));
    let option_u64 = AbiType::Option(Box::new(AbiType::U64));
    assert_eq!(
        chain.ok(1, "first_over", &[u64v(5), list_u64(&[1, 9, 7])], option_u64.clone()),
        Value::Option(Some(Box::new(Value::U64(9))))
    );
    assert_eq!(chain.ok(1, "first_over", &[u64v(50), list_u64(&[1, 9, 7])], option_u64), Value::Option(None));
    assert_eq!(chain.ok(1, "area", &[u64v(0), u64v(3), u64v(4)], AbiType::U64), Value::U64(0));
    assert_eq!(chain.ok(1, "area", &[u64v(1), u64v(3), u64v(4)], AbiType::U64), Value::U64(3));
    assert_eq!(chain.ok(1, "area", &[u64v(2), u64v(30), u64v(4)], AbiType::U64), Value::U64(121));
    let words = (
        AbiType::List(Box::new(AbiType::String)),
        Value::List(vec![text("b"), text("a"), text("b"), text("c")]),
    );
    assert_eq!(
        chain.ok(1, "count_words", std::slice::from_ref(&words), AbiType::String),
        text("b;a;c;total=few")
    );
    assert_eq!(chain.ok(1, "count_words", &[words], AbiType::String), text("b;a;c;total=few"));
    assert_eq!(chain.ok(1, "tally", &[(AbiType::String, text("b"))], AbiType::U64), Value::U64(4));
    // Storage order is key order: a = 2, b = 4, c = 2; stop once sum >= 3.
    assert_eq!(chain.ok(1, "sum_until", &[u64v(3)], AbiType::U64), Value::U64(6));
    assert_eq!(chain.ok(1, "sum_until", &[u64v(100)], AbiType::U64), Value::U64(8));
}
